"""EC2: encryption of EBS volumes and snapshots, public images and snapshots, locks on kept snapshots,
instances in a VPC, IMDSv2."""

from __future__ import annotations

from scanners.checks.base import MissingData, Result, Setting, check, field, listed, tags, timestamp

ENCRYPTION_AT_REST = ("iso27001-2022:A.8.24", "iso27001-2013:A.10.1.1", "soc2-2017:CC6.1")
NOT_SHARED_PUBLICLY = (
    "iso27001-2022:A.8.12",
    "iso27001-2022:A.5.14",
    "iso27001-2013:A.9.4.1",
    "iso27001-2013:A.13.2.1",
    "soc2-2017:CC6.1",
    "soc2-2017:CC6.6",
)
BACKUP = ("iso27001-2022:A.8.13", "iso27001-2013:A.12.3.1", "soc2-2017:A1.2", "soc2-2017:CC9.1")
# Lock states in which the snapshot cannot be deleted (governance and the compliance cool-off can still be
# lifted by someone allowed to unlock; compliance cannot).
LOCKED_STATES = {"compliance", "compliance-cooloff", "governance"}


@check(
    id="ec2_ebs_encryption_by_default",
    title="EBS encryption by default is on in the region",
    resource="aws.ec2.region",
    severity="medium",
    controls=ENCRYPTION_AT_REST,
    remediation="""Turn on EBS encryption by default in every region you use (EC2 console > Settings > EBS
    encryption, or `aws ec2 enable-ebs-encryption-by-default`); new volumes and snapshot copies are then
    encrypted whatever the launching tool asks for.""",
)
def ebs_encryption_by_default(region: dict) -> Result:
    if field(region, "ebs_encryption_by_default"):
        return Result.passed("new EBS volumes are encrypted by default")
    return Result.failed("EBS encryption by default is off")


@check(
    id="ec2_volume_encrypted",
    title="EBS volume is encrypted",
    resource="aws.ec2.volume",
    severity="medium",
    controls=ENCRYPTION_AT_REST,
    remediation="""An existing volume cannot be encrypted in place: snapshot it, copy the snapshot with
    encryption on, create a volume from the copy and swap it in. Turn on encryption by default to stop new
    unencrypted volumes.""",
)
def volume_encrypted(volume: dict) -> Result:
    if field(volume, "encrypted"):
        return Result.passed(f"encrypted with {field(volume, 'kms_key_id', allow_none=True) or 'the default key'}")
    return Result.failed("the volume is not encrypted")


@check(
    id="ec2_snapshot_encrypted",
    title="EBS snapshot is encrypted",
    resource="aws.ec2.snapshot",
    severity="medium",
    controls=ENCRYPTION_AT_REST,
    remediation="""Copy the snapshot with encryption on (`aws ec2 copy-snapshot --encrypted`), then delete the
    unencrypted original once nothing depends on it.""",
)
def snapshot_encrypted(snapshot: dict) -> Result:
    if field(snapshot, "encrypted"):
        return Result.passed("the snapshot is encrypted")
    return Result.failed("the snapshot is not encrypted")


@check(
    id="ec2_snapshot_not_public",
    title="EBS snapshot is not shared with everyone",
    resource="aws.ec2.snapshot",
    severity="critical",
    controls=NOT_SHARED_PUBLICLY,
    remediation="""Remove the public create-volume permission (`aws ec2 modify-snapshot-attribute
    --attribute createVolumePermission --operation-type remove --group-names all`) and turn on block public
    access for EBS snapshots in the region.""",
)
def snapshot_not_public(snapshot: dict) -> Result:
    permissions = field(snapshot, "create_volume_permissions")
    if any(item.get("Group") == "all" for item in permissions):
        return Result.failed("anyone can create a volume from this snapshot")
    accounts = [item["UserId"] for item in permissions if item.get("UserId")]
    if accounts:
        return Result.passed(f"shared only with accounts {listed(accounts)}")
    return Result.passed("not shared")


def days_old(days: int) -> str:
    return "1 day old" if days == 1 else f"{days} days old"


