"""Writers in parallel transactions (real PostgreSQL connections) still make one unbroken chain."""

import threading

import pytest
from django.db import connection

from compliance.services import document_create
from ledger.models import LedgerEntry
from ledger.verify import ledger_verify

WRITERS, EACH = 4, 10


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_are_numbered_and_linked_in_commit_order(ciso):
    errors: list[BaseException] = []
    before = LedgerEntry.objects.count()  # the CISO's role, granted above
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                document_create(actor=ciso, title=f"Writer {n} document {i}", kind="record")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    total = before + WRITERS * EACH
    assert list(LedgerEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, total + 1))
    assert ledger_verify().summary() == f"Ledger intact through entry {total}."
