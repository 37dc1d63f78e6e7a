"""Importing this package registers every AWS service group in SERVICE_GROUPS."""

from scanners.collectors.aws import (
    backup,
    cloudtrail,
    cloudwatch,
    ec2,
    elbv2,
    guardduty,
    iam,
    kms,
    logs,
    rds,
    s3,
    securityhub,
    vpc,
)

__all__ = [
    "backup",
    "cloudtrail",
    "cloudwatch",
    "ec2",
    "elbv2",
    "guardduty",
    "iam",
    "kms",
    "logs",
    "rds",
    "s3",
    "securityhub",
    "vpc",
]
