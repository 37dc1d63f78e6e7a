"""A scan on threads against SQLite, the database of `make run`, in a process of its own.

    DATABASE_URL=sqlite:////tmp/x.sqlite3 python -m tests.scanners.sqlite_scan

Many units, each upserting the same few hundred resources, so that their writes meet. Prints the outcome as JSON.
"""

from __future__ import annotations

import json
import os

import django

REGIONS = ["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2"]
PER_REGION = 150


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from scanners import engine
    from scanners.models import ScanRun
    from scanners.services import cloud_account_create
    from tests.scanners import fakes

    fakes.install(setattr)
    for region in REGIONS:
        for index in range(PER_REGION):
            fakes.CLOUD.add("fake.security_group", region, f"sg-{region}-{index}", open_ssh=bool(index % 2))
            fakes.CLOUD.add("fake.user", "global", f"user/{region}-{index}", mfa=bool(index % 3))
    account = cloud_account_create(name="sqlite", regions=",".join(REGIONS))
    outcomes = []
    for _ in range(2):
        run = engine.scan_run_sync(run_id=ScanRun.objects.create(account=account).pk, concurrency=4)
        outcomes.append(
            {
                "state": run.state,
                "units": sorted(run.units.values_list("state", flat=True)),
                "errors": run.errors,
                "findings": run.findings.count(),
            }
        )
    print(json.dumps(outcomes))


if __name__ == "__main__":
    main()
