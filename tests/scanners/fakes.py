"""A small fake cloud: two service groups and three checks behind the real engine's interface.

Tests install it with pytest's monkeypatch; the end-to-end test's Celery worker imports
`tests.scanners.worker_fakes`, which installs the same fakes in the worker process.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from scanners import engine
from scanners.checks import base as checks_base
from scanners.checks.base import Check, Result, Status
from scanners.collectors import base as collectors_base
from scanners.collectors.base import CollectionError, ResourceDoc, ServiceGroup

ACCOUNT_ID = "123456789012"
NETWORK_TYPES = ("fake.security_group", "fake.volume")
IDENTITY_TYPES = ("fake.user",)


class FakeCloud:
    """What the fake collectors read; tests add resources and break reads."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.docs: dict[str, list[ResourceDoc]] = defaultdict(list)
        self.unreadable: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {}
        self.crashing: set[tuple[str, str]] = set()
        self.unreachable = ""
        self.collect_calls: list[tuple[str, str]] = []
        self.on_collect: Callable[[str, str], None] | None = None  # called as each collection starts

    def add(self, type_: str, region: str, uid: str, **config) -> ResourceDoc:
        doc = ResourceDoc(uid=uid, type=type_, region=region, name=uid.rsplit("/", 1)[-1], tags={}, config=config)
        self.docs[region].append(doc)
        return doc

    def remove(self, uid: str) -> None:
        for region, docs in self.docs.items():
            self.docs[region] = [doc for doc in docs if doc.uid != uid]

    def break_read(self, service: str, region: str, types: tuple[str, ...], reason: str = "AccessDenied") -> None:
        self.unreadable[(service, region)] = (types, reason)

    def seed_default(self) -> None:
        """One open and one closed security group, one encrypted volume, one user without MFA."""
        self.add("fake.security_group", "eu-west-1", "sg-open", open_ssh=True)
        self.add("fake.security_group", "us-east-1", "sg-closed", open_ssh=False)
        self.add("fake.volume", "eu-west-1", "vol-1", encrypted=True)
        self.add("fake.user", "global", "user/alice", mfa=False)

    def collector(self, service: str, types: tuple[str, ...], every_region: bool):
        def collect(factory, region: str):
            self.collect_calls.append((service, region))
            if self.on_collect:
                self.on_collect(service, region)
            if (service, region) in self.crashing:
                raise RuntimeError(f"{service} collector crashed")
            failed_types, reason = self.unreadable.get((service, region), ((), ""))
            for docs in self.docs.values() if every_region else [self.docs.get(region, [])]:
                yield from (doc for doc in docs if doc.type in types and doc.type not in failed_types)
            if failed_types:
                yield CollectionError(resource_types=failed_types, region=region, reason=reason)

        return collect


CLOUD = FakeCloud()

SERVICE_GROUPS = {
    "fake-network": ServiceGroup(
        "fake-network", False, NETWORK_TYPES, CLOUD.collector("fake-network", NETWORK_TYPES, every_region=False)
    ),
    "fake-identity": ServiceGroup(
        "fake-identity", True, IDENTITY_TYPES, CLOUD.collector("fake-identity", IDENTITY_TYPES, every_region=True)
    ),
}


def _flag(name: str, passing_when: bool, what: str):
    def evaluate(doc: dict) -> Result:
        value = doc["config"][name]  # a document without the field raises: the check reports an error
        return Result(Status.PASS, what) if value is passing_when else Result(Status.FAIL, f"not {what}")

    return evaluate


CHECKS = {
    check.id: check
    for check in [
        Check(
            id="fake_sg_no_open_ssh",
            title="Security groups do not open SSH to the internet",
            service="fake-network",
            resource_type="fake.security_group",
            severity="high",
            controls=("iso27001-2022:A.8.20", "soc2-2017:CC6.6"),
            remediation="Remove the 0.0.0.0/0 rule on port 22.",
            evaluate=_flag("open_ssh", False, "closed to the internet"),
        ),
        Check(
            id="fake_volume_encrypted",
            title="Volumes are encrypted",
            service="fake-network",
            resource_type="fake.volume",
            severity="medium",
            controls=("iso27001-2022:A.8.24",),
            remediation="Encrypt the volume.",
            evaluate=_flag("encrypted", True, "encrypted"),
        ),
        Check(
            id="fake_user_has_mfa",
            title="Console users have MFA",
            service="fake-identity",
            resource_type="fake.user",
            severity="high",
            controls=("iso27001-2022:A.8.5",),
            remediation="Enable MFA.",
            evaluate=_flag("mfa", True, "using MFA"),
        ),
    ]
}


class FakeClientFactory:
    def __init__(self, *, role_arn: str = "", external_id: str = "", session_name: str = "controltrace"):
        self.role_arn = role_arn

    def account_id(self) -> str:
        if CLOUD.unreachable:
            raise PermissionError(CLOUD.unreachable)
        return ACCOUNT_ID

    def client(self, service: str, region: str):
        raise AssertionError("the fake collectors never ask for a boto3 client")


def install(set_attribute) -> None:
    """`set_attribute` is monkeypatch.setattr in tests, plain setattr in the worker."""
    set_attribute(collectors_base, "SERVICE_GROUPS", SERVICE_GROUPS)
    set_attribute(checks_base, "REGISTRY", CHECKS)
    set_attribute(checks_base, "checks_for", lambda t: [c for c in CHECKS.values() if c.resource_type == t])
    set_attribute(checks_base, "all_checks", lambda: list(CHECKS.values()))
    set_attribute(engine, "registries_load", lambda: None)
    set_attribute(engine, "client_factory_for", lambda account: FakeClientFactory(role_arn=account.role_arn))
