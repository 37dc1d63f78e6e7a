"""`make run`'s simulated AWS: a moto server in this process, seeded, scanned once at every start.

Only demo mode calls this. The endpoint and the throwaway credentials live in this process's
environment, where boto3 reads them; they are never written anywhere.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from django.utils import timezone

from scanners import engine
from scanners.models import CloudAccount, RunState, ScanRun
from scanners.services import cloud_account_create, scan_request

logger = logging.getLogger(__name__)

DEMO_ACCOUNT = "demo-aws"
DEMO_REGIONS = ("eu-west-1", "us-east-1")
MOTO_SETTINGS = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false", "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}


def demo_cloud_start():
    """Start moto on a free local port and point boto3 at it; returns the server (call .stop() to end it)."""
    os.environ.update(MOTO_SETTINGS)  # read by moto when its backends are first built
    # moto answers the calls it does not implement (DNS Firewall, snapshot locks...) with an HTTP 500 and logs a
    # traceback for each through werkzeug; the scan reports those reads as errors, the console needs no traceback.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
            "AWS_DEFAULT_REGION": DEMO_REGIONS[0],
            # S3 Control puts the account id in the host name; moto answers it when used as a proxy.
            "HTTP_PROXY": f"http://{host}:{port}",
        }
    )
    return server


def _seed_from_demo_module(regions: tuple[str, ...]) -> None:
    from scanners.demo import seed_demo_account

    seed_demo_account(regions=regions)


def demo_account_scan(seed: Callable[[tuple[str, ...]], None] = _seed_from_demo_module) -> ScanRun:
    """Seed the fresh moto server, make sure `demo-aws` exists, and scan it here and now.

    Safe on every restart with the same database: the account is reused, a scan left running by a
    stopped demo is closed as failed, and resources of the previous server are marked gone.
    """
    seed(DEMO_REGIONS)
    account = CloudAccount.objects.filter(name=DEMO_ACCOUNT).first()
    if account is None:
        account = cloud_account_create(name=DEMO_ACCOUNT, regions=list(DEMO_REGIONS))
    interrupted = [{"region": "", "service": "", "reason": "interrupted: the demo was stopped during the scan"}]
    account.runs.active().update(state=RunState.FAILED, finished_at=timezone.now(), errors=interrupted)
    run = scan_request(account=account, enqueue=False)
    return engine.scan_run_sync(run_id=run.pk)
