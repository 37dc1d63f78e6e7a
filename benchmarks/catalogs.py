"""How long `load_catalogs` takes: into an empty database, and again when there is nothing left to change.

    .venv/bin/python benchmarks/catalogs.py [--runs 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ct_catalog .venv/bin/python benchmarks/catalogs.py

The database named by DATABASE_URL (SQLite in a file when unset) is never touched: the benchmark creates a
throwaway database beside it (`<name>_benchmark`, migrated from scratch), empties it before every first
load, and drops it at the end. Each figure is the median of the runs; the number of SQL statements of each
load is printed too, since it must not grow with anything but the number of catalog files.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["CONTROLTRACE_TESTING"] = "true"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402

from compliance.catalog import load_catalogs  # noqa: E402
from compliance.models import Control, ControlMapping  # noqa: E402


def timed_load() -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        load_catalogs()
        elapsed = time.perf_counter() - started
    return elapsed, len(queries)


def describe(label: str, samples: list[tuple[float, int]]) -> str:
    seconds = [elapsed for elapsed, _ in samples]
    statements = sorted({count for _, count in samples})
    return (
        f"{label}: median {statistics.median(seconds) * 1000:.0f} ms "
        f"(min {min(seconds) * 1000:.0f}, max {max(seconds) * 1000:.0f}; "
        f"{'/'.join(map(str, statements))} SQL statements)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs

    settings = connection.settings_dict
    workdir = tempfile.TemporaryDirectory()
    if connection.vendor == "sqlite":
        # A file, as the embedded default uses, rather than the in-memory database Django tests get.
        settings["TEST"]["NAME"] = str(Path(workdir.name) / "benchmark.sqlite3")
    else:
        settings["TEST"]["NAME"] = f"{settings['NAME']}_benchmark"
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        first, second = [], []
        for _ in range(runs):
            call_command("flush", interactive=False, verbosity=0)
            first.append(timed_load())
            second.append(timed_load())
        counts = (Control.objects.count(), ControlMapping.objects.count())
    finally:
        teardown_databases(old_config, verbosity=0)
        workdir.cleanup()

    print(f"load_catalogs on {connection.vendor} ({runs} runs; {counts[0]} controls, {counts[1]} mappings)")
    print(describe("empty database ", first))
    print(describe("second run     ", second))


if __name__ == "__main__":
    main()
