"""The starting set: buckets, identities, trails, networks, compute, keys, load balancers, databases, backup."""

from __future__ import annotations

import json

import boto3

from scanners.demo.common import (
    ACCOUNT,
    ALL_ON,
    FULL_ADMIN,
    IMAGE_ID,
    MARKER_BUCKET,
    TRAIL_LOG_GROUP,
    attach_aws_policy,
    bucket_policy,
    make_bucket,
    named,
    port_from_anywhere,
    trust,
)


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
