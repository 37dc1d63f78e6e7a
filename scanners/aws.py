"""Sessions, assumed roles, retries and endpoints for reading an AWS account.

Everything that knows how to reach AWS lives here. Endpoints come from boto3's own AWS_ENDPOINT_URL
(and AWS_ENDPOINT_URL_<SERVICE>) handling, so a scan pointed at a simulated account needs no code path
of its own.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, DeferredRefreshableCredentials, RefreshableCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProxyConnectionError,
    ReadTimeoutError,
)

ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AllAccessDisabled",
        "AuthFailure",
        "AuthorizationError",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "OptInRequired",
        "SignatureDoesNotMatch",
        "UnauthorizedAccess",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
    }
)
THROTTLING_CODES = frozenset(
    {
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "PriorRequestNotComplete",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ThrottledException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
    }
)
NOT_IMPLEMENTED_CODES = frozenset({"InvalidAction", "NotImplemented", "UnknownOperationException"})
MAX_REASON_LENGTH = 300


class _AssumedRoleProvider(CredentialProvider):
    """Puts the assumed role's refreshable credentials first in a private botocore session's chain."""

    METHOD = "controltrace-assume-role"
    CANONICAL_NAME = "custom-controltrace-assume-role"

    def __init__(self, credentials: RefreshableCredentials):
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


class ClientFactory:
    """Clients for one AWS account: the default credential chain, or a role assumed with an external id.

    Assumed-role credentials are fetched on first use and refreshed by botocore before they expire
    (15 minutes ahead), so a long scan never runs on expired credentials. Clients are cached per
    (service, region) and are safe to share between threads.
    """

    def __init__(
        self,
        *,
        role_arn: str = "",
        external_id: str = "",
        session_name: str = "controltrace",
        connect_timeout: float = 5,
        read_timeout: float = 30,
        max_attempts: int = 8,
        duration_seconds: int = 3600,
        sts_region: str = "us-east-1",
    ):
        self.role_arn = role_arn
        self.external_id = external_id
        self.session_name = session_name
        self.duration_seconds = duration_seconds
        self.sts_region = sts_region
        self.config = Config(
            retries={"mode": "adaptive", "max_attempts": max_attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            user_agent_extra="controltrace",
        )
        self._lock = threading.Lock()
        self._session: boto3.session.Session | None = None
        self._clients: dict[tuple[str, str], Any] = {}
        self._account_id = ""

    def client(self, service: str, region: str):
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                client = self._get_session().client(service, region_name=region, config=self.config)
                _answer_not_implemented_at_once(client)
                self._clients[key] = client
            return self._clients[key]

    def account_id(self) -> str:
        if not self._account_id:
            self._account_id = self.client("sts", self.sts_region).get_caller_identity()["Account"]
        return self._account_id

    def _get_session(self) -> boto3.session.Session:
        if self._session is None:
            self._session = self._assumed_session() if self.role_arn else boto3.session.Session()
        return self._session

    def _assumed_session(self) -> boto3.session.Session:
        source_sts = boto3.session.Session().client("sts", region_name=self.sts_region, config=self.config)

        def assume() -> dict[str, str]:
            params = {
                "RoleArn": self.role_arn,
                "RoleSessionName": self.session_name,
                "DurationSeconds": self.duration_seconds,
            }
            if self.external_id:
                params["ExternalId"] = self.external_id
            credentials = source_sts.assume_role(**params)["Credentials"]
            return {
                "access_key": credentials["AccessKeyId"],
                "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"],
                "expiry_time": credentials["Expiration"].isoformat(),
            }

        # Deferred: the role is assumed on the first call, inside the collector's error handling, so a
        # refused AssumeRole becomes an error result for what could not be read rather than a crash.
        credentials = DeferredRefreshableCredentials(refresh_using=assume, method=_AssumedRoleProvider.METHOD)
        core = botocore.session.Session()
        core.get_component("credential_provider").insert_before("env", _AssumedRoleProvider(credentials))
        return boto3.session.Session(botocore_session=core)


FACTORIES_KEPT = 32
_factories: OrderedDict[tuple, ClientFactory] = OrderedDict()
_factories_lock = threading.Lock()


def shared_factory(*, role_arn: str = "", external_id: str = "") -> ClientFactory:
    """This process's ClientFactory for one account: every unit a Celery worker runs for it (and every scan
    in one process) reuses its clients per (service, region) and its assumed-role credentials.

    Keyed also by the AWS_* and proxy environment, which decide endpoints and default credentials, so a
    changed environment never reaches an account through clients made for the old one. The least recently
    used factories beyond FACTORIES_KEPT are dropped (their clients with them).
    """
    environment = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_") or "PROXY" in k.upper()))
    key = (role_arn, external_id, environment)
    with _factories_lock:
        factory = _factories.get(key)
        if factory is None:
            factory = _factories[key] = ClientFactory(role_arn=role_arn, external_id=external_id)
            while len(_factories) > FACTORIES_KEPT:
                _factories.popitem(last=False)
        _factories.move_to_end(key)
        return factory


def _answer_not_implemented_at_once(client) -> None:
    """An operation the endpoint does not implement answers the same on every attempt: it is raised at
    once instead of retried (botocore retries any HTTP 500), and the collector records it as an error.

    Runs before botocore's retry handler of the same event. A 500 that carries an AWS error code (a real
    InternalError) and every 502/503/504 and throttling answer keep botocore's retries.
    """
    service_event = client.meta.service_model.service_id.hyphenize()

    def refuse_retry(response=None, operation=None, **kwargs):
        if response is None:  # no answer at all (a connection error): botocore decides
            return None
        http, parsed = response
        status = http.status_code
        if status >= 500 and not_implemented(status, str(parsed.get("Error", {}).get("Code", ""))):
            raise ClientError(parsed, operation.name)
        return None

    client.meta.events.register_first(f"needs-retry.{service_event}", refuse_retry)


def not_implemented(status: int | None, code: str) -> bool:
    """The endpoint does not know the operation: an error code saying so, HTTP 501, or a 404/500 without any
    AWS error document (its code is only the HTTP status), which a simulator or a proxy sends and AWS never does."""
    return code in NOT_IMPLEMENTED_CODES or status == 501 or (status in (404, 500) and code == str(status))


def error_code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def _one_line(text: str) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= MAX_REASON_LENGTH else line[: MAX_REASON_LENGTH - 1] + "…"


def _describe_client_error(exc: ClientError) -> str:
    code = error_code(exc)
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    operation = exc.operation_name
    message = exc.response.get("Error", {}).get("Message", "")
    if code in ACCESS_DENIED_CODES or (status == 403 and code == "403"):
        return _one_line(f"access denied: {operation}: {code} {message}")
    if code in THROTTLING_CODES or status == 429:
        return _one_line(f"throttled: {operation}: {code} {message}")
    if not_implemented(status, code):
        return _one_line(f"not implemented by the endpoint: {operation} answered HTTP {status}")
    if status is not None and status >= 500:
        return _one_line(f"service error: {operation}: HTTP {status} {code} {message}")
    return _one_line(f"request refused: {operation}: {code} {message}")


def describe_error(exc: Exception) -> str:
    """One line an auditor can read: why a read did not happen. Never mistaken for a result."""
    if isinstance(exc, ClientError):
        return _describe_client_error(exc)
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return _one_line(f"timed out: {exc}")
    if isinstance(exc, EndpointConnectionError | ConnectionClosedError | ProxyConnectionError):
        return _one_line(f"endpoint unreachable: {exc}")
    if isinstance(exc, NoCredentialsError | PartialCredentialsError | CredentialRetrievalError):
        return _one_line(f"no usable credentials: {exc}")
    if isinstance(exc, NoRegionError):
        return _one_line(f"configuration error: {exc}")
    if isinstance(exc, BotoCoreError):
        return _one_line(f"AWS client error: {type(exc).__name__}: {exc}")
    return _one_line(f"unexpected error: {type(exc).__name__}: {exc}")
