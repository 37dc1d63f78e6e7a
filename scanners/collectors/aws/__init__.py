"""Importing this package registers every AWS service group in SERVICE_GROUPS."""

from scanners.collectors.aws import backup, cloudtrail, ec2, elbv2, guardduty, iam, kms, logs, rds, s3, securityhub, vpc

__all__ = ["backup", "cloudtrail", "ec2", "elbv2", "guardduty", "iam", "kms", "logs", "rds", "s3", "securityhub", "vpc"]
