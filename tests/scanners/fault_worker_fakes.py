"""Imported by the fault tests' Celery worker (`-I tests.scanners.fault_worker_fakes`): the fake cloud of
worker_fakes, with a gate in one unit. fake-network in eu-west-1 appends the worker's pid to
`$FAULT_GATE_DIR/entered` when it starts collecting, then waits while `$FAULT_GATE_DIR/closed` exists,
so a test can kill the worker, or its database connections, in the middle of that unit."""

import os
import time
from pathlib import Path

from tests.scanners import fakes

GATED_REGION = "eu-west-1"
GATE_LIMIT_SECONDS = 120

fakes.install(setattr)
fakes.CLOUD.seed_default()
gate = Path(os.environ["FAULT_GATE_DIR"])
network = fakes.SERVICE_GROUPS["fake-network"]


def gated_collect(factory, region: str):
    if region == GATED_REGION:
        with (gate / "entered").open("a") as entered:
            entered.write(f"{os.getpid()}\n")
        deadline = time.monotonic() + GATE_LIMIT_SECONDS
        while (gate / "closed").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    yield from network.collect(factory, region)


fakes.SERVICE_GROUPS["fake-network"] = type(network)(
    network.name, network.is_global, network.resource_types, gated_collect
)
