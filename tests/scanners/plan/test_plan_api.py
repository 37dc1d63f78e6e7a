"""A pipeline posts its plan to /api/plan-checks/ with a token: it gets the results, and the check is kept as
evidence on the controls the checks evidence ("checked before deploy"), linked to the commit."""

from __future__ import annotations

import json

import pytest

from evidence.models import Evidence, EvidenceKind
from scanners.services import check_setting_change, cloud_account_create
from tests.api.conftest import token_client
from tests.scanners.plan.plans import plan_data

pytestmark = pytest.mark.django_db

URL = "/api/plan-checks/"
COMMIT = "9f1c2e3d4b5a69788796a5b4c3d2e1f001122334"


def post(client, body: dict):
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_a_pipeline_posts_a_plan_and_the_check_becomes_evidence_on_its_controls(engineer, catalogs):
    response = post(
        token_client(engineer),
        {"plan": plan_data("noncompliant"), "repository": "acme/infra", "commit": COMMIT},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    admin = next(
        item
        for item in body["results"]
        if item["check"] == "vpc_security_group_no_open_admin_ports" and item["address"] == "aws_security_group.admin"
    )
    assert admin["status"] == "fail" and "iso27001-2022:A.8.20" in admin["controls"]
    assert body["summary"]["fail"] > 0

    item = Evidence.objects.get(pk=body["evidence"])
    assert item.kind == EvidenceKind.AUTOMATED and item.collected_by == engineer
    assert item.title == "Checked before deploy: acme/infra@9f1c2e3d4b5a"
    assert item.url == f"https://github.com/acme/infra/commit/{COMMIT}"
    refs = {f"{control.framework.slug}:{control.ref}" for control in item.controls.select_related("framework")}
    assert {"iso27001-2022:A.8.20", "iso27001-2013:A.13.1.1", "soc2-2017:CC6.6", "iso27001-2022:A.8.24"} <= refs
    report = json.loads(item.file.read())
    assert report["commit"] == COMMIT and report["repository"] == "acme/infra"
    assert len(report["results"]) == len(body["results"])
    # The plan itself is not kept: its configuration holds the provider's settings, secrets included.
    assert set(report) == {"kind", "repository", "commit", "account", "checked_at", "summary", "settings", "results"}
    assert "provider_config" not in json.dumps(report) and "secret_key" not in json.dumps(report)


def test_the_account_settings_judge_the_posted_plan_and_are_stated(ciso, catalogs):
    account = cloud_account_create(name="prod", regions="eu-west-1")
    check_setting_change(
        account=account, check_id="s3_bucket_object_lock", key="buckets", value=["audit-*"], actor=ciso
    )
    response = post(token_client(ciso), {"plan": plan_data("noncompliant"), "account": "prod"})
    assert response.status_code == 200, response.content
    lock = [item for item in response.json()["results"] if item["check"] == "s3_bucket_object_lock"]
    assert {item["status"] for item in lock} == {"not_applicable"}
    report = json.loads(Evidence.objects.get(pk=response.json()["evidence"]).file.read())
    assert report["settings"]["s3_bucket_object_lock"]["buckets"] == {
        "value": ["audit-*"],
        "default": ["*"],
        "overridden": True,
    }


def test_an_auditor_cannot_post_a_plan(auditor, catalogs):
    response = post(token_client(auditor), {"plan": plan_data("compliant")})
    assert response.status_code == 403
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"plan": {"format_version": "0.2"}}, "plan", "is not a Terraform plan representation 1.x"),
        ({"plan": []}, "plan", "a plan is a JSON object"),
        ({}, "plan", "This field is required."),
        ({"plan": plan_data("compliant"), "account": "nowhere"}, "account", "No cloud account named nowhere."),
        ({"plan": plan_data("compliant"), "commit": "main; rm -rf"}, "commit", "hexadecimal hash"),
        ({"plan": plan_data("compliant"), "repository": "not a repo"}, "repository", "owner/name"),
    ],
)
def test_bad_input_is_a_clear_400_and_records_nothing(engineer, catalogs, body, field, message):
    response = post(token_client(engineer), body)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not Evidence.objects.exists()


def test_a_body_that_is_not_json_is_a_400(engineer):
    response = token_client(engineer).post(URL, "{", content_type="application/json")
    assert response.status_code == 400


def test_a_plan_over_the_size_limit_is_refused_before_it_is_read(engineer, catalogs, settings):
    settings.PLAN_CHECK_MAX_BYTES = 1024
    response = post(token_client(engineer), {"plan": plan_data("compliant")})
    assert response.status_code == 413
    assert response.json()["detail"] == "The plan is larger than 1024 bytes."
    assert not Evidence.objects.exists()


def test_reading_the_endpoint_is_not_a_thing(engineer):
    assert token_client(engineer).get(URL).status_code == 405
