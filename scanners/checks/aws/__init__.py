"""Importing this package registers every AWS check in REGISTRY."""

from scanners.checks.aws import (
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
