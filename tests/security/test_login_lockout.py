"""Guessing passwords: failures lock the username and the address (django-axes), and the CISO sees who and where."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings

pytestmark = pytest.mark.django_db


def sign_in(client, username: str, password: str, address: str = "198.51.100.7"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_after_repeated_failures_even_the_right_password_is_refused_with_a_clear_message(client, engineer):
    answers = [sign_in(client, "engineer", f"guess-{n}").status_code for n in range(100)]
    assert answers[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(answers[settings.AXES_FAILURE_LIMIT :]) == {429}
    response = sign_in(client, "engineer", "pw-engineer")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "Too many failed sign-ins" in response.content.decode() and "15 minutes" in response.content.decode()


def test_the_username_is_locked_whatever_address_the_guesses_come_from(client, engineer):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "engineer", "wrong", address=f"203.0.113.{n + 1}")
    assert sign_in(client, "engineer", "pw-engineer", address="192.0.2.50").status_code == 429


def test_the_address_is_locked_whatever_usernames_it_tries(client, engineer, ciso):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"someone-{n}", "wrong", address="203.0.113.9")
    assert sign_in(client, "ciso", "pw-ciso", address="203.0.113.9").status_code == 429
    # Another person, from elsewhere, is not affected.
    response = sign_in(client, "engineer", "pw-engineer", address="192.0.2.60")
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(engineer.pk)


def test_a_success_before_the_limit_starts_the_count_again(client, engineer):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "engineer", "wrong")
    assert sign_in(client, "engineer", "pw-engineer").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "engineer", "wrong")
    assert sign_in(client, "engineer", "pw-engineer").status_code == 302


def test_the_ciso_sees_the_lockout_in_the_admin_and_unlocks_it(client, engineer, ciso):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "engineer", "wrong", address="203.0.113.20")
    assert AccessFailureLog.objects.filter(username="engineer").count() == settings.AXES_FAILURE_LIMIT
    client.force_login(ciso)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "203.0.113.20" in listing.content.decode()
    assert client.get("/admin/axes/accessfailurelog/").status_code == 200
    attempt = AccessAttempt.objects.get(username="engineer")
    unlock = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert unlock.status_code == 302 and not AccessAttempt.objects.exists()
    client.logout()
    assert sign_in(client, "engineer", "pw-engineer", address="192.0.2.70").status_code == 302


@pytest.mark.parametrize("who", ["engineer", "auditor"])
def test_only_the_ciso_sees_who_failed_to_sign_in_from_where(client, request, who):
    client.force_login(request.getfixturevalue(who))
    for path in ["/admin/axes/accessattempt/", "/admin/axes/accessfailurelog/", "/admin/axes/accesslog/"]:
        assert client.get(path).status_code == 403
    assert b"axes" not in client.get("/admin/").content.lower()
