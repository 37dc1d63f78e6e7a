"""Importing this package registers every AWS service group in SERVICE_GROUPS."""

from scanners.collectors.aws import (
    awsconfig,
    backup,
    cloudtrail,
    cloudwatch,
    ec2,
    ecr,
    elbv2,
    guardduty,
    iam,
    inspector2,
    kms,
    logs,
    rds,
    s3,
    securityhub,
    vpc,
)

__all__ = [
    "awsconfig",
    "backup",
    "cloudtrail",
    "cloudwatch",
    "ec2",
    "ecr",
    "elbv2",
    "guardduty",
    "iam",
    "inspector2",
    "kms",
    "logs",
    "rds",
    "s3",
    "securityhub",
    "vpc",
]
