import boto3
import pytest

pytestmark = pytest.mark.integration


def test_boto3_reaches_the_moto_server_through_the_standard_endpoint_variable(aws):
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="evidence-probe", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["evidence-probe"]
    assert s3.meta.endpoint_url == aws
