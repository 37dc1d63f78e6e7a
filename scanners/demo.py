"""A demonstration AWS account with compliant and non-compliant resources side by side.

Plain boto3 calls against whatever endpoint the environment names (AWS_ENDPOINT_URL): `make run` points
it at a moto server. Every scan of the seeded account shows passes and failures for most checks, each
failure a realistic mistake (a public website bucket, SSH open to the world, a key never rotated...).
"""

from __future__ import annotations

import json
import logging

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)

MARKER_BUCKET = "ct-demo-evidence"
ANYWHERE = [{"CidrIp": "0.0.0.0/0"}]
ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
FULL_ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
IMAGE_ID = "ami-12c6146b"
ACCOUNT = "123456789012"  # moto's account, in the ARNs the demo writes
TRAIL_LOG_GROUP = "ct-demo-trail"
TRAIL_CALLS = ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")


def seed_demo_account(regions: tuple[str, ...] = ("eu-west-1", "us-east-1")) -> dict[str, list[str]]:
    """Create the demo resources once; an account that already holds them is left as it is."""
    session = boto3.session.Session()
    home = regions[0]
    if bucket_exists(session.client("s3", region_name=home), MARKER_BUCKET):
        logger.info("demo account already seeded")
        return {}
    created: dict[str, list[str]] = {}
    created["s3"] = seed_buckets(session, home)
    created["iam"] = seed_identities(session.client("iam", region_name=home))
    created["cloudtrail"] = seed_trails(session, regions)
    for index, region in enumerate(regions):
        first = index == 0
        created.setdefault("vpc", []).extend(seed_networks(session, region, exposed_default_vpc=first))
        created.setdefault("ec2", []).extend(seed_compute(session, region, encrypt_by_default=first))
        created.setdefault("kms", []).extend(seed_keys(session.client("kms", region_name=region), retire_one=first))
        created.setdefault("inspector2", []).extend(seed_inspector(session, region, everything=first))
        if first:
            created["elbv2"] = seed_load_balancers(session, region)
            created["rds"] = seed_databases(session, region)
            created["backup"] = seed_backup_plan(session.client("backup", region_name=region))
            created["awsconfig"] = seed_config_recorder(session, region)
            created["ecr"] = seed_repositories(session.client("ecr", region_name=region))
    created["monitoring"] = seed_monitoring(session, regions)
    created["baseline_protection"] = seed_baseline_protection(session, regions)
    created["autoscaling"] = seed_auto_scaling(session, home)
    created["rds"] += seed_storage_alarm(session, home)
    created["macie2"] = seed_macie(session, regions)
    created["codepipeline"] = seed_pipelines(session, home)
    created["cloudformation"] = seed_stacks(session, home)
    created["network-baseline"] = seed_network_baseline(session, regions)
    created["web_protection"] = seed_web_protection(session, home)
    created["ssm"] = seed_session_manager(session, regions)
    created["organizations"] = seed_organization(session)
    created["vpcpeering"] = seed_peering(session.client("ec2", region_name=home))
    created["dnsfirewall"] = seed_internet_routed_vpc(session.client("ec2", region_name=home))
    return created


def bucket_exists(s3, name: str) -> bool:
    try:
        s3.head_bucket(Bucket=name)
    except ClientError:
        return False
    return True


def make_bucket(session, name: str, region: str):
    s3 = session.client("s3", region_name=region)
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **location)
    return s3


