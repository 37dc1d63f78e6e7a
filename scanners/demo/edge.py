"""Web protection and remote access: WAF on load balancers, CloudFront and API Gateway; Session Manager."""

from __future__ import annotations

import json

from scanners.demo.common import IMAGE_ID, MARKER_BUCKET, attach_aws_policy, named, trust


def web_acl_blocking(session, region: str, name: str, *, scope: str = "REGIONAL", count: bool = False) -> str:
    """A web ACL with the AWS managed common and known-bad-inputs rule groups, blocking or only counting."""
    visibility = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}
    rules = [
        {
            "Name": group,
            "Priority": priority,
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": group}},
            "OverrideAction": {"Count": {}} if count else {"None": {}},
            "VisibilityConfig": visibility,
        }
        for priority, group in enumerate(("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"))
    ]
    created = session.client("wafv2", region_name=region).create_web_acl(
        Name=name, Scope=scope, DefaultAction={"Allow": {}}, VisibilityConfig=visibility, Rules=rules
    )
    return created["Summary"]["ARN"]


def seed_web_protection(session, region: str) -> list[str]:
    """WAF in front of 'storefront', the 'shop' CDN and the 'orders' API (blocking); 'legacy-portal' only counts,
    the 'media' CDN and the 'legacy-api' have none. 'storefront' drops invalid headers, 'legacy-portal' does not;
    'legacy-api' lets anyone GET /orders."""
    elbv2 = session.client("elbv2", region_name=region)
    wafv2 = session.client("wafv2", region_name=region)
    balancers = {
        item["LoadBalancerName"]: item["LoadBalancerArn"] for item in elbv2.describe_load_balancers()["LoadBalancers"]
    }
    for name, drops, count in (("storefront", "true", False), ("legacy-portal", "false", True)):
        header = {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": drops}
        elbv2.modify_load_balancer_attributes(LoadBalancerArn=balancers[name], Attributes=[header])
        web_acl = web_acl_blocking(session, region, f"ct-demo-{name}", count=count)
        wafv2.associate_web_acl(WebACLArn=web_acl, ResourceArn=balancers[name])

    cdn_acl = web_acl_blocking(session, "us-east-1", "ct-demo-cdn", scope="CLOUDFRONT")
    cloudfront = session.client("cloudfront", region_name="us-east-1")
    for name, web_acl in (("shop", cdn_acl), ("media", "")):
        origin = {"Id": name, "DomainName": f"{name}.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
        behaviour = {
            "TargetOriginId": name,
            "ViewerProtocolPolicy": "redirect-to-https",
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "MinTTL": 0,
        }
        cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": f"ct-demo-{name}",
                "Comment": name,
                "Enabled": True,
                "WebACLId": web_acl,
                "Origins": {"Quantity": 1, "Items": [origin]},
                "DefaultCacheBehavior": behaviour,
            }
        )

    apigateway = session.client("apigateway", region_name=region)
    for name, authorization in (("orders", "AWS_IAM"), ("legacy-api", "NONE")):
        api_id = apigateway.create_rest_api(name=name, endpointConfiguration={"types": ["REGIONAL"]})["id"]
        root = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]
        orders = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="orders")["id"]
        apigateway.put_method(restApiId=api_id, resourceId=orders, httpMethod="GET", authorizationType=authorization)
        apigateway.put_integration(
            restApiId=api_id,
            resourceId=orders,
            httpMethod="GET",
            type="HTTP_PROXY",
            integrationHttpMethod="GET",
            uri="https://orders.example.com",
        )
        apigateway.create_deployment(restApiId=api_id, stageName="prod")
        if name == "orders":
            wafv2.associate_web_acl(
                WebACLArn=web_acl_blocking(session, region, "ct-demo-api"),
                ResourceArn=f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/prod",
            )
    return ["ct-demo-storefront", "ct-demo-legacy-portal", "ct-demo-cdn", "shop", "media", "orders", "legacy-api"]


def seed_session_manager(session, regions: tuple[str, ...]) -> list[str]:
    """In the home region 'ssm-managed' is reached through Session Manager and 'ops-bastion' keeps an SSH key
    pair and a role without Systems Manager; sessions are logged to S3 there, and nowhere in the other regions."""
    home = regions[0]
    iam = session.client("iam", region_name=home)
    ec2 = session.client("ec2", region_name=home)
    ec2_trust = trust({"Service": "ec2.amazonaws.com"})
    for role, policy in (
        ("ct-demo-ssm", "AmazonSSMManagedInstanceCore"),
        ("ct-demo-bastion", "AmazonS3ReadOnlyAccess"),
    ):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=ec2_trust)
        attach_aws_policy(iam, role, policy)
        iam.create_instance_profile(InstanceProfileName=role)
        iam.add_role_to_instance_profile(InstanceProfileName=role, RoleName=role)
    ec2.create_key_pair(KeyName="ct-demo-ops")
    for name, profile, key in (
        ("ssm-managed", "ct-demo-ssm", {}),
        ("ops-bastion", "ct-demo-bastion", {"KeyName": "ct-demo-ops"}),
    ):
        ec2.run_instances(
            ImageId=IMAGE_ID,
            MinCount=1,
            MaxCount=1,
            IamInstanceProfile={"Name": profile},
            MetadataOptions={"HttpTokens": "required"},
            TagSpecifications=named(name, "instance"),
            **key,
        )
    preferences = {"s3BucketName": MARKER_BUCKET, "s3KeyPrefix": "sessions/", "s3EncryptionEnabled": True}
    session.client("ssm", region_name=home).create_document(
        Name="SSM-SessionManagerRunShell",
        DocumentType="Session",
        DocumentFormat="JSON",
        Content=json.dumps(
            {
                "schemaVersion": "1.0",
                "description": "Session Manager preferences",
                "sessionType": "Standard_Stream",
                "inputs": preferences,
            }
        ),
    )
    return ["ct-demo-ssm", "ct-demo-bastion", "ssm-managed", "ops-bastion", "SSM-SessionManagerRunShell"]
