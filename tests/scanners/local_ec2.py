"""EC2 answers moto does not give, in the Query API's documented XML (botocore's ec2 service-2.json):
DescribeLockedSnapshots. Serve them with `FaultyEndpoint.reply`, which forwards every other call to moto."""

from __future__ import annotations

from collections.abc import Callable

from tests.scanners.fault_injection import SeenRequest

NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"


def locked_snapshot(snapshot_id: str, state: str, *, days: int = 30, expires_on: str = "2027-01-01T00:00:00.000Z"):
    return {
        "ownerId": "123456789012",
        "snapshotId": snapshot_id,
        "lockState": state,
        "lockDuration": str(days),
        "lockCreatedOn": "2026-12-01T00:00:00.000Z",
        "lockDurationStartTime": "2026-12-01T00:00:00.000Z",
        "lockExpiresOn": expires_on,
    }


def locked_snapshots_page(items: list[dict], next_token: str | None = None) -> str:
    """One page of DescribeLockedSnapshots: `snapshotSet` of `item`s, and `nextToken` when more follow."""
    entries = "".join(
        "<item>" + "".join(f"<{key}>{value}</{key}>" for key, value in item.items()) + "</item>" for item in items
    )
    token = f"<nextToken>{next_token}</nextToken>" if next_token else ""
    return (
        f'<DescribeLockedSnapshotsResponse xmlns="{NAMESPACE}"><requestId>local-ec2</requestId>'
        f"<snapshotSet>{entries}</snapshotSet>{token}</DescribeLockedSnapshotsResponse>"
    )


def locked_snapshots_call(*, next_token: str | None = None) -> Callable[[SeenRequest], bool]:
    """A DescribeLockedSnapshots request: the first page, or the page asked for with `next_token`."""

    def matches(request: SeenRequest) -> bool:
        if request.action != "DescribeLockedSnapshots":
            return False
        body = request.body.decode("utf-8", "replace")
        return f"NextToken={next_token}" in body if next_token else "NextToken=" not in body

    return matches
