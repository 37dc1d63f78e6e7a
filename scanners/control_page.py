"""What the scanners add to a control's page: which sources evidence it, and through which checks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from compliance.models import Control
from scanners.checks import base as checks
from scanners.verdict import Speaks, checks_speaking_for

PROVIDERS = {"aws": "AWS", "github": "GitHub"}
# How practitioners name the services; a service missing here shows as its check module's name.
SERVICES = {
    "apigateway": "API Gateway",
    "autoscaling": "EC2 Auto Scaling",
    "awsconfig": "Config",
    "backup": "Backup",
    "cloudformation": "CloudFormation",
    "cloudfront": "CloudFront",
    "cloudtrail": "CloudTrail",
    "cloudwatch": "CloudWatch alarms",
    "codepipeline": "CodePipeline",
    "dnsfirewall": "Route 53 Resolver DNS Firewall",
    "ec2": "EC2",
    "ecr": "ECR",
    "elbv2": "Elastic Load Balancing",
    "github_org": "organisation",
    "github_repos": "repositories",
    "guardduty": "GuardDuty",
    "iam": "IAM",
    "inspector2": "Inspector",
    "kms": "KMS",
    "logs": "CloudWatch Logs",
    "macie2": "Macie",
    "organizations": "Organizations",
    "rds": "RDS",
    "s3": "S3",
    "securityhub": "Security Hub",
    "ssm": "Systems Manager",
    "vpc": "VPC",
    "vpcpeering": "VPC peering",
    "wafv2": "WAF",
}


@dataclass(frozen=True)
class SourceCheck:
    check: checks.Check
    speaks: Speaks


@dataclass(frozen=True)
class Source:
    provider: str
    service: str
    checks: tuple[SourceCheck, ...]

    @property
    def label(self) -> str:
        return f"{self.provider} {self.service}"


def source_of(check: checks.Check) -> tuple[str, str]:
    return PROVIDERS.get(check.provider, check.provider), SERVICES.get(check.service, check.service)


def automated_sources(control: Control) -> list[Source]:
    """The sources whose checks decide this control's automated status (scanners.verdict's rule), by source."""
    registry = {check.id: check for check in checks.all_checks()}
    grouped: dict[tuple[str, str], list[SourceCheck]] = defaultdict(list)
    for check_id, speaks in checks_speaking_for(control, registry.values()).items():
        check = registry[check_id]
        grouped[source_of(check)].append(SourceCheck(check, speaks))
    return [
        Source(provider, service, tuple(sorted(items, key=lambda item: item.check.id)))
        for (provider, service), items in sorted(grouped.items())
    ]


def automated_sources_section(control: Control) -> dict:
    return {"automated_sources": automated_sources(control)}
