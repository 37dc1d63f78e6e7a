import pytest
from django.core.exceptions import PermissionDenied

from compliance import services
from compliance.models import Control, Document, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(db):
    return Document.objects.create(title="Network security policy", kind="policy", url="https://wiki/net")


@pytest.fixture
def ticket(db):
    return Ticket.objects.create(system="github", key="acme/infra#7", title="Close SSH to the world")


def test_a_linked_document_shows_on_both_sides(control, policy, engineer):
    services.document_link(document=policy, control=control, actor=engineer)
    assert list(control.documents.all()) == [policy]
    assert list(policy.controls.all()) == [control]
    assert policy.links.get().linked_by == engineer


def test_a_linked_ticket_shows_on_both_sides_and_on_the_pages(client, control, ticket, engineer):
    services.ticket_link(ticket=ticket, control=control, actor=engineer)
    client.force_login(engineer)
    assert "acme/infra#7" in client.get(control.get_absolute_url()).text
    assert "A.8.20" in client.get(ticket.get_absolute_url()).text


def test_an_auditor_cannot_link(control, ticket, auditor):
    with pytest.raises(PermissionDenied):
        services.ticket_link(ticket=ticket, control=control, actor=auditor)
    assert not control.tickets.exists()


def test_a_control_shows_its_equivalents_in_the_other_frameworks(catalogs):
    control_2013 = Control.objects.get(framework__slug="iso27001-2013", ref="A.13.1.1")
    mapped = {(c.framework.slug, c.ref) for c in control_2013.mapped_controls()}
    assert ("iso27001-2022", "A.8.20") in mapped
    control_2022 = Control.objects.get(framework__slug="iso27001-2022", ref="A.8.20")
    assert ("iso27001-2013", "A.13.1.1") in {(c.framework.slug, c.ref) for c in control_2022.mapped_controls()}


def test_unlinking_keeps_who_removed_it_in_the_history(control, policy, engineer):
    services.document_link(document=policy, control=control, actor=engineer)
    services.document_unlink(document=policy, control=control, actor=engineer)
    assert not control.documents.exists()
    assert policy.links.model.history.filter(history_type="-").count() == 1


def test_every_change_to_a_control_is_kept_with_who_and_when(control, ciso):
    services.control_update(control=control, actor=ciso, status="in_progress", justification="Segmented VPCs")
    services.control_update(control=control, actor=ciso, status="implemented")
    history = list(control.history.order_by("history_date"))
    assert [h.status for h in history] == ["in_progress", "implemented"]
    latest = history[-1]
    assert latest.prev_record.status == "in_progress"
    assert latest.history_user == ciso


def test_an_engineer_cannot_change_a_control_they_do_not_own(control, engineer):
    with pytest.raises(PermissionDenied):
        services.control_update(control=control, actor=engineer, status="implemented")
