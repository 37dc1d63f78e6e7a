"""Importing this package registers every AWS check in REGISTRY."""

from scanners.checks.aws import awsconfig, backup, cloudtrail, ec2, ecr, elbv2, iam, inspector2, kms, rds, s3, vpc

__all__ = ["awsconfig", "backup", "cloudtrail", "ec2", "ecr", "elbv2", "iam", "inspector2", "kms", "rds", "s3", "vpc"]
