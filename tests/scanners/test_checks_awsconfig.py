"""AWS Config checks on plain documents."""

import pytest

from scanners.checks.base import Status
from tests.scanners.documents import Case, assert_case, case_id, doc, failed_read

CHECK = "awsconfig_recorder_records_all_resources"
CHANNELS = [{"name": "default", "s3_bucket": "config-records", "sns_topic": None}]


def recorder(**changes) -> dict:
    settings = {
        "name": "default",
        "all_supported": True,
        "strategy": "ALL_SUPPORTED_RESOURCE_TYPES",
        "include_global_types": True,
        "resource_types": [],
        "excluded_types": [],
        "recording": True,
        "last_status": "Success",
    }
    return {**settings, **changes}


def region(*recorders, channels=CHANNELS) -> dict:
    return doc("aws.config.region", recorders=list(recorders), delivery_channels=channels)


RECORDING = region(recorder())

CASES = [
    Case(CHECK, Status.PASS, RECORDING, "every type recorded and delivered", reason="records every resource type"),
    Case(CHECK, Status.FAIL, region(), "no recorder", reason="no configuration recorder"),
    Case(
        CHECK,
        Status.FAIL,
        region(
            recorder(all_supported=False, strategy="INCLUSION_BY_RESOURCE_TYPES", resource_types=["AWS::S3::Bucket"])
        ),
        "only some types",
        reason="does not record every type",
    ),
    Case(
        CHECK,
        Status.FAIL,
        region(recorder(all_supported=False, strategy="EXCLUSION_BY_RESOURCE_TYPES")),
        "types excluded",
        reason="does not record every type",
    ),
    Case(CHECK, Status.FAIL, region(recorder(recording=False)), "stopped", reason="is stopped"),
    Case(CHECK, Status.FAIL, region(recorder(), channels=[]), "no delivery channel", reason="no delivery channel"),
    Case(CHECK, Status.FAIL, region(recorder(last_status="Failure")), "recording fails", reason="last failed"),
    Case(CHECK, Status.ERROR, failed_read(RECORDING, "recorders"), "recorders unreadable", reason="access denied"),
    Case(CHECK, Status.ERROR, region(recorder(recording=None)), "no status", reason="status was not in the answer"),
    Case(
        CHECK,
        Status.ERROR,
        failed_read(RECORDING, "delivery_channels"),
        "channels unreadable",
        reason="delivery channels could not be read",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_awsconfig_check(case):
    assert_case(case)
