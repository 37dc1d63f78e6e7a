"""EC2 compute and storage collected from the moto server over HTTP, then judged by the checks."""

from dataclasses import asdict

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import REGISTRY, Result, Status
from tests.scanners.documents import Scan, scan
from tests.scanners.fault_injection import action, faulty_endpoint
from tests.scanners.local_ec2 import locked_snapshot, locked_snapshots_call, locked_snapshots_page

pytestmark = pytest.mark.integration

IMAGE_ID = "ami-12c6146b"  # moto's built-in image, present even without the default AMI catalogue


def tagged(name: str, kind: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


@pytest.fixture
def compute(aws):
    """Ireland: encryption by default, an encrypted and a plain volume, a private and a public snapshot and
    image, one instance. Virginia: nothing configured."""
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    ec2.enable_ebs_encryption_by_default()
    sealed = ec2.create_volume(
        Size=8, AvailabilityZone="eu-west-1a", Encrypted=True, TagSpecifications=tagged("data-sealed", "volume")
    )
    plain = ec2.create_volume(
        Size=8, AvailabilityZone="eu-west-1a", Encrypted=False, TagSpecifications=tagged("data-plain", "volume")
    )
    ec2.create_snapshot(VolumeId=sealed["VolumeId"], TagSpecifications=tagged("snap-private", "snapshot"))
    shared = ec2.create_snapshot(VolumeId=plain["VolumeId"], TagSpecifications=tagged("snap-public", "snapshot"))
    ec2.modify_snapshot_attribute(
        SnapshotId=shared["SnapshotId"], Attribute="createVolumePermission", OperationType="add", GroupNames=["all"]
    )
    instance = ec2.run_instances(
        ImageId=IMAGE_ID,
        MinCount=1,
        MaxCount=1,
        TagSpecifications=tagged("app-server", "instance"),
        MetadataOptions={"HttpTokens": "required"},
    )["Instances"][0]["InstanceId"]
    ec2.run_instances(ImageId=IMAGE_ID, MinCount=1, MaxCount=1, TagSpecifications=tagged("legacy-server", "instance"))
    ec2.create_image(InstanceId=instance, Name="golden-private")
    public = ec2.create_image(InstanceId=instance, Name="golden-public")["ImageId"]
    ec2.modify_image_attribute(ImageId=public, LaunchPermission={"Add": [{"Group": "all"}]})


def test_compute_and_storage_are_judged_end_to_end(compute):
    result = scan("ec2", regions=("eu-west-1", "us-east-1"))

    assert not result.errors
    assert result.status("ec2_volume_encrypted", "data-sealed") == Status.PASS
    assert result.status("ec2_volume_encrypted", "data-plain") == Status.FAIL
    assert result.status("ec2_snapshot_encrypted", "snap-private") == Status.PASS
    assert result.status("ec2_snapshot_encrypted", "snap-public") == Status.FAIL
    assert result.status("ec2_snapshot_not_public", "snap-private") == Status.PASS
    assert result.status("ec2_snapshot_not_public", "snap-public") == Status.FAIL
    assert result.status("ec2_ami_not_public", "golden-private") == Status.PASS
    assert result.status("ec2_ami_not_public", "golden-public") == Status.FAIL
    # moto has no EC2-Classic, so only the compliant side can be seen end to end (the other is a unit test).
    assert result.status("ec2_instance_in_vpc", "app-server") == Status.PASS
    assert result.status("ec2_instance_imdsv2_required", "app-server") == Status.PASS
    assert result.status("ec2_instance_imdsv2_required", "legacy-server") == Status.FAIL


def test_ebs_encryption_by_default_is_judged_per_region(compute):
    result = scan("ec2", regions=("eu-west-1", "us-east-1"))

    assert result.status("ec2_ebs_encryption_by_default", "EC2 settings in eu-west-1") == Status.PASS
    assert result.status("ec2_ebs_encryption_by_default", "EC2 settings in us-east-1") == Status.FAIL
    settings = result.named("EC2 settings in eu-west-1")
    assert settings.uid == "123456789012/eu-west-1/ec2-settings"
    assert settings.region == "eu-west-1"


def test_documents_carry_arns_tags_and_plain_json(compute):
    result = scan("ec2")
    volume = result.named("data-sealed")
    assert volume.uid.startswith("arn:aws:ec2:eu-west-1:123456789012:volume/vol-")
    assert volume.tags == {"Name": "data-sealed"}
    snapshot = result.named("snap-private")
    assert isinstance(snapshot.config["started"], str), "dates are stored as ISO 8601 strings"


def test_terminated_instances_are_not_inventoried(aws):
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    gone = ec2.run_instances(ImageId=IMAGE_ID, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[gone])

    assert [item for item in scan("ec2").documents if item.type == "aws.ec2.instance"] == []


def snapshot_lock_of(result: Scan, name: str, **settings) -> Result:
    return REGISTRY["ec2_snapshot_locked"].run(asdict(result.named(name, "aws.ec2.snapshot")), settings)


@pytest.fixture
def backups(aws) -> dict[str, str]:
    """Three nightly copies of one volume, by name: their snapshot ids."""
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    volume = ec2.create_volume(Size=8, AvailabilityZone="eu-west-1a", Encrypted=True)["VolumeId"]
    names = ("nightly-governance", "nightly-compliance", "nightly-unlocked")
    return {
        name: ec2.create_snapshot(VolumeId=volume, TagSpecifications=tagged(name, "snapshot"))["SnapshotId"]
        for name in names
    }


def test_kept_snapshots_are_judged_on_their_locks_read_page_by_page(aws, backups, monkeypatch):
    # moto has no DescribeLockedSnapshots: the endpoint answers it in AWS's shape, over two pages.
    with faulty_endpoint(aws) as endpoint:
        first = [locked_snapshot(backups["nightly-governance"], "governance")]
        second = [locked_snapshot(backups["nightly-compliance"], "compliance", days=365)]
        endpoint.reply(locked_snapshots_call(), locked_snapshots_page(first, next_token="page-2"))
        endpoint.reply(locked_snapshots_call(next_token="page-2"), locked_snapshots_page(second))
        monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", endpoint.url)
        result = scan("ec2", factory=ClientFactory(max_attempts=1))

    assert len(endpoint.faulted) == 2
    every_snapshot_kept = {"kept_after_days": 0}
    governance = snapshot_lock_of(result, "nightly-governance", **every_snapshot_kept)
    assert governance.status == Status.PASS and "governance mode until 2027-01-01" in governance.reason
    assert snapshot_lock_of(result, "nightly-compliance", **every_snapshot_kept).status == Status.PASS
    unlocked = snapshot_lock_of(result, "nightly-unlocked", **every_snapshot_kept)
    assert unlocked.status == Status.FAIL and "not locked" in unlocked.reason
    # With the default settings a snapshot taken today is not kept yet.
    assert snapshot_lock_of(result, "nightly-unlocked").status == Status.NOT_APPLICABLE


def test_unreadable_locks_make_kept_snapshots_errors_and_nothing_else(aws, backups, monkeypatch):
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(action("DescribeLockedSnapshots"), status=403, code="UnauthorizedOperation", protocol="ec2")
        monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", endpoint.url)
        result = scan("ec2", factory=ClientFactory(max_attempts=1))

    assert endpoint.faulted and not result.errors
    refused = snapshot_lock_of(result, "nightly-governance", kept_after_days=0)
    assert refused.status == Status.ERROR and "UnauthorizedOperation" in refused.reason
    assert result.status("ec2_snapshot_encrypted", "nightly-governance") == Status.PASS
