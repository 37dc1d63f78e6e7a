"""CloudFront: every distribution that serves traffic is behind a WAF web ACL blocking common attacks."""

from __future__ import annotations

from scanners.checks.base import Result, check, field
from scanners.checks.waf import WAF_REMEDIATION, WAF_SETTINGS, WEB_FILTERING, web_acl_verdict

DISTRIBUTION = "aws.cloudfront.distribution"


@check(
    id="cloudfront_distribution_waf_blocks_common_attacks",
    title="CloudFront distribution is behind a WAF web ACL blocking common attacks",
    resource=DISTRIBUTION,
    severity="high",
    controls=WEB_FILTERING,
    remediation=WAF_REMEDIATION
    + """ For CloudFront the web ACL is created in us-east-1 with scope CLOUDFRONT and named in the
    distribution's settings (AWS WAF web ACL).""",
    settings=WAF_SETTINGS,
)
def distribution_waf_blocks_common_attacks(distribution: dict, settings: dict) -> Result:
    if field(distribution, "enabled") is False:
        return Result.not_applicable("the distribution is disabled and serves no traffic")
    web_acl = field(distribution, "web_acl", allow_none=True)
    return web_acl_verdict(web_acl, settings["required_rule_groups"], "the distribution")
