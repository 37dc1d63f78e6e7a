"""Each person's inbox, through HTTP: where they land, what waits for them, and the CISO's approve-or-refuse."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance import services
from compliance.models import AuditEvent, AuditVerb, Control, ControlState, Exemption
from evidence.models import EvidenceRequest
from evidence.requests import evidence_request_open

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def ctrl(ref: str) -> Control:
    return Control.objects.select_related("framework").get(framework__slug="iso27001-2022", ref=ref)


def failing(control: Control, checks: int = 2) -> Control:
    ControlState.objects.update_or_create(
        control=control, defaults={"automated_status": "failing", "checks_failed": checks}
    )
    return control


def own(ciso, owner, *refs: str) -> list[Control]:
    controls = [ctrl(ref) for ref in refs]
    for control in controls:
        services.control_update(control=control, actor=ciso, owner=owner)
    return controls


def propose(engineer, controls, title: str = "Legacy VPN") -> Exemption:
    return services.exemption_propose(
        controls=controls,
        title=title,
        reason="The vendor appliance cannot be segmented before Q3.",
        expires_at=timezone.now() + timedelta(days=60),
        actor=engineer,
    )


def section(page: str, name: str) -> str:
    """The HTML of one inbox section, by its id."""
    match = re.search(rf'<section id="{name}".*?</section>', page, re.S)
    assert match, f"no section {name}"
    return match.group(0)


@pytest.mark.parametrize(("who", "landing"), [("engineer", "/inbox/"), ("auditor", "/inbox/"), ("ciso", "/")])
def test_after_signing_in_engineers_and_auditors_land_on_their_inbox_and_the_ciso_on_the_dashboard(
    client, request, catalogs, who, landing
):
    user = request.getfixturevalue(who)
    response = client.post("/login/", {"username": user.username, "password": f"pw-{user.username}"}, follow=True)
    assert response.redirect_chain[-1][0] == landing
    assert response.status_code == 200


def test_the_ciso_approves_a_proposal_from_the_inbox(client, ciso, engineer, control):
    exemption = propose(engineer, [control])
    client.force_login(ciso)

    page = client.get("/inbox/").text
    proposals = section(page, "exemptions_to_decide")
    assert "Legacy VPN" in proposals and "A.8.20" in proposals
    assert ">Approve</button>" in proposals and ">Refuse</button>" in proposals

    response = client.post(f"/inbox/exemptions/{exemption.pk}/decide/", {"decision": "approve"}, **HTMX)

    assert "Approved “Legacy VPN”." in response.text
    assert Exemption.objects.get(pk=exemption.pk).state == "active"
    assert "No exemption proposal waits for your decision." in section(response.text, "exemptions_to_decide")


def test_refusing_a_proposal_needs_a_reason_which_the_audit_trail_keeps(client, ciso, engineer, control):
    exemption = propose(engineer, [control])
    client.force_login(ciso)

    without = client.post(f"/inbox/exemptions/{exemption.pk}/decide/", {"decision": "refuse", "reason": " "}, **HTMX)
    assert "Say why you refuse it." in without.text
    assert Exemption.objects.get(pk=exemption.pk).state == "proposed"

    reason = "Segment the appliance instead; the VLAN is ready."
    refused = client.post(f"/inbox/exemptions/{exemption.pk}/decide/", {"decision": "refuse", "reason": reason}, **HTMX)

    assert "Refused “Legacy VPN”." in refused.text
    assert Exemption.objects.get(pk=exemption.pk).state == "revoked"
    event = AuditEvent.objects.get(verb=AuditVerb.EXEMPTION_REVOKED)
    assert event.details == {"was": "proposed", "reason": reason} and event.actor == ciso


def test_what_the_engineer_is_told_is_the_word_on_the_ciso_buttons(client, ciso, engineer, control):
    client.force_login(engineer)
    assert "The CISO approves or refuses it" in client.get(control.get_absolute_url()).text
    exemption = propose(engineer, [control])

    client.force_login(ciso)
    page = client.get(control.get_absolute_url()).text
    assert re.search(r">Approve<span", page) and re.search(r">Refuse<span", page)
    assert not re.search(r">Revoke<span", page)  # revoking is for exemptions in force

    refused = client.post(
        f"{control.get_absolute_url()}exemptions/{exemption.pk}/revoke/", {"reason": "Not acceptable"}, **HTMX
    )
    assert "Refused “Legacy VPN”." in refused.text
    assert AuditEvent.objects.get(verb=AuditVerb.EXEMPTION_REVOKED).details["reason"] == "Not acceptable"


def test_an_engineers_inbox_lists_their_controls_that_need_work_requests_and_questions(
    client, ciso, engineer, auditor, catalogs
):
    network, segregation, fine = own(ciso, engineer, "A.8.20", "A.8.22", "A.8.23")
    failing(network)
    ControlState.objects.update_or_create(
        control=fine, defaults={"automated_status": "passing", "evidence_count": 1, "evidence_fresh_until": None}
    )
    ControlState.objects.update_or_create(
        control=segregation,
        defaults={"evidence_count": 2, "evidence_fresh_until": timezone.now() + timedelta(days=5)},
    )
    evidence_request_open(control=network, actor=auditor, what="Firewall review", due=timezone.localdate())
    services.control_comment_add(control=segregation, actor=auditor, body="Who reviews the VLAN plan?")
    client.force_login(engineer)

    page = client.get("/inbox/").text

    work = section(page, "controls_needing_work")
    assert "A.8.20" in work and "2 checks failing" in work
    assert "A.8.22" in work and "evidence valid until" in work  # going stale within 14 days
    assert "A.8.23" not in work
    assert "Firewall review" in section(page, "requests_to_me")
    assert "Who reviews the VLAN plan?" in section(page, "questions_on_my_controls")
    assert ">Inbox (4)</a>" in page  # two controls, one request, one question


def test_the_navigation_counts_what_waits_for_each_person(client, ciso, engineer, auditor, control):
    services.control_update(control=control, actor=ciso, owner=engineer)
    evidence_request_open(control=control, actor=auditor, what="Firewall review", due=timezone.localdate())
    services.control_comment_add(control=control, actor=auditor, body="Is port 22 open on purpose?")
    expected = {engineer: 3, auditor: 2}  # A.8.20 (no evidence), the request, the question; the auditor's two
    for person, count in expected.items():
        client.force_login(person)
        assert f">Inbox ({count})</a>" in client.get("/controls/").text


def test_an_auditors_inbox_lists_their_open_requests_and_questions(client, ciso, engineer, auditor, control):
    services.control_update(control=control, actor=ciso, owner=engineer)
    evidence_request_open(control=control, actor=auditor, what="Firewall review", due=timezone.localdate())
    question = services.control_comment_add(control=control, actor=auditor, body="Is port 22 open on purpose?")
    client.force_login(auditor)

    page = client.get("/inbox/").text
    assert "Firewall review" in section(page, "my_requests")
    assert "Is port 22 open on purpose?" in section(page, "my_open_questions")

    services.control_comment_add(control=control, actor=engineer, body="No: SEC-41 closes it.", parent=question)
    assert "None of your questions is waiting" in section(client.get("/inbox/").text, "my_open_questions")


def test_a_new_engineer_is_told_how_to_get_controls(client, engineer, catalogs):
    client.force_login(engineer)
    page = client.get("/controls/?owner=me").text
    assert "No control matches these filters" not in page
    assert "Controls are assigned by the CISO" in page and "?owner=nobody&amp;applicable=yes" in page


def _inbox_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/inbox/").status_code == 200
    return len(queries)


def _work_for_everyone(ciso, engineer, auditor, refs: list[str]) -> None:
    for index, control in enumerate(own(ciso, engineer, *refs)):
        failing(control)
        evidence_request_open(control=control, actor=auditor, what=f"Review {index}", due=timezone.localdate())
        services.control_comment_add(control=control, actor=auditor, body=f"Question {index}")
        propose(engineer, [control], title=f"Exemption {index}")
        unowned = failing(ctrl(refs[index].replace("A.8.", "A.5.")))
        assert unowned.owner_id is None
    EvidenceRequest.objects.update(due=timezone.localdate() - timedelta(days=1))  # overdue, for the CISO


@pytest.mark.parametrize("who", ["ciso", "engineer", "auditor"])
def test_the_inbox_costs_the_same_queries_however_much_waits(client, request, ciso, engineer, auditor, catalogs, who):
    client.force_login(request.getfixturevalue(who))
    _work_for_everyone(ciso, engineer, auditor, ["A.8.1"])
    few = _inbox_queries(client)
    _work_for_everyone(ciso, engineer, auditor, [f"A.8.{n}" for n in range(2, 14)])
    assert _inbox_queries(client) == few


def test_the_proposer_is_told_the_decision_and_the_reason_of_a_refusal(
    client, ciso, engineer, control, eager_tasks, django_capture_on_commit_callbacks
):
    from django.core import mail

    engineer.email = "eli@example.com"
    engineer.save()
    exemption = propose(engineer, [control])
    client.force_login(ciso)
    reason = "Segment the appliance instead; the VLAN is ready."
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/inbox/exemptions/{exemption.pk}/decide/", {"decision": "refuse", "reason": reason}, **HTMX)

    (told,) = [message for message in mail.outbox if message.to == ["eli@example.com"]]
    assert "Your exemption proposals were refused" in told.body
    assert f"“Legacy VPN” on iso27001-2022 A.8.20 was refused by ciso: {reason}" in told.body
