"""Importing this package registers every AWS service group in SERVICE_GROUPS."""

from scanners.collectors.aws import awsconfig, backup, cloudtrail, ec2, ecr, elbv2, iam, inspector2, kms, rds, s3, vpc

__all__ = ["awsconfig", "backup", "cloudtrail", "ec2", "ecr", "elbv2", "iam", "inspector2", "kms", "rds", "s3", "vpc"]
