"""Starts tests/oidc/provider.mjs (npm's oidc-provider, a certified OpenID provider) on a free port."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
STARTUP_SECONDS = 60


@dataclass
class OpenIdProvider:
    issuer: str
    client_id: str
    client_secret: str
    accounts_file: Path

    def set_accounts(self, accounts: dict[str, dict]) -> None:
        """Who can sign in and with which claims; the provider reads this on every sign-in."""
        self.accounts_file.write_text(json.dumps(accounts))

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def why_it_cannot_start() -> str | None:
    if not shutil.which("node"):
        return "node (for the OpenID provider in tests/oidc)"
    if not (HERE.parents[1] / "node_modules" / "oidc-provider").is_dir():
        return "oidc-provider in node_modules (`make test` runs `npm ci`)"
    return None


def start(*, redirect_uri: str, workdir: Path):
    """Yields a running provider whose one client may redirect to `redirect_uri`; stops it afterwards."""
    port = free_port()
    provider = OpenIdProvider(
        issuer=f"http://127.0.0.1:{port}",
        client_id="controltrace",
        client_secret=secrets.token_urlsafe(24),
        accounts_file=workdir / "accounts.json",
    )
    provider.set_accounts({})
    log = workdir / "provider.log"
    env = {
        **os.environ,
        "PORT": str(port),
        "CLIENT_ID": provider.client_id,
        "CLIENT_SECRET": provider.client_secret,
        "REDIRECT_URI": redirect_uri,
        "ACCOUNTS_FILE": str(provider.accounts_file),
    }
    with log.open("w") as output:
        process = subprocess.Popen(["node", "provider.mjs"], cwd=HERE, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(provider, process, log)
        yield provider
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_up(provider: OpenIdProvider, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the OpenID provider exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(provider.discovery_url, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the OpenID provider did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")
