import pytest

from compliance.services import document_create, ticket_get_or_create
from compliance.ticket_refs import TicketReference
from evidence.services import evidence_add


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def recorded(control, engineer, ciso):
    """A few rows of each kind the ledger tracks: evidence items and history records."""
    evidence = [
        evidence_add(controls=[control], title="Firewall runbook", actor=engineer, url="https://wiki/fw"),
        evidence_add(controls=[control], title="Board minutes", actor=engineer, description="Policy approved"),
    ]
    document = document_create(actor=ciso, title="Access policy", kind="policy", url="https://wiki/access")
    ticket = ticket_get_or_create(
        reference=TicketReference(system="jira", key="SEC-1", url="https://jira/SEC-1"), actor=ciso
    )
    return {"evidence": evidence, "document": document, "ticket": ticket}
