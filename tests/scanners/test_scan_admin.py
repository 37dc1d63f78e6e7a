"""Cloud accounts in the admin: the CISO adds and schedules them; others read; keys are never stored."""

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from scanners.models import CloudAccount, ScanRun

pytestmark = pytest.mark.django_db

FORM = {
    "name": "prod",
    "provider": "aws",
    "account_id": "",
    "role_arn": "arn:aws:iam::111122223333:role/ControlTraceAudit",
    "external_id": "ct-7f3a",
    "enabled": "on",
    "regions_text": "eu-west-1,us-east-1",
    "schedule_text": "0 3 * * *",
}


def test_the_ciso_adds_an_account_with_its_schedule_in_the_admin(client, ciso):
    client.force_login(ciso)
    response = client.post(reverse("admin:scanners_cloudaccount_add"), FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    account = CloudAccount.objects.get(name="prod")
    assert account.regions == ["eu-west-1", "us-east-1"]
    task = PeriodicTask.objects.get(cloud_account=account)
    assert (task.crontab.minute, task.crontab.hour, task.enabled) == ("0", "3", True)

    change = reverse("admin:scanners_cloudaccount_change", args=[account.pk])
    assert "0 3 * * *" in client.get(change).content.decode()
    client.post(change, {**FORM, "enabled": "", "schedule_text": "12h"})
    task.refresh_from_db()
    assert (task.interval.every, task.crontab, task.enabled) == (12, None, False)


def test_a_bad_schedule_or_region_is_shown_on_the_form(client, ciso):
    client.force_login(ciso)
    response = client.post(
        reverse("admin:scanners_cloudaccount_add"), {**FORM, "schedule_text": "sometimes", "regions_text": "moon"}
    )
    assert response.status_code == 200
    assert "Not an AWS region name: moon" in response.content.decode()
    assert not CloudAccount.objects.exists() and not PeriodicTask.objects.filter(task__startswith="scanners.").exists()


def test_engineers_and_auditors_can_read_accounts_but_not_add_them(client, engineer, auditor, cloud_account):
    for person in (engineer, auditor):
        client.force_login(person)
        assert client.get(reverse("admin:scanners_cloudaccount_changelist")).status_code == 200
        assert client.post(reverse("admin:scanners_cloudaccount_add"), FORM).status_code == 403


def test_scan_records_are_read_only_even_for_the_ciso(client, ciso, fake_cloud, cloud_account, catalogs):
    from scanners import engine

    fake_cloud.seed_default()
    run = engine.scan_run_sync(run_id=ScanRun.objects.create(account=cloud_account).pk)
    client.force_login(ciso)
    for name in ("scanrun", "scanunit", "resource", "finding", "checkstatus"):
        assert client.get(reverse(f"admin:scanners_{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:scanners_{name}_add")).status_code == 403
    page = client.get(reverse("admin:scanners_scanrun_change", args=[run.pk])).content.decode()
    assert "fake-network" in page


def test_no_field_can_hold_an_access_key():
    names = {field.name for field in CloudAccount._meta.get_fields()}
    assert not any(word in name for name in names for word in ("secret", "access_key", "password", "token"))
