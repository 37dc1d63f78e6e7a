"""The CISO manages people in the app: invitations by email, roles and access dates, deactivation, with history."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import unquote

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Membership, Role
from accounts.tokens import ApiToken, api_token_create
from compliance.models import AuditEvent, AuditVerb
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def invite(client, ciso, email="ada@example.com", role="auditor", last_day=""):
    client.force_login(ciso)
    return client.post(reverse("people-invite"), {"email": email, "role": role, "last_day": last_day})


def emailed_link(index: int = -1) -> str:
    return re.search(r"http://testserver(/invitation/\?token=\S+)", mail.outbox[index].body).group(1)


def verbs() -> list[str]:
    return list(AuditEvent.objects.filter(actor__isnull=False).order_by("pk").values_list("verb", flat=True))


def test_only_the_ciso_opens_the_people_page(client, ciso, engineer, auditor):
    for person, status in ((engineer, 403), (auditor, 403), (ciso, 200)):
        client.force_login(person)
        assert client.get("/people/").status_code == status
    client.logout()
    assert client.get("/people/").status_code == 302


def test_the_people_page_lists_role_access_end_last_sign_in_and_state(client, ciso, engineer, auditor):
    client.force_login(ciso)
    page = client.get("/people/").text
    assert "Auditor" in page and "Engineer" in page and "never" in page
    assert auditor.membership.last_day.strftime("%-d %b %Y") in page
    assert 'href="/people/"' in page, "the People link is in the CISO's navigation"


def test_the_people_page_costs_the_same_queries_for_many_people(
    client, ciso, django_user_model, django_assert_max_num_queries
):
    client.force_login(ciso)
    for index in range(3):
        make_member(django_user_model, f"few{index}", Role.ENGINEER)
    with django_assert_max_num_queries(9) as few:
        client.get("/people/")
    for index in range(30):
        make_member(django_user_model, f"many{index}", Role.AUDITOR)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/people/").status_code == 200


def test_an_invited_auditor_sets_a_password_and_joins_once(client, ciso):
    last_day = timezone.localdate() + timedelta(days=30)
    assert invite(client, ciso, last_day=last_day.isoformat()).status_code == 302
    [email] = mail.outbox
    assert email.to == ["ada@example.com"] and "as Auditor" in email.body
    assert f"with access until {last_day:%-d %b %Y}." in email.body
    link = emailed_link()

    client.logout()
    opened = client.get(link)
    assert opened.status_code == 302 and opened.url == "/invitation/accept/", "the token leaves the URL at once"
    form = client.get("/invitation/accept/")
    assert form.status_code == 200 and "ada@example.com" in form.text and form["Cache-Control"] == "no-store"
    password = {"new_password1": "long-enough-pw-1", "new_password2": "long-enough-pw-1"}
    joined = client.post("/invitation/accept/", password)
    assert joined.status_code == 302

    membership = Membership.objects.select_related("user").get(user__email="ada@example.com")
    assert (membership.role, membership.last_day) == (Role.AUDITOR, last_day)
    assert membership.user.check_password("long-enough-pw-1")
    assert verbs() == [AuditVerb.PERSON_INVITED, AuditVerb.ROLE_GRANTED, AuditVerb.INVITATION_ACCEPTED]
    granted = AuditEvent.objects.get(verb=AuditVerb.ROLE_GRANTED, actor__isnull=False)
    assert granted.actor == ciso, "the role is granted by the CISO who invited"

    client.logout()
    again = client.get(link, follow=True)
    assert again.status_code == 410 and "not valid" in again.text
    assert Membership.objects.filter(user__email="ada@example.com").count() == 1


def test_the_link_secret_is_never_stored(client, ciso):
    invite(client, ciso)
    secret = unquote(emailed_link().partition("=")[2]).split(":")[0]
    invitation = Invitation.objects.get()
    stored = [*Invitation.objects.values().get().values(), *Invitation.history.values().get().values()]
    assert invitation.digest and all(secret not in str(value) for value in stored)
    assert "digest" not in {field.attname for field in Invitation.history.model._meta.fields}


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda link: link.replace("%3A", "%3Ax", 1), id="changed link"),
        pytest.param(lambda link: link[:-5] + "AAAAA", id="changed signature"),
    ],
)
def test_a_changed_link_is_refused(client, ciso, spoil):
    invite(client, ciso)
    client.logout()
    response = client.get(spoil(emailed_link()), follow=True)
    assert response.status_code == 410
    assert not Membership.objects.filter(user__email="ada@example.com").exists()


def test_an_expired_or_revoked_invitation_is_refused(client, ciso, clock, settings):
    invite(client, ciso, email="late@example.com")
    late = emailed_link()
    invite(client, ciso, email="revoked@example.com")
    revoked = emailed_link()
    client.post(reverse("invitation-revoke", args=[Invitation.objects.get(email="revoked@example.com").pk]))
    client.logout()
    assert client.get(revoked, follow=True).status_code == 410

    clock(timezone.now() + timedelta(days=settings.INVITATION_DAYS, minutes=1))
    assert client.get(late, follow=True).status_code == 410
    assert AuditVerb.INVITATION_REVOKED in verbs()


def test_a_second_invitation_replaces_the_first(client, ciso):
    invite(client, ciso, role="engineer")
    first = emailed_link()
    invite(client, ciso, role="auditor")
    client.logout()
    assert client.get(first, follow=True).status_code == 410
    assert Invitation.objects.open().get().role == Role.AUDITOR


def test_inviting_someone_who_has_an_account_is_refused(client, ciso, engineer):
    engineer.email = "eli@example.com"
    engineer.save()
    response = invite(client, ciso, email="ELI@example.com")
    assert response.status_code == 400 and "already has an account" in response.text
    assert not mail.outbox and not Invitation.objects.exists()


def test_a_signed_in_person_cannot_accept_an_invitation_and_the_refusal_logs_no_secret(client, ciso, engineer, caplog):
    invite(client, ciso)
    client.force_login(engineer)
    link = emailed_link()
    response = client.get(link)
    assert response.status_code == 403 and "sign out first" in response.text
    assert Invitation.objects.open().exists()
    secret = unquote(link.partition("=")[2]).split(":")[0]
    assert "Forbidden" in caplog.text and secret not in caplog.text


def test_the_ciso_changes_a_role_and_an_access_end(client, ciso, engineer):
    client.force_login(ciso)
    last_day = timezone.localdate() + timedelta(days=10)
    response = client.post(
        reverse("person-change", args=[engineer.pk]), {"role": "auditor", "last_day": last_day.isoformat()}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=engineer)
    assert (membership.role, membership.last_day) == (Role.AUDITOR, last_day)
    event = AuditEvent.objects.get(verb=AuditVerb.ROLE_CHANGED)
    assert event.actor == ciso and event.details["before"]["role"] == "engineer"


def test_an_access_end_in_the_past_is_refused(client, ciso, engineer):
    client.force_login(ciso)
    client.post(reverse("person-change", args=[engineer.pk]), {"role": "auditor", "last_day": "2020-01-01"})
    assert Membership.objects.get(user=engineer).role == Role.ENGINEER


def test_the_last_ciso_cannot_give_up_the_role_or_be_deactivated(client, ciso):
    client.force_login(ciso)
    changed = client.post(reverse("person-change", args=[ciso.pk]), {"role": "engineer"}, follow=True)
    assert services.LAST_CISO in changed.text
    deactivated = client.post(reverse("person-deactivate", args=[ciso.pk]), follow=True)
    assert services.LAST_CISO in deactivated.text
    ciso.refresh_from_db()
    assert ciso.is_active and ciso.membership.role == Role.CISO


def test_with_a_second_ciso_the_first_can_step_down(client, ciso, django_user_model):
    make_member(django_user_model, "ciso2", Role.CISO)
    client.force_login(ciso)
    client.post(reverse("person-change", args=[ciso.pk]), {"role": "engineer"})
    assert Membership.objects.get(user=ciso).role == Role.ENGINEER


def test_deactivating_ends_sessions_and_revokes_tokens(client, ciso, engineer):
    from django.test import Client

    engineer_browser = Client()
    engineer_browser.force_login(engineer)
    assert engineer_browser.get("/controls/").status_code in (200, 403)  # signed in
    token = api_token_create(user=engineer, name="CI").token

    client.force_login(ciso)
    assert client.post(reverse("person-deactivate", args=[engineer.pk])).status_code == 302

    engineer.refresh_from_db()
    assert not engineer.is_active
    assert ApiToken.objects.get(pk=token.pk).revoked_by == ciso
    assert engineer_browser.get("/people/").status_code == 302, "signed out"
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(engineer.pk)]
    event = AuditEvent.objects.get(verb=AuditVerb.ACCOUNT_DEACTIVATED)
    assert (event.actor, event.details) == (ciso, {"tokens_revoked": 1, "sessions_ended": 1})
    assert client.post("/login/", {"username": "engineer", "password": "pw-engineer"}).status_code == 200


def test_the_ciso_on_a_403_is_not_told_to_ask_their_ciso(client, ciso, engineer, control):
    from compliance import services as register

    exemption = register.exemption_propose(
        controls=[control], title="Legacy", reason="r", expires_at=timezone.now() + timedelta(days=9), actor=ciso
    )
    client.force_login(ciso)
    refused = client.post(f"{control.get_absolute_url()}exemptions/{exemption.pk}/approve/")
    assert refused.status_code == 403, "four eyes: a CISO does not approve their own proposal"
    assert "ask your CISO" not in refused.text and "ask another CISO" in refused.text
    client.force_login(engineer)
    assert "A CISO grants roles on the People page" in client.get("/people/").text


def test_access_until_a_day_lasts_through_that_day(ciso, engineer):
    last_day = date.today() + timedelta(days=3)
    membership = services.membership_change_role(
        membership=engineer.membership, role=Role.AUDITOR, expires_at=None, actor=ciso
    )
    from accounts.models import access_end

    membership.expires_at = access_end(last_day)
    assert membership.last_day == last_day
    assert timezone.localtime(membership.expires_at).date() == last_day + timedelta(days=1)


def test_the_demo_people_are_reset_through_the_same_services():
    from accounts.demo import demo_users_reset

    demo_users_reset()
    engineer = Membership.objects.get(user__username="engineer")
    services.membership_change_role(membership=engineer, role=Role.AUDITOR, expires_at=None, actor=None)
    demo_users_reset()
    assert sorted(Membership.objects.values_list("user__username", "role")) == [
        ("auditor", Role.AUDITOR),
        ("ciso", Role.CISO),
        ("engineer", Role.ENGINEER),
    ]
    changes = AuditEvent.objects.filter(verb=AuditVerb.ROLE_CHANGED, subject_label="engineer")
    assert [event.details["role"] for event in changes.order_by("pk")] == [Role.AUDITOR, Role.ENGINEER]
