"""Exemptions cannot change behind the approver's back: written once, decided once, by the same rules on
every path (control page, htmx, API, admin, services)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from compliance import services
from compliance.api import controls_with_state
from compliance.models import AuditEvent, AuditVerb, Control, Exemption, ExemptionIsDecided, ExemptionState
from tests.api.conftest import token_client
from tests.conftest import make_exemption

HTMX = {"HTTP_HX_REQUEST": "true"}
PATHS = ["page", "htmx", "api", "admin", "service"]


def iso(ref: str) -> Control:
    return Control.objects.select_related("framework").get(framework__slug="iso27001-2022", ref=ref)


def end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def propose(path: str, client, user, control: Control, *, title: str, day: date, replaces: Exemption | None = None):
    """File one proposal over `control` through `path`, as `user`; returns the response (None for the service)."""
    if path in ("page", "htmx"):
        client.force_login(user)
        page = f"/controls/{control.framework.slug}/{control.ref}/exemptions/propose/"
        data = {"title": title, "reason": "Vendor appliance", "expires_on": day.isoformat()}
        return client.post(page, data, **(HTMX if path == "htmx" else {}))
    if path == "api":
        body = {"title": title, "control": [control.tag.removeprefix("ctrl:")], "reason": "Vendor appliance"}
        body |= {"expires_at": end_of(day).isoformat(), "replaces": getattr(replaces, "pk", None)}
        return token_client(user).post("/api/exemptions/", body, format="json")
    if path == "admin":
        client.force_login(user)
        data = {"title": title, "controls": [control.pk], "reason": "Vendor appliance", "compensating_measures": ""}
        data |= {"expires_at_0": (day + timedelta(days=1)).isoformat(), "expires_at_1": "00:00:00"}
        data |= {"replaces": getattr(replaces, "pk", "")}
        return client.post(reverse("admin:compliance_exemption_add"), data)
    services.exemption_propose(
        controls=[control],
        title=title,
        reason="Vendor appliance",
        expires_at=end_of(day),
        actor=user,
        replaces=replaces,
    )
    return None


def refused(path: str, client, user, control: Control, *, title: str, day: date, message: str) -> None:
    before = Exemption.objects.count()
    if path == "service":
        with pytest.raises(ValidationError, match=message):
            propose(path, client, user, control, title=title, day=day)
    else:
        response = propose(path, client, user, control, title=title, day=day)
        assert response.status_code in (200, 400), response.status_code
        assert message in response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert Exemption.objects.count() == before


def approved(engineer, ciso, controls, title: str = "Legacy VPN", days: int = 60) -> Exemption:
    exemption = services.exemption_propose(
        controls=controls, title=title, reason="r", expires_at=timezone.now() + timedelta(days=days), actor=engineer
    )
    return services.exemption_approve(exemption=exemption, actor=ciso)


@pytest.mark.django_db
@pytest.mark.parametrize("user", ["engineer", "ciso"])
def test_an_approved_exemption_cannot_be_edited_in_the_admin(client, user, request, engineer, ciso, control):
    exemption = approved(engineer, ciso, [control])
    client.force_login(request.getfixturevalue(user))
    extra = [iso("A.8.21").pk, iso("A.8.22").pk, iso("A.8.23").pk]
    change = reverse("admin:compliance_exemption_change", args=[exemption.pk])
    data = {"title": "Legacy VPN", "controls": [control.pk, *extra], "reason": "r", "compensating_measures": ""}
    data |= {"expires_at_0": "2099-12-31", "expires_at_1": "00:00:00", "replaces": ""}

    assert client.post(change, data).status_code == 403
    history = reverse("admin:compliance_exemption_simple_history", args=[exemption.pk, exemption.history.earliest().pk])
    assert client.post(history, data).status_code == 403  # the "revert" form is no side door either
    api = token_client(request.getfixturevalue(user))
    body = {"expires_at": "2099-12-31T00:00:00Z", "control": ["iso27001-2022:A.8.21"]}
    assert api.patch(f"/api/exemptions/{exemption.pk}/", body, format="json").status_code == 405

    exemption.refresh_from_db()
    assert exemption.state == "active" and exemption.approved_by == ciso
    assert exemption.expires_at < timezone.now() + timedelta(days=61)
    assert list(exemption.controls.all()) == [control]


@pytest.mark.django_db
def test_an_admin_edit_cannot_revive_an_expired_exemption(client, ciso, control):
    expired = make_exemption([control], expires_at=timezone.now() - timedelta(days=1), approved_at=timezone.now())
    client.force_login(ciso)
    change = reverse("admin:compliance_exemption_change", args=[expired.pk])
    data = {"title": "Accepted risk", "controls": [control.pk], "reason": "r", "compensating_measures": ""}
    data |= {"expires_at_0": "2099-12-31", "expires_at_1": "00:00:00", "replaces": ""}
    assert client.post(change, data).status_code == 403
    assert Exemption.objects.get(pk=expired.pk).state == "expired"


@pytest.mark.django_db
def test_the_model_refuses_edits_and_control_changes_once_decided(engineer, ciso, control):
    exemption = approved(engineer, ciso, [control])
    exemption.expires_at = timezone.now() + timedelta(days=9000)
    refusals = [
        (exemption.save, "cannot be edited"),
        (lambda: exemption.controls.add(iso("A.8.21")), "controls of a decided exemption"),
        (lambda: iso("A.8.22").exemptions.add(exemption), "controls of a decided exemption"),  # the other side
        (exemption.controls.clear, "controls of a decided exemption"),
        (exemption.delete, "kept for the record"),
    ]
    for attempt, message in refusals:
        with pytest.raises(ExemptionIsDecided, match=message), transaction.atomic():
            attempt()
    exemption = Exemption.objects.get(pk=exemption.pk)
    exemption.approved_at = timezone.now() + timedelta(days=1)
    with pytest.raises(ExemptionIsDecided, match="already decided"), transaction.atomic():
        exemption.save(update_fields=["approved_at"])
    assert list(Exemption.objects.get(pk=exemption.pk).controls.all()) == [control]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_an_expiry_past_the_cap_is_refused_on_every_path(path, client, engineer, control):
    refused(path, client, engineer, control, title="Forever", day=date(2099, 1, 1), message="lasts at most 366 days")
    with override_settings(EXEMPTION_MAX_DAYS=30):
        late = timezone.localdate() + timedelta(days=31)
        refused(path, client, engineer, control, title="Too long", day=late, message="lasts at most 30 days")
        propose(path, client, engineer, control, title="Just right", day=timezone.localdate() + timedelta(days=30))
    assert Exemption.objects.get().title == "Just right"


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_the_same_proposal_cannot_be_filed_twice(path, client, engineer, ciso, control):
    day = timezone.localdate() + timedelta(days=30)
    propose("service", client, engineer, control, title="Legacy VPN", day=day)
    message = "“Legacy VPN” already covers these controls and is proposed"
    refused(path, client, engineer, control, title="legacy vpn ", day=day, message=message)

    services.exemption_approve(exemption=Exemption.objects.get(), actor=ciso)
    message = "is active; propose a replacement of it instead"
    refused(path, client, engineer, control, title="Legacy VPN", day=day, message=message)
    # Another title, or the same title over other controls, is another exemption.
    propose(path, client, engineer, control, title="Legacy VPN (EU)", day=day)
    propose(path, client, engineer, iso("A.8.21"), title="Legacy VPN", day=day)
    assert Exemption.objects.count() == 3


@pytest.mark.django_db
def test_the_ciso_cannot_approve_their_own_proposal_on_any_path(client, ciso, control):
    mine = services.exemption_propose(
        controls=[control], title="Mine", reason="r", expires_at=timezone.now() + timedelta(days=9), actor=ciso
    )
    client.force_login(ciso)
    page = f"/controls/{control.framework.slug}/{control.ref}/"
    assert "awaiting another approver" in client.get(page).text
    assert client.post(f"{page}exemptions/{mine.pk}/approve/", **HTMX).status_code == 403
    assert token_client(ciso).post(f"/api/exemptions/{mine.pk}/approve/").status_code == 403
    changelist = reverse("admin:compliance_exemption_changelist")
    response = client.post(changelist, {"action": "approve", "_selected_action": [mine.pk]}, follow=True)
    assert "someone else approves it" in response.text
    with pytest.raises(PermissionDenied):
        services.exemption_approve(exemption=mine, actor=ciso)
    assert Exemption.objects.get(pk=mine.pk).state == "proposed"

    with override_settings(EXEMPTION_SELF_APPROVAL=True):
        assert client.post(f"{page}exemptions/{mine.pk}/approve/", **HTMX).status_code == 200
    assert Exemption.objects.get(pk=mine.pk).state == "active"


@pytest.mark.django_db
def test_a_proposal_whose_end_has_passed_cannot_be_approved(engineer, ciso, control):
    stale = make_exemption([control], expires_at=timezone.now() - timedelta(minutes=1), requested_by=engineer)
    with pytest.raises(ValueError, match="end date has passed"):
        services.exemption_approve(exemption=stale, actor=ciso)
    assert Exemption.objects.get(pk=stale.pk).state == "proposed"


@pytest.mark.django_db
def test_a_change_is_a_replacement_that_ends_the_old_exemption_once_approved(client, engineer, ciso, control):
    old = approved(engineer, ciso, [control], days=20)
    proposal = token_client(engineer).post(
        "/api/exemptions/",
        {
            "title": "Legacy VPN",
            "control": [control.tag.removeprefix("ctrl:"), "iso27001-2022:A.8.21"],
            "reason": "Segmentation slipped to Q4",
            "expires_at": end_of(timezone.localdate() + timedelta(days=90)).isoformat(),
            "replaces": old.pk,
        },
        format="json",
    )
    assert proposal.status_code == 201, proposal.json()
    new = Exemption.objects.get(pk=proposal.json()["id"])
    assert Exemption.objects.get(pk=old.pk).state == "active"  # in force, unchanged, until the CISO decides
    again = propose("api", client, engineer, iso("A.8.22"), title="Other", day=timezone.localdate(), replaces=old)
    assert "already proposed" in again.text

    assert token_client(ciso).post(f"/api/exemptions/{new.pk}/approve/").json()["state"] == "active"
    assert Exemption.objects.get(pk=old.pk).state == "replaced"
    assert token_client(ciso).get("/api/exemptions/", {"state": "replaced"}).json()["results"][0]["id"] == old.pk
    verbs = list(AuditEvent.objects.order_by("pk").values_list("verb", "subject_id", "actor__username"))
    assert verbs[-3:] == [
        (AuditVerb.EXEMPTION_PROPOSED, str(new.pk), "engineer"),
        (AuditVerb.EXEMPTION_APPROVED, str(new.pk), "ciso"),
        (AuditVerb.EXEMPTION_REPLACED, str(old.pk), "ciso"),
    ]
    with pytest.raises(ValidationError, match="replaced; only approved ones are replaced"):
        propose("service", client, engineer, control, title="Again", day=timezone.localdate(), replaces=old)


@pytest.mark.django_db
def test_the_history_keeps_the_controls_of_every_version(engineer, ciso, control):
    exemption = approved(engineer, ciso, [control, iso("A.8.21")])
    first, *_, last = exemption.history.order_by("history_id")
    assert {c.control_id for c in last.controls.all()} == {control.pk, iso("A.8.21").pk}
    assert (first.history_type, first.history_user) == ("+", engineer)
    assert (last.approved_by, last.history_user) == (ciso, ciso)


@pytest.mark.django_db
def test_the_state_method_and_the_filters_are_one_rule(engineer, ciso, control):
    now = timezone.now()
    made = {
        "proposed": make_exemption([control], title="p", expires_at=now + timedelta(days=5)),
        "active": make_exemption([control], title="a", expires_at=now + timedelta(days=5), approved_at=now),
        "expired": make_exemption([control], title="e", expires_at=now - timedelta(days=1), approved_at=now),
        "revoked": services.exemption_revoke(exemption=approved(engineer, ciso, [control], "r"), actor=ciso),
    }
    made["replaced"] = made["active"]
    replacement = services.exemption_propose(
        controls=[control],
        title="n",
        reason="r",
        expires_at=now + timedelta(9),
        actor=engineer,
        replaces=made["active"],
    )
    made["active"] = services.exemption_approve(exemption=replacement, actor=ciso)
    made["replaced"].refresh_from_db()
    for state in ExemptionState:
        assert made[state].state == state
        assert list(Exemption.objects.in_state(state).filter(pk__in=[e.pk for e in made.values()])) == [made[state]]
    assert controls_with_state().get(pk=control.pk).active_exemptions == 1  # the replacement only
