"""Security Hub in one region: one document saying whether the account is subscribed there."""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import ClientError

from scanners.aws import ClientFactory, error_code
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    collected,
    document,
    service_group,
    settings_uid,
)

REGION = "aws.securityhub.region"


@service_group(name="securityhub", resource_types=(REGION,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((REGION,), region, lambda: [hub_settings(factory, region)])


def hub_settings(factory: ClientFactory, region: str) -> ResourceDoc:
    hub = describe_hub(factory.client("securityhub", region))
    return document(
        uid=settings_uid(factory.account_id(), region, "securityhub"),
        type=REGION,
        region=region,
        name=f"Security Hub in {region}",
        config={
            "enabled": hub is not None,
            "hub_arn": (hub or {}).get("HubArn"),
            "subscribed_at": (hub or {}).get("SubscribedAt"),
            "errors": {},
        },
    )


def describe_hub(securityhub) -> dict | None:
    """The hub, or None when the account is not subscribed in the region; any other failure is raised."""
    try:
        return securityhub.describe_hub()
    except ClientError as exc:
        if not_subscribed(exc):
            return None
        raise


def not_subscribed(exc: ClientError) -> bool:
    # AWS answers InvalidAccessException both for "not subscribed" and for some refusals: only the
    # former is a finding, so the message decides.
    message = str(exc.response.get("Error", {}).get("Message", "")).lower()
    return error_code(exc) == "InvalidAccessException" and "not subscribed" in message
