from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import roles
from accounts.models import Role
from compliance.models import Control

pytestmark = pytest.mark.django_db


def test_each_role_is_what_its_membership_says(ciso, engineer, auditor):
    assert [roles.role_of(u) for u in (ciso, engineer, auditor)] == [Role.CISO, Role.ENGINEER, Role.AUDITOR]


def test_an_auditor_whose_access_has_expired_has_no_role(auditor):
    auditor.membership.expires_at = timezone.now() - timedelta(minutes=1)
    auditor.membership.save()
    auditor.refresh_from_db()
    assert roles.role_of(auditor) is None
    assert not roles.can_view(auditor)


def test_a_user_without_membership_sees_nothing(django_user_model, client, catalogs):
    stranger = django_user_model.objects.create_user("stranger", password="pw")
    client.force_login(stranger)
    response = client.get("/controls/")
    assert response.status_code == 403
    assert b"no role or has expired" in response.content


def test_engineers_edit_only_the_controls_they_own(catalogs, engineer, other_engineer):
    mine = Control.objects.get(framework__slug="iso27001-2022", ref="A.8.20")
    mine.owner = engineer
    mine.save()
    assert list(Control.objects.editable_by(engineer)) == [mine]
    assert not Control.objects.editable_by(other_engineer).exists()


def test_the_ciso_edits_everything_and_the_auditor_nothing(catalogs, ciso, auditor):
    assert Control.objects.editable_by(ciso).count() == Control.objects.count()
    assert not Control.objects.editable_by(auditor).exists()
    assert Control.objects.visible_to(auditor).count() == Control.objects.count()


def test_auditors_can_browse_the_admin_but_not_change_a_control(client, auditor, control):
    client.force_login(auditor)
    assert client.get(f"/admin/compliance/control/{control.pk}/change/").status_code == 200
    response = client.post(f"/admin/compliance/control/{control.pk}/change/", {"status": "implemented"})
    assert response.status_code == 403
    control.refresh_from_db()
    assert control.status == "not_started"