def bucket_policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed_buckets(session, region: str) -> list[str]:
    """A private, KMS-encrypted, versioned evidence bucket and a public website bucket."""
    private = make_bucket(session, MARKER_BUCKET, region)
    private.put_public_access_block(Bucket=MARKER_BUCKET, PublicAccessBlockConfiguration=ALL_ON)
    kms_default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/ct-demo-evidence"}
    private.put_bucket_encryption(
        Bucket=MARKER_BUCKET,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": kms_default}]},
    )
    deny_plain_http = {
        "Sid": "DenyPlainHttp",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{MARKER_BUCKET}", f"arn:aws:s3:::{MARKER_BUCKET}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    private.put_bucket_policy(Bucket=MARKER_BUCKET, Policy=bucket_policy(deny_plain_http))
    private.put_bucket_versioning(Bucket=MARKER_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    private.put_bucket_tagging(Bucket=MARKER_BUCKET, Tagging={"TagSet": [{"Key": "criticality", "Value": "critical"}]})

    website = "ct-demo-public-site"
    public = make_bucket(session, website, region)
    public.put_bucket_acl(Bucket=website, ACL="public-read")
    anyone_reads = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{website}/*",
    }
    public.put_bucket_policy(Bucket=website, Policy=bucket_policy({"Sid": "Website", **anyone_reads}))
    public.put_bucket_tagging(Bucket=website, Tagging={"TagSet": [{"Key": "criticality", "Value": "high"}]})
    return [MARKER_BUCKET, website]


def trust(principal: dict, action: str = "sts:AssumeRole") -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action}]}
    )


def seed_identities(iam) -> list[str]:
    """A console user with MFA, one without MFA but with an access key, and roles with and without full rights."""
    account = boto3.client("sts", region_name=iam.meta.region_name).get_caller_identity()["Account"]
    for name in ("alice", "bob"):
        iam.create_user(UserName=name)
        iam.create_login_profile(UserName=name, Password="Demo-only-passphrase-1!")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="alice", SerialNumber=device, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    iam.create_access_key(UserName="bob")

    iam.create_policy(PolicyName="ct-demo-full-admin", PolicyDocument=json.dumps(FULL_ADMIN))
    read_logs = {"Effect": "Allow", "Action": ["logs:Get*", "logs:Describe*"], "Resource": "*"}
    iam.create_policy(PolicyName="ct-demo-read-logs", PolicyDocument=bucket_policy(read_logs))

    github = {"Federated": f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"}
    iam.create_role(RoleName="github-deployer", AssumeRolePolicyDocument=trust(github, "sts:AssumeRoleWithWebIdentity"))
    iam.create_role(RoleName="app-server", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    attach_aws_policy(iam, "github-deployer", "AdministratorAccess")
    attach_aws_policy(iam, "app-server", "ReadOnlyAccess")
    iam.create_role(RoleName="break-glass", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{account}:root"}))
    iam.put_role_policy(RoleName="break-glass", PolicyName="everything", PolicyDocument=json.dumps(FULL_ADMIN))
    return ["alice", "bob", "ct-demo-full-admin", "ct-demo-read-logs", "github-deployer", "app-server", "break-glass"]


def attach_aws_policy(iam, role: str, policy: str) -> None:
    try:
        iam.attach_role_policy(RoleName=role, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
    except ClientError as exc:
        # moto knows AWS managed policies only when started with MOTO_IAM_LOAD_MANAGED_POLICIES=true.
        logger.warning("could not attach %s to %s: %s", policy, role, exc)


def seed_trails(session, regions: tuple[str, ...]) -> list[str]:
    """A multi-region trail with log file validation, and a forgotten single-region trail that never started."""
    home, other = regions[0], regions[-1]
    for name, region in (("ct-demo-audit-logs", home), ("ct-demo-debug-logs", other)):
        delivery = {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject"}
        make_bucket(session, name, region).put_bucket_policy(
            Bucket=name, Policy=bucket_policy({**delivery, "Resource": f"arn:aws:s3:::{name}/*"})
        )
    audit = session.client("cloudtrail", region_name=home)
    audit.create_trail(
        Name="org-audit",
        S3BucketName="ct-demo-audit-logs",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{home}:{ACCOUNT}:log-group:{TRAIL_LOG_GROUP}:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/ct-demo-trail-to-logs",
    )
    audit.start_logging(Name="org-audit")
    session.client("cloudtrail", region_name=other).create_trail(Name="local-debug", S3BucketName="ct-demo-debug-logs")
    return ["org-audit", "local-debug"]


def named(name: str, kind: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


def seed_networks(session, region: str, *, exposed_default_vpc: bool) -> list[str]:
    """A logged VPC with a closed default group and a web-only ACL, an unlogged sandbox with SSH open."""
    ec2 = session.client("ec2", region_name=region)
    logs = f"ct-demo-flow-logs-{region}"
    make_bucket(session, logs, region)
    payments = ec2.create_vpc(CidrBlock="10.10.0.0/16", TagSpecifications=named("payments", "vpc"))["Vpc"]["VpcId"]
    sandbox = ec2.create_vpc(CidrBlock="10.20.0.0/16", TagSpecifications=named("sandbox", "vpc"))["Vpc"]["VpcId"]
    ec2.create_flow_logs(
        ResourceIds=[payments],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination=f"arn:aws:s3:::{logs}",
    )
    in_payments = [{"Name": "vpc-id", "Values": [payments]}, {"Name": "group-name", "Values": ["default"]}]
    default_group = ec2.describe_security_groups(Filters=in_payments)["SecurityGroups"][0]
    ec2.revoke_security_group_egress(
        GroupId=default_group["GroupId"], IpPermissions=default_group["IpPermissionsEgress"]
    )
    web = ec2.create_security_group(GroupName="web-https", Description="HTTPS from anywhere", VpcId=payments)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[port_from_anywhere(443)])
    ssh = ec2.create_security_group(GroupName="ssh-open", Description="SSH from anywhere", VpcId=sandbox)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=ssh, IpPermissions=[port_from_anywhere(22)])
    acl = ec2.create_network_acl(VpcId=payments, TagSpecifications=named("payments-web", "network-acl"))
    ec2.create_network_acl_entry(
        NetworkAclId=acl["NetworkAcl"]["NetworkAclId"],
        RuleNumber=100,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 443, "To": 443},
    )
    if exposed_default_vpc:
        default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=default_vpc)
    return ["payments", "sandbox", "web-https", "ssh-open", "payments-web"]


def port_from_anywhere(port: int) -> dict:
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": ANYWHERE}


def seed_compute(session, region: str, *, encrypt_by_default: bool) -> list[str]:
    """Encrypted and plain volumes, a private and a public snapshot and image, one instance."""
    ec2 = session.client("ec2", region_name=region)
    if encrypt_by_default:
        ec2.enable_ebs_encryption_by_default()
    zone = f"{region}a"
    sealed = ec2.create_volume(
        Size=20, AvailabilityZone=zone, Encrypted=True, TagSpecifications=named("db-data", "volume")
    )
    plain = ec2.create_volume(
        Size=20, AvailabilityZone=zone, Encrypted=False, TagSpecifications=named("scratch", "volume")
    )
    ec2.create_snapshot(VolumeId=sealed["VolumeId"], TagSpecifications=named("db-data-nightly", "snapshot"))
    shared = ec2.create_snapshot(VolumeId=plain["VolumeId"], TagSpecifications=named("scratch-shared", "snapshot"))
    ec2.modify_snapshot_attribute(
        SnapshotId=shared["SnapshotId"], Attribute="createVolumePermission", OperationType="add", GroupNames=["all"]
    )
    # The first region's instance requires IMDSv2; the second still accepts IMDSv1.
    tokens = "required" if encrypt_by_default else "optional"
    instance = ec2.run_instances(
        ImageId=IMAGE_ID,
        MinCount=1,
        MaxCount=1,
        TagSpecifications=named("app-server", "instance"),
        MetadataOptions={"HttpTokens": tokens},
    )
    instance_id = instance["Instances"][0]["InstanceId"]
    ec2.create_image(InstanceId=instance_id, Name="golden-private")
    public = ec2.create_image(InstanceId=instance_id, Name="golden-public")["ImageId"]
    ec2.modify_image_attribute(ImageId=public, LaunchPermission={"Add": [{"Group": "all"}]})
    return ["db-data", "scratch", "db-data-nightly", "scratch-shared", "app-server", "golden-private", "golden-public"]


def seed_keys(kms, *, retire_one: bool) -> list[str]:
    """A rotated key, a key never rotated and, in the first region, a key scheduled for deletion."""
    names = ["ct-demo-evidence", "ct-demo-legacy"] + (["ct-demo-retired"] if retire_one else [])
    for name in names:
        key_id = kms.create_key(Description=name)["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=f"alias/{name}", TargetKeyId=key_id)
        if name == "ct-demo-evidence":
            kms.enable_key_rotation(KeyId=key_id)
        if name == "ct-demo-retired":
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    return [f"alias/{name}" for name in names]


def seed_load_balancers(session, region: str) -> list[str]:
    """'storefront' on TLS 1.2+ behind a 443-only group; 'legacy-portal' on plain HTTP and an old policy."""
    ec2 = session.client("ec2", region_name=region)
    elbv2 = session.client("elbv2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16", TagSpecifications=named("web-edge", "vpc"))["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{index}.0/24", AvailabilityZone=f"{region}{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in enumerate("ab")
    ]
    https_only = ec2.create_security_group(GroupName="alb-https", Description="443 only", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=https_only, IpPermissions=[port_from_anywhere(443)])
    wide = ec2.create_security_group(GroupName="alb-wide", Description="80 and 443", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=wide, IpPermissions=[port_from_anywhere(80), port_from_anywhere(443)])
    certificate = session.client("acm", region_name=region).request_certificate(DomainName="shop.example.com")
    target = elbv2.create_target_group(Name="app", Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0]
    forward = [{"Type": "forward", "TargetGroupArn": target["TargetGroupArn"]}]
    tls = {"Protocol": "HTTPS", "Port": 443, "Certificates": [{"CertificateArn": certificate["CertificateArn"]}]}

    public = {"Scheme": "internet-facing"}
    storefront = elbv2.create_load_balancer(Name="storefront", Subnets=subnets, SecurityGroups=[https_only], **public)
    storefront_arn = storefront["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(
        LoadBalancerArn=storefront_arn, SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06", DefaultActions=forward, **tls
    )
    redirect = {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
    elbv2.create_listener(LoadBalancerArn=storefront_arn, Protocol="HTTP", Port=80, DefaultActions=[redirect])

    legacy = elbv2.create_load_balancer(Name="legacy-portal", Subnets=subnets, SecurityGroups=[wide], **public)
    legacy_arn = legacy["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(
        LoadBalancerArn=legacy_arn, SslPolicy="ELBSecurityPolicy-2016-08", DefaultActions=forward, **tls
    )
    elbv2.create_listener(LoadBalancerArn=legacy_arn, Protocol="HTTP", Port=80, DefaultActions=forward)
    return ["storefront", "legacy-portal"]


def seed_databases(session, region: str) -> list[str]:
    """'orders' private, encrypted and backed up; 'reports' public, plain, without backups."""
    ec2 = session.client("ec2", region_name=region)
    rds = session.client("rds", region_name=region)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["payments"]}])["Vpcs"][0]["VpcId"]
    app = ec2.create_security_group(GroupName="orders-app", Description="application servers", VpcId=vpc)["GroupId"]
    private = ec2.create_security_group(GroupName="orders-db", Description="from the app only", VpcId=vpc)["GroupId"]
    from_app = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app}]}
    ec2.authorize_security_group_ingress(GroupId=private, IpPermissions=[from_app])
    public = ec2.create_security_group(GroupName="reports-db", Description="open", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=public, IpPermissions=[port_from_anywhere(5432)])
    common = {
        "DBInstanceClass": "db.t3.micro",
        "Engine": "postgres",
        "AllocatedStorage": 20,
        "MasterUsername": "controltrace",
        "MasterUserPassword": "demo-only-password",
    }
    rds.create_db_instance(
        DBInstanceIdentifier="orders",
        PubliclyAccessible=False,
        StorageEncrypted=True,
        BackupRetentionPeriod=14,
        DeletionProtection=True,
        VpcSecurityGroupIds=[private],
        **common,
    )
    rds.create_db_instance(
        DBInstanceIdentifier="reports",
        PubliclyAccessible=True,
        StorageEncrypted=False,
        BackupRetentionPeriod=0,
        VpcSecurityGroupIds=[public],
        **common,
    )
    return ["orders", "reports"]


def seed_backup_plan(backup) -> list[str]:
    backup.create_backup_vault(BackupVaultName="ct-demo-primary")
    rule = {
        "RuleName": "nightly",
        "TargetBackupVaultName": "ct-demo-primary",
        "ScheduleExpression": "cron(0 3 * * ? *)",
        "Lifecycle": {"DeleteAfterDays": 35},
    }
    backup.create_backup_plan(BackupPlan={"BackupPlanName": "ct-demo-daily", "Rules": [rule]})
    return ["ct-demo-daily"]


def seed_config_recorder(session, region: str) -> list[str]:
    """AWS Config records everything in the first region only: the other regions have no recorder."""
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    bucket = "ct-demo-config-records"
    make_bucket(session, bucket, region)
    config = session.client("config", region_name=region)
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    return ["default"]


def seed_repositories(ecr) -> list[str]:
    """'ct-demo/api' scanned on push with immutable tags; 'ct-demo/sandbox' neither."""
    ecr.create_repository(
        repositoryName="ct-demo/api", imageScanningConfiguration={"scanOnPush": True}, imageTagMutability="IMMUTABLE"
    )
    ecr.create_repository(repositoryName="ct-demo/sandbox")
    return ["ct-demo/api", "ct-demo/sandbox"]


def seed_inspector(session, region: str, *, everything: bool) -> list[str]:
    """Inspector scans EC2, ECR and Lambda in the first region, and only EC2 elsewhere."""
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    kinds = ["EC2", "ECR", "LAMBDA"] if everything else ["EC2"]
    session.client("inspector2", region_name=region).enable(accountIds=[account], resourceTypes=kinds)
    return [f"inspector2 {region}"]


def seed_monitoring(session, regions: tuple[str, ...]) -> list[str]:
    """GuardDuty and Security Hub on in the home region only; the trail's log group kept a year, a debug
    group kept forever; an alarm that pages on root use and one on trail changes that tells no one."""
    home = regions[0]
    session.client("guardduty", region_name=home).create_detector(
        Enable=True, Features=[{"Name": "EBS_MALWARE_PROTECTION", "Status": "ENABLED"}]
    )
    session.client("securityhub", region_name=home).enable_security_hub()
    logs = session.client("logs", region_name=home)
    logs.create_log_group(logGroupName=TRAIL_LOG_GROUP)
    logs.put_retention_policy(logGroupName=TRAIL_LOG_GROUP, retentionInDays=365)
    logs.create_log_group(logGroupName="/ct-demo/debug")
    cloudwatch = session.client("cloudwatch", region_name=home)
    watched = {
        "root-use": ('{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }', True),
        "trail-changes": (" || ".join(f"($.eventName = {call})" for call in TRAIL_CALLS), False),
    }
    for name, (pattern, pages) in watched.items():
        metric = {"metricName": name, "metricNamespace": "CTDemo", "metricValue": "1"}
        logs.put_metric_filter(
            logGroupName=TRAIL_LOG_GROUP, filterName=name, filterPattern=pattern, metricTransformations=[metric]
        )
        cloudwatch.put_metric_alarm(
            AlarmName=f"ct-demo-{name}",
            MetricName=name,
            Namespace="CTDemo",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[f"arn:aws:sns:{home}:{ACCOUNT}:ct-demo-oncall"] if pages else [],
        )
    return ["guardduty", "securityhub", TRAIL_LOG_GROUP, "/ct-demo/debug", "ct-demo-root-use", "ct-demo-trail-changes"]


def seed_baseline_protection(session, regions: tuple[str, ...]) -> list[str]:
    """Both sides of the practitioners' baseline for identity, storage, keys and backup: bob administers
    through a group; a records bucket locked for seven years and expiring after, next to log buckets that
    never expire; the evidence keys refuse short deletion windows; a weekly backup plan keeps its recovery
    points forever."""
    home = regions[0]
    iam = session.client("iam", region_name=home)
    iam.create_group(GroupName="ct-demo-admins")
    try:
        iam.attach_group_policy(GroupName="ct-demo-admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    except ClientError as exc:  # moto without MOTO_IAM_LOAD_MANAGED_POLICIES=true, as in attach_aws_policy
        logger.warning("could not attach AdministratorAccess to ct-demo-admins: %s", exc)
    iam.add_user_to_group(GroupName="ct-demo-admins", UserName="bob")

    records = "ct-demo-records"
    s3 = session.client("s3", region_name=home)
    location = {} if home == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": home}}
    s3.create_bucket(Bucket=records, ObjectLockEnabledForBucket=True, **location)
    seven_years = {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 7}}
    s3.put_object_lock_configuration(
        Bucket=records, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": seven_years}
    )
    whole_bucket = {"Status": "Enabled", "Filter": {"Prefix": ""}}
    expire = [
        {"ID": "after-retention", **whole_bucket, "Expiration": {"Days": 2600}},
        {"ID": "old-versions", **whole_bucket, "NoncurrentVersionExpiration": {"NoncurrentDays": 30}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=records, LifecycleConfiguration={"Rules": expire})

    for region in regions:
        kms = session.client("kms", region_name=region)
        key_id = kms.describe_key(KeyId="alias/ct-demo-evidence")["KeyMetadata"]["KeyId"]
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=deletion_guarded_key_policy())

    kept_forever = {"RuleName": "weekly", "TargetBackupVaultName": "ct-demo-primary"}
    backup = session.client("backup", region_name=home)
    backup.create_backup_plan(BackupPlan={"BackupPlanName": "ct-demo-weekly", "Rules": [kept_forever]})
    return ["ct-demo-admins", records, "alias/ct-demo-evidence key policy", "ct-demo-weekly"]


def deletion_guarded_key_policy() -> str:
    """The account administers the key, and nobody may schedule its deletion with less than 30 days' notice."""
    administer = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*"}
    guard = {
        "Sid": "NoShortDeletionWindow",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "kms:ScheduleKeyDeletion",
        "Condition": {"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 30}},
    }
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{**administer, "Resource": "*"}, {**guard, "Resource": "*"}]}
    )


def seed_auto_scaling(session, region: str) -> list[str]:
    """'ct-demo-web' may grow from 1 to 4 and tracks CPU; 'ct-demo-batch' is pinned at 1 with no policy."""
    ec2 = session.client("ec2", region_name=region)
    autoscaling = session.client("autoscaling", region_name=region)
    ec2.create_launch_template(
        LaunchTemplateName="ct-demo-app",
        LaunchTemplateData={
            "ImageId": IMAGE_ID,
            "InstanceType": "t3.micro",
            "MetadataOptions": {"HttpTokens": "required"},
        },
    )
    common = {
        "LaunchTemplate": {"LaunchTemplateName": "ct-demo-app", "Version": "$Latest"},
        "VPCZoneIdentifier": ec2.describe_subnets()["Subnets"][0]["SubnetId"],
    }
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="ct-demo-web", MinSize=1, MaxSize=4, DesiredCapacity=1, **common
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="ct-demo-batch", MinSize=1, MaxSize=1, DesiredCapacity=1, **common
    )
    autoscaling.put_scaling_policy(
        AutoScalingGroupName="ct-demo-web",
        PolicyName="cpu-50",
        PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": 50,
        },
    )
    return ["ct-demo-web", "ct-demo-batch"]


def seed_storage_alarm(session, region: str) -> list[str]:
    """The 'orders' database pages the on-call team before its disk fills; 'reports' has no alarm (nor autoscaling)."""
    session.client("cloudwatch", region_name=region).put_metric_alarm(
        AlarmName="ct-demo-orders-free-storage",
        Namespace="AWS/RDS",
        MetricName="FreeStorageSpace",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "orders"}],
        Statistic="Minimum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=2_000_000_000,
        ComparisonOperator="LessThanThreshold",
        AlarmActions=[f"arn:aws:sns:{region}:{ACCOUNT}:ct-demo-oncall"],
    )
    return ["ct-demo-orders-free-storage"]


def seed_macie(session, regions: tuple[str, ...]) -> list[str]:
    """Macie stays on in the home region only (moto starts with it on everywhere; AWS with it off)."""
    for region in regions[1:]:
        session.client("macie2", region_name=region).disable_macie()
    return [f"macie2 {regions[0]}"]


def seed_pipelines(session, region: str) -> list[str]:
    """'ct-demo-storefront' waits for a release manager before Prod; 'ct-demo-reports' deploys straight to Prod."""
    role = session.client("iam", region_name=region).create_role(
        RoleName="ct-demo-pipelines", AssumeRolePolicyDocument=trust({"Service": "codepipeline.amazonaws.com"})
    )["Role"]["Arn"]

    def step(name: str, category: str, provider: str, **fields) -> dict:
        return {
            "name": name,
            "actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"},
            **fields,
        }

    source = {
        "name": "Source",
        "actions": [
            step(
                "Checkout",
                "Source",
                "S3",
                configuration={"S3Bucket": MARKER_BUCKET, "S3ObjectKey": "app.zip"},
                outputArtifacts=[{"name": "app"}],
            )
        ],
    }
    approve = {"name": "Approve", "actions": [step("ReleaseManager", "Approval", "Manual")]}
    prod = {
        "name": "Prod",
        "actions": [
            step(
                "Deploy",
                "Deploy",
                "S3",
                configuration={"BucketName": MARKER_BUCKET, "Extract": "true"},
                inputArtifacts=[{"name": "app"}],
            )
        ],
    }
    codepipeline = session.client("codepipeline", region_name=region)
    store = {"type": "S3", "location": MARKER_BUCKET}
    for name, stages in {"ct-demo-storefront": [source, approve, prod], "ct-demo-reports": [source, prod]}.items():
        codepipeline.create_pipeline(pipeline={"name": name, "roleArn": role, "artifactStore": store, "stages": stages})
    return ["ct-demo-storefront", "ct-demo-reports"]


def seed_stacks(session, region: str) -> list[str]:
    """One stack; moto records no drift for it, so its drift check is an error in the demo."""
    template = {"Resources": {"Alerts": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "ct-demo-alerts"}}}}
    session.client("cloudformation", region_name=region).create_stack(
        StackName="ct-demo-alerts", TemplateBody=json.dumps(template)
    )
    return ["ct-demo-alerts"]


def seed_network_baseline(session, regions: tuple[str, ...]) -> list[str]:
    """The last region's default VPC isolated (deny-all ACLs, an empty default group); the home region's
    sandbox VPC handing out a public NTP pool besides the Amazon Time Sync Service."""
    seeded = []
    if len(regions) > 1:
        ec2 = session.client("ec2", region_name=regions[-1])
        default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        in_default = [{"Name": "vpc-id", "Values": [default_vpc]}]
        for acl in ec2.describe_network_acls(Filters=in_default)["NetworkAcls"]:
            for entry in acl["Entries"]:
                if entry["RuleAction"] == "allow":
                    ec2.delete_network_acl_entry(
                        NetworkAclId=acl["NetworkAclId"], RuleNumber=entry["RuleNumber"], Egress=entry["Egress"]
                    )
        default_group = ec2.describe_security_groups(
            Filters=[*in_default, {"Name": "group-name", "Values": ["default"]}]
        )["SecurityGroups"][0]
        if default_group["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(
                GroupId=default_group["GroupId"], IpPermissions=default_group["IpPermissionsEgress"]
            )
        seeded.append(f"isolated default VPC in {regions[-1]}")
    ec2 = session.client("ec2", region_name=regions[0])
    sandbox = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["sandbox"]}])["Vpcs"][0]["VpcId"]
    public_pool = [{"Key": "ntp-servers", "Values": ["169.254.169.123", "pool.ntp.org"]}]
    option_set = ec2.create_dhcp_options(DhcpConfigurations=public_pool)["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=option_set, VpcId=sandbox)
    return [*seeded, "sandbox NTP servers"]


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


def environment_vpc(ec2, name: str, cidr: str, environment: str) -> str:
    tags = [{"Key": "Name", "Value": name}, {"Key": "environment", "Value": environment}]
    return ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])["Vpc"]["VpcId"]


def seed_organization(session) -> list[str]:
    """The demo account, tagged production, sits in Workloads/Prod beside an empty Workloads/Dev, and SCPs are on
    at the root: yet nothing beyond FullAWSAccess guards Prod. (One organization per account: each check shows
    one side. No member account is created: moto would give each one an IAM of its own, slow to reset.)"""
    organizations = session.client("organizations", region_name="us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    organizations.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    workloads = organizations.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]
    prod = organizations.create_organizational_unit(ParentId=workloads["Id"], Name="Prod")["OrganizationalUnit"]
    organizations.create_organizational_unit(ParentId=workloads["Id"], Name="Dev")
    organizations.move_account(AccountId=ACCOUNT, SourceParentId=root, DestinationParentId=prod["Id"])
    organizations.tag_resource(ResourceId=ACCOUNT, Tags=[{"Key": "environment", "Value": "production"}])
    return ["Workloads/Prod", "Workloads/Dev"]


def seed_peering(ec2) -> list[str]:
    """The shop's production VPC peers with production reporting (fine) and with a development VPC (not)."""
    shop = environment_vpc(ec2, "shop-prod", "10.30.0.0/16", "production")
    reporting = environment_vpc(ec2, "shop-reporting", "10.31.0.0/16", "production")
    development = environment_vpc(ec2, "shop-dev", "10.32.0.0/16", "dev")
    for name, peer in (("shop-to-reporting", reporting), ("shop-to-dev", development)):
        tags = [{"ResourceType": "vpc-peering-connection", "Tags": [{"Key": "Name", "Value": name}]}]
        connection = ec2.create_vpc_peering_connection(VpcId=shop, PeerVpcId=peer, TagSpecifications=tags)
        ec2.accept_vpc_peering_connection(
            VpcPeeringConnectionId=connection["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        )
    return ["shop-prod", "shop-reporting", "shop-dev", "shop-to-reporting", "shop-to-dev"]


def seed_internet_routed_vpc(ec2) -> list[str]:
    """A storefront VPC routed to an internet gateway. moto has no DNS Firewall, so its web filtering check is
    an error in the demo (never a pass); VPCs without such a route are not applicable."""
    storefront = environment_vpc(ec2, "storefront", "10.40.0.0/16", "production")
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=storefront)
    main_table = [{"Name": "vpc-id", "Values": [storefront]}, {"Name": "association.main", "Values": ["true"]}]
    table = ec2.describe_route_tables(Filters=main_table)["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    return ["storefront"]
