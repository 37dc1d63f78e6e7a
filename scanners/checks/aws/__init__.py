"""Importing this package registers every AWS check in REGISTRY."""

from scanners.checks.aws import (
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