@check(
    id="ec2_snapshot_locked",
    title="Kept EBS snapshot is locked against deletion",
    resource="aws.ec2.snapshot",
    severity="medium",
    controls=BACKUP,
    remediation="""Lock the snapshots you keep (`aws ec2 lock-snapshot --lock-mode compliance --lock-duration
    <days>`, or governance mode while you test), for at least their retention period, so that neither a
    mistake nor a stolen credential can delete them; a snapshot policy of Data Lifecycle Manager or an AWS
    Backup vault lock can do it for every new copy.""",
    settings={
        "kept_after_days": Setting(
            7,
            "A snapshot at least this many days old is kept (a retained copy, not a passing one) and must be locked;"
            " 0 makes every snapshot kept",
        ),
        "kept_tag_keys": Setting(
            [],
            "Tag keys that mark a snapshot as kept whatever its age (for example retention or legal-hold)",
        ),
    },
)
def snapshot_locked(snapshot: dict, settings: dict) -> Result:
    now = timestamp(field(snapshot, "collected_at"), "collection time")
    age = now - timestamp(field(snapshot, "started"), "the snapshot's start time")
    marked = sorted(set(tags(snapshot)) & {str(key) for key in settings["kept_tag_keys"]})
    limit = settings["kept_after_days"]
    if age.days < limit and not marked:
        return Result.not_applicable(
            f"{days_old(age.days)} and not tagged as kept: only snapshots at least {limit} days old count as kept"
        )
    kept = f"tagged {listed(marked)}" if marked else days_old(age.days)
    lock = field(snapshot, "lock")
    state = lock.get("state")
    if state in LOCKED_STATES:
        return Result.passed(
            f"kept ({kept}) and locked in {state} mode until {lock.get('expires_on') or 'an unknown date'}"
        )
    if state == "expired":
        return Result.failed(f"kept ({kept}) but its lock expired on {lock.get('expires_on') or 'an unknown date'}")
    if state is not None:
        raise MissingData(f"the snapshot's lock state {state!r} is not one we know")
    return Result.failed(f"kept ({kept}) but not locked: anyone allowed to delete snapshots can delete it")


@check(
    id="ec2_ami_not_public",
    title="AMI is not public",
    resource="aws.ec2.image",
    severity="high",
    controls=NOT_SHARED_PUBLICLY,
    remediation="""Make the image private (`aws ec2 modify-image-attribute --launch-permission
    "Remove=[{Group=all}]"`) and turn on block public access for AMIs in the region.""",
)
def ami_not_public(image: dict) -> Result:
    if field(image, "public"):
        return Result.failed("anyone can launch this image")
    return Result.passed("the image is private")


@check(
    id="ec2_instance_in_vpc",
    title="EC2 instance runs in a VPC",
    resource="aws.ec2.instance",
    severity="medium",
    controls=("iso27001-2022:A.8.22", "iso27001-2022:A.8.20", "iso27001-2013:A.13.1.3", "soc2-2017:CC6.6"),
    remediation="""Move the workload into a VPC subnet (launch a replacement from an image of the
    instance), where security groups, network ACLs and flow logs apply.""",
)
def instance_in_vpc(instance: dict) -> Result:
    vpc_id = field(instance, "vpc_id", allow_none=True)
    if vpc_id:
        return Result.passed(f"runs in {vpc_id}")
    return Result.failed("the instance is not in a VPC")


@check(
    id="ec2_instance_imdsv2_required",
    title="EC2 instance requires IMDSv2 (session tokens) for its metadata service",
    resource="aws.ec2.instance",
    severity="high",
    controls=("iso27001-2022:A.8.9", "iso27001-2013:A.14.2.5", "soc2-2017:CC7.1"),
    remediation="""Require session tokens (`aws ec2 modify-instance-metadata-options --http-tokens required`)
    after checking that the instance's SDKs and agents are recent enough to use IMDSv2; set the account
    default for new instances with `aws ec2 modify-instance-metadata-defaults --http-tokens required`.""",
)
def instance_imdsv2_required(instance: dict) -> Result:
    options = field(instance, "metadata_options")
    if not options:
        raise MissingData("the instance's metadata options were not in the answer")
    if options.get("HttpEndpoint") == "disabled":
        return Result.passed("the metadata service is turned off")
    tokens = options.get("HttpTokens")
    if tokens == "required":
        return Result.passed("IMDSv2 is required")
    if tokens is None:
        raise MissingData("the instance's metadata token setting is unknown")
    return Result.failed(f"IMDSv1 is allowed (HttpTokens is {tokens!r}): a request forgery can read role credentials")
