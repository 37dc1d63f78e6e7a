"""/audit/ledger/: the verdict for auditors and the CISO (and, as every /audit/ page, for engineers)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence.services import evidence_add
from ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db

URL = "/audit/ledger/"


def test_the_auditor_reads_that_the_ledger_is_intact(client, auditor, recorded):
    client.force_login(auditor)
    page = client.get(URL).content.decode()
    assert f"Intact through entry {LedgerEntry.objects.count()}." in page
    assert "Anchoring to an Object Lock bucket is off" in page


def test_the_ciso_sees_which_entry_broke_and_why(client, ciso, recorded):
    record = recorded["document"].history.get()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE compliance_historicaldocument SET title = 'Lax' WHERE history_id = %s", [record.pk])
    seq = LedgerEntry.objects.get(table_name="compliance_historicaldocument").seq
    client.force_login(ciso)
    page = client.get(URL).content.decode()
    assert f"Broken at entry {seq}:" in page
    assert f"compliance_historicaldocument row {record.pk}): content changed" in page
    assert f"Intact through entry {seq - 1} of {LedgerEntry.objects.count()}" in page


def test_the_audit_home_links_to_it_and_every_role_may_read_it(client, auditor, engineer):
    client.force_login(auditor)
    assert URL in client.get(reverse("audit-home")).content.decode()
    client.force_login(engineer)
    assert client.get(URL).status_code == 200
    client.logout()
    assert client.get(URL).status_code == 302


def test_the_page_runs_the_same_queries_however_long_the_chain(client, auditor, control, engineer):
    client.force_login(auditor)
    client.get(URL)  # warm the session and the role cache

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    small = queries()
    for i in range(30):
        evidence_add(controls=[control], title=f"Item {i}", actor=engineer, url=f"https://wiki/{i}")
    assert queries() == small
