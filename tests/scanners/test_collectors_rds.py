"""RDS instances collected from the moto server over HTTP, then judged by the checks."""

import boto3
import pytest

from scanners.aws import ClientFactory
from scanners.checks.base import Status
from tests.scanners.documents import scan
from tests.scanners.fault_injection import action, faulty_endpoint

pytestmark = pytest.mark.integration

STORAGE = "rds_storage_autoscaling_or_alarm"

RDS_CHECKS = (
    "rds_instance_not_publicly_accessible",
    "rds_security_groups_from_app_only",
    "rds_storage_encrypted",
    "rds_automated_backups_enabled",
    "rds_deletion_protection_enabled",
)


@pytest.fixture
def databases(aws):
    """'orders' is private, encrypted, backed up, protected and reachable only from the app's group;
    'reports' is public, plain, without backups and open to the internet on 5432."""
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    rds = boto3.client("rds", region_name="eu-west-1")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    app = ec2.create_security_group(GroupName="app", Description="app servers", VpcId=vpc)["GroupId"]
    private = ec2.create_security_group(GroupName="orders-db", Description="from app", VpcId=vpc)["GroupId"]
    from_app = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app}]}
    ec2.authorize_security_group_ingress(GroupId=private, IpPermissions=[from_app])
    public = ec2.create_security_group(GroupName="reports-db", Description="open", VpcId=vpc)["GroupId"]
    from_anywhere = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    ec2.authorize_security_group_ingress(GroupId=public, IpPermissions=[from_anywhere])

    common = {"DBInstanceClass": "db.t3.micro", "Engine": "postgres", "AllocatedStorage": 20, "MasterUsername": "ct"}
    rds.create_db_instance(
        DBInstanceIdentifier="orders",
        MasterUserPassword="correct-horse-battery",
        PubliclyAccessible=False,
        StorageEncrypted=True,
        BackupRetentionPeriod=14,
        DeletionProtection=True,
        VpcSecurityGroupIds=[private],
        Tags=[{"Key": "data", "Value": "customer"}],
        **common,
    )
    rds.create_db_instance(
        DBInstanceIdentifier="reports",
        MasterUserPassword="correct-horse-battery",
        PubliclyAccessible=True,
        StorageEncrypted=False,
        BackupRetentionPeriod=0,
        DeletionProtection=False,
        VpcSecurityGroupIds=[public],
        **common,
    )


def test_databases_are_judged_end_to_end(databases):
    result = scan("rds")

    assert not result.errors
    for check_id in RDS_CHECKS:
        assert result.status(check_id, "orders") == Status.PASS, check_id
        assert result.status(check_id, "reports") == Status.FAIL, check_id
    assert "0.0.0.0/0" in result.result("rds_security_groups_from_app_only", "reports").reason
    assert result.named("orders").tags == {"data": "customer"}
    assert result.named("orders").uid == "arn:aws:rds:eu-west-1:123456789012:db:orders"


def test_storage_grows_or_is_watched(databases):
    """'orders' pages someone before its disk fills; 'reports' has neither autoscaling nor an alarm;
    'archive' grows on its own up to 200 GiB."""
    boto3.client("rds", region_name="eu-west-1").create_db_instance(
        DBInstanceIdentifier="archive",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MaxAllocatedStorage=200,
        MasterUsername="ct",
        MasterUserPassword="correct-horse-battery",
    )
    boto3.client("cloudwatch", region_name="eu-west-1").put_metric_alarm(
        AlarmName="orders-free-storage",
        Namespace="AWS/RDS",
        MetricName="FreeStorageSpace",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "orders"}],
        Statistic="Minimum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=2_000_000_000,
        ComparisonOperator="LessThanThreshold",
        AlarmActions=["arn:aws:sns:eu-west-1:123456789012:oncall"],
    )
    result = scan("rds")

    assert result.status(STORAGE, "archive") == Status.PASS
    assert "orders-free-storage" in result.result(STORAGE, "orders").reason
    assert result.status(STORAGE, "reports") == Status.FAIL


def test_alarms_that_cannot_be_read_leave_autoscaling_judged_and_the_rest_an_error(databases, monkeypatch):
    with faulty_endpoint(databases) as endpoint:
        endpoint.fail(action("DescribeAlarmsForMetric"), status=403, code="AccessDenied", protocol="query")
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", endpoint.url)
        result = scan("rds", factory=ClientFactory(max_attempts=1))

    denied = result.result(STORAGE, "orders")
    assert denied.status == Status.ERROR and "DescribeAlarmsForMetric" in denied.reason
    assert result.status("rds_storage_encrypted", "orders") == Status.PASS


@pytest.fixture
def analytics(aws):
    """'analytics' lives in its own VPC (10.40.0.0/16) and admits that VPC's private range on 5432."""
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    rds = boto3.client("rds", region_name="eu-west-1")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{index}.0/24", AvailabilityZone=f"eu-west-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in enumerate("ab")
    ]
    rds.create_db_subnet_group(DBSubnetGroupName="analytics", DBSubnetGroupDescription="private", SubnetIds=subnets)
    group = ec2.create_security_group(GroupName="analytics-db", Description="from the VPC", VpcId=vpc)["GroupId"]
    from_vpc = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.40.0.0/16"}]}
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[from_vpc])
    rds.create_db_instance(
        DBInstanceIdentifier="analytics",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="ct",
        MasterUserPassword="correct-horse-battery",
        DBSubnetGroupName="analytics",
        VpcSecurityGroupIds=[group],
    )


def test_a_database_group_admitting_its_vpcs_private_range_passes(databases, analytics):
    result = scan("rds")

    assert result.named("analytics").config["vpc_cidr_blocks"] == ["10.40.0.0/16"]
    within = result.result("rds_security_groups_from_app_only", "analytics")
    assert within.status == Status.PASS, within.reason
    public = result.result("rds_security_groups_from_app_only", "reports")
    assert public.status == Status.FAIL and "0.0.0.0/0 (public)" in public.reason


def test_unreadable_vpc_blocks_make_only_the_private_range_undecidable(aws, databases, analytics, monkeypatch):
    with faulty_endpoint(aws) as endpoint:
        endpoint.fail(action("DescribeVpcs"), status=403, code="UnauthorizedOperation", protocol="ec2")
        monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", endpoint.url)
        result = scan("rds", factory=ClientFactory(max_attempts=1))

    assert endpoint.faulted
    assert result.status("rds_security_groups_from_app_only", "analytics") == Status.ERROR
    assert result.status("rds_security_groups_from_app_only", "orders") == Status.PASS
    assert result.status("rds_security_groups_from_app_only", "reports") == Status.FAIL
