"""How a scan scales: N resources over 3 regions, one in-process scan each, wall time and peak memory.

    .venv/bin/python benchmarks/scan.py                      # moto: the real collectors and checks
    .venv/bin/python benchmarks/scan.py --synthetic          # the engine alone: in-memory documents
    .venv/bin/python benchmarks/scan.py --sizes 100,1000     # fewer sizes
    .venv/bin/python benchmarks/scan.py --synthetic --heap   # and the Python heap peak
    .venv/bin/python benchmarks/scan.py --prowler /work/.prowler-venv/bin/prowler --repeat 3   # against Prowler
    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python benchmarks/scan.py --workers 1,2 --sizes 300

With --prowler (install it apart, never as a project dependency: `python3.11 -m venv /work/.prowler-venv &&
/work/.prowler-venv/bin/pip install prowler==5.46.0`), the demo account (`scanners.demo`) is seeded over the
3 regions into one moto server and scanned, `--repeat` times and interleaved so that all see the same load, by
ControlTrace (every service group and check, findings, evidence and statuses included), by Prowler's
`--compliance iso27001_2022_aws` run and by Prowler restricted to the services ControlTrace reads; the script
prints each time with the load average, the medians and both ratios.

With --workers, a real Celery worker process per count (`--worker-pool`, `--worker-concurrency`) serves a queue
of its own on Redis, sharing the PostgreSQL database; the same seeded account (`--sizes`: its first size) is
scanned `--repeat` times per worker count, interleaved, from the plan task to the finished run.

moto mode starts `moto_server` in its own process and seeds it with security groups, EBS volumes and
S3 buckets (a third each); synthetic mode feeds the same three resource types from memory, with
three checks, to measure the engine (recording, findings, latest results, evidence) without AWS
calls. Each size is scanned in a fresh child process so that its peak RSS is its own; with --heap
the Python heap peak comes from tracemalloc (which slows the scan). The database is a new SQLite
file unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2")
SIZES = (100, 1_000, 10_000)


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("CONTROLTRACE_TESTING", "true")  # no SECRET_KEY needed, in-process tasks
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()


# --- what gets scanned ----------------------------------------------------------------------------


def seed_moto(endpoint: str, n: int) -> None:
    """n resources over the regions: a third security groups, a third volumes, a third buckets."""
    import boto3
    import requests

    requests.post(f"{endpoint}/moto-api/reset", timeout=30).raise_for_status()
    for index in range(n):
        region = REGIONS[index % len(REGIONS)]
        kind = index // len(REGIONS) % 3
        if kind == 0:
            ec2 = boto3.client("ec2", region_name=region)
            group = ec2.create_security_group(GroupName=f"bench-{index}", Description="benchmark")
            if index % 2:
                ec2.authorize_security_group_ingress(
                    GroupId=group["GroupId"], IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="0.0.0.0/0"
                )
        elif kind == 1:
            boto3.client("ec2", region_name=region).create_volume(
                AvailabilityZone=f"{region}a", Size=1, Encrypted=bool(index % 2)
            )
        else:
            location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            boto3.client("s3", region_name=region).create_bucket(Bucket=f"bench-{index}", **location)


def synthetic_install(n: int) -> None:
    """The same three types from memory, with a check each, registered like the AWS ones."""
    from scanners import engine
    from scanners.checks import base as checks
    from scanners.collectors import base as collectors

    types = ("bench.security_group", "bench.volume", "bench.bucket")

    def collect(factory, region):
        for index in range(REGIONS.index(region), n, len(REGIONS)):
            yield collectors.ResourceDoc(
                uid=f"arn:bench:{region}:{index}",
                type=types[index // len(REGIONS) % 3],
                region=region,
                name=f"bench-{index}",
                tags={"Name": f"bench-{index}", "team": "platform"},
                config={"open_ssh": bool(index % 2), "encrypted": bool(index % 2), "rules": [{"port": 443}] * 4},
            )

    def flag(name, passing):
        return lambda doc: checks.Result(checks.Status.PASS if doc["config"][name] is passing else checks.Status.FAIL)

    specs = [
        ("bench_sg_ssh", types[0], ("iso27001-2022:A.8.20", "soc2-2017:CC6.6"), flag("open_ssh", False)),
        ("bench_volume_encrypted", types[1], ("iso27001-2022:A.8.24",), flag("encrypted", True)),
        ("bench_bucket_encrypted", types[2], ("iso27001-2022:A.8.24", "iso27001-2022:A.8.12"), flag("encrypted", True)),
    ]
    registry = {
        cid: checks.Check(cid, cid, "bench", rtype, "high", controls, "fix it", evaluate)
        for cid, rtype, controls, evaluate in specs
    }
    collectors.SERVICE_GROUPS = {"bench": collectors.ServiceGroup("bench", False, types, collect)}
    checks.REGISTRY = registry
    checks.checks_for = lambda t: [c for c in registry.values() if c.resource_type == t]
    checks.all_checks = lambda: list(registry.values())
    engine.registries_load = lambda: None

    class NoAws:
        def account_id(self) -> str:
            return "123456789012"

    engine.client_factory_for = lambda account: NoAws()


# --- one measured scan (child process) -------------------------------------------------------------


PROWLER_COMPLIANCE = "iso27001_2022_aws"
# Prowler's names for the AWS services ControlTrace reads (scanners/collectors/aws): its service-restricted run.
PROWLER_SERVICES = (
    "apigateway", "autoscaling", "backup", "cloudformation", "cloudfront", "cloudtrail", "cloudwatch",
    "codepipeline", "config", "ec2", "ecr", "elbv2", "guardduty", "iam", "inspector2", "kms", "macie",
    "organizations", "rds", "route53", "s3", "securityhub", "ssm", "vpc", "wafv2",
)  # fmt: skip


def prowler_run(prowler: str, env: dict, restricted: bool) -> tuple[float, int]:
    """Prowler's wall time and result rows on the same account and regions: its ISO 27001:2022 compliance run,
    or (restricted) every check of the services ControlTrace reads."""
    out = tempfile.mkdtemp(prefix="ct-bench-prowler-")
    command = [prowler, "aws", "--region", *REGIONS, "-M", "csv", "--no-banner", "-o", out]
    command += ["--service", *PROWLER_SERVICES] if restricted else ["--compliance", PROWLER_COMPLIANCE]
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    # Only the findings file (Prowler also writes a CSV per compliance framework in a subfolder); its
    # fields hold newlines, so count records, not lines.
    rows = 0
    for path in Path(out).glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            rows += sum(1 for _ in csv.DictReader(handle, delimiter=";"))
    return seconds, rows


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def ratios_print(times: dict[str, list[float]]) -> None:
    medians = {name: statistics.median(values) for name, values in times.items()}
    print("medians: " + ", ".join(f"{name} {value:.2f} s" for name, value in medians.items()))
    ours = medians["ControlTrace"]
    print(f"Prowler full / ControlTrace: {medians['Prowler full'] / ours:.1f}x (goal 10x); "
          f"Prowler restricted / ControlTrace: {medians['Prowler restricted'] / ours:.1f}x (goal 5x); "
          f"load now {load()}", flush=True)  # fmt: skip


def against_prowler(args, env: dict) -> None:
    """Ours (a full scan of every service group, in a child process) and Prowler's two runs on the same seeded
    account, interleaved so that all three see the same load, `--repeat` times; then medians and ratios."""
    from scanners.demo import seed_demo_account

    server, env["AWS_ENDPOINT_URL"] = moto_start(env)
    env["HTTP_PROXY"] = env["AWS_ENDPOINT_URL"]
    os.environ.update(AWS_ENDPOINT_URL=env["AWS_ENDPOINT_URL"], HTTP_PROXY=env["HTTP_PROXY"])
    try:
        started = time.perf_counter()
        seed_demo_account(regions=REGIONS)
        print(f"seeded the demo account over {', '.join(REGIONS)} in {time.perf_counter() - started:.1f} s")
        times: dict[str, list[float]] = {"ControlTrace": [], "Prowler full": [], "Prowler restricted": []}
        for _ in range(args.repeat):
            before = load()
            scan = subprocess.run([sys.executable, __file__, "--child", "0"], env=env, check=True, capture_output=True)
            ours = json.loads(scan.stdout)
            times["ControlTrace"].append(ours["seconds"])
            print(
                f"ControlTrace        {ours['seconds']:>7.2f} s  {ours['findings']:>6} findings  load {before}",
                flush=True,
            )
            for name, restricted in (("Prowler full", False), ("Prowler restricted", True)):
                before = load()
                seconds, rows = prowler_run(args.prowler, env, restricted)
                times[name].append(seconds)
                print(f"{name:<19} {seconds:>7.2f} s  {rows:>6} results   load {before}", flush=True)
            ratios_print(times)  # after every round, so that an interrupted run still says where it stood
    finally:
        server.terminate()
        server.wait()


def child(n: int, synthetic: bool, heap: bool) -> None:
    django_setup()
    if synthetic:
        synthetic_install(n)
    from demo_scan import conclude_timed, evidence_written  # benchmarks/ is this script's first import path

    from scanners import engine
    from scanners.models import Resource, ScanRun
    from scanners.services import cloud_account_create

    account = cloud_account_create(name=f"bench-{n}-{int(time.time())}", regions=list(REGIONS))
    concluding = conclude_timed()
    run = ScanRun.objects.create(account=account)
    if heap:  # tracemalloc slows allocation-heavy code down: off unless asked for
        tracemalloc.start()
    started = time.perf_counter()
    run = engine.scan_run_sync(run_id=run.pk)
    seconds = time.perf_counter() - started
    heap_peak = tracemalloc.get_traced_memory()[1] if heap else 0
    evidence_items, evidence_bytes = evidence_written(run)
    print(
        json.dumps(
            {
                "n": n,
                "state": run.state,
                "seconds": round(seconds, 2),
                "resources": Resource.objects.filter(account=account, placeholder=False).count(),
                "findings": run.findings.count(),
                "conclude_s": round(sum(concluding), 2),
                "evidence_items": evidence_items,
                "evidence_bytes": evidence_bytes,
                "heap_peak_mib": round(heap_peak / 2**20, 1) if heap else "-",
                "rss_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )
    )


# --- scale-out: the same scan on one and on several real Celery workers --------------------------------


def workers_start(count: int, args, env: dict, queue: str, logs: Path) -> list[tuple[subprocess.Popen, Path]]:
    """`count` worker processes on one queue, each with its own pool; returns them once every one is ready."""
    started = []
    for index in range(count):
        log = logs / f"{queue}-{index}.log"
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-n", f"{queue}-{index}@%h"]
        command += [f"--pool={args.worker_pool}", f"--concurrency={args.worker_concurrency}"]
        command += ["--without-gossip", "--without-mingle", "-l", "INFO"]
        with log.open("w") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        started.append((process, log))
    deadline = time.monotonic() + 180
    while not all("ready." in log.read_text(errors="replace") for _, log in started):
        if time.monotonic() > deadline or any(process.poll() is not None for process, _ in started):
            workers_stop(started)
            raise SystemExit(f"a Celery worker did not start; see {logs}")
        time.sleep(0.2)
    return started


def workers_stop(workers: list[tuple[subprocess.Popen, Path]]) -> None:
    for process, _ in workers:
        process.terminate()
    for process, _ in workers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM) while it is still running."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def scan_on_workers(count: int, args, env: dict, logs: Path) -> dict:
    """Send the plan task of a new account's run to `count` fresh workers and wait for the run to finish."""
    from celery import Celery

    from scanners.models import FINISHED_STATES, ScanRun
    from scanners.services import cloud_account_create

    queue = f"bench-scan-{os.getpid()}-{time.monotonic_ns()}"
    workers = workers_start(count, args, {**env, "CELERY_TASK_DEFAULT_QUEUE": queue}, queue, logs)
    try:
        account = cloud_account_create(name=queue, regions=list(REGIONS))
        run = ScanRun.objects.create(account=account)
        load = open("/proc/loadavg").read().split()[0]
        started = time.perf_counter()
        Celery(broker=env["REDIS_URL"]).send_task("scanners.scan_account", args=[run.pk], queue=queue)
        while not ScanRun.objects.filter(pk=run.pk, state__in=FINISHED_STATES).exists():
            if time.perf_counter() - started > 1800:
                raise SystemExit(f"the scan did not finish in 30 minutes; see {logs}")
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        rss = [peak_rss_mib(process.pid) for process, _ in workers]
    finally:
        workers_stop(workers)
    run.refresh_from_db()
    return {"seconds": seconds, "state": run.state, "units": run.units_total, "findings": run.findings.count(),
            "rss": rss, "load": load}  # fmt: skip


def scale_out(args, env: dict) -> None:
    """The same seeded account scanned on 1, 2, ... workers, the worker counts interleaved `--repeat` times."""
    if not env.get("DATABASE_URL", "").startswith("postgres") or not env.get("REDIS_URL"):
        raise SystemExit("--workers needs DATABASE_URL on PostgreSQL and REDIS_URL: workers share both")
    counts = [int(count) for count in args.workers.split(",")]
    n = int(args.sizes.split(",")[0])
    server, env["AWS_ENDPOINT_URL"] = moto_start(env)
    env["HTTP_PROXY"] = env["AWS_ENDPOINT_URL"]
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DATABASE_CONN_MAX_AGE="0", PYTHONPATH=str(ROOT))
    os.environ.update(env)
    logs = Path(tempfile.mkdtemp(prefix="ct-bench-workers-"))
    try:
        seeding = time.perf_counter()
        seed_moto(env["AWS_ENDPOINT_URL"], n)
        print(f"seeded {n} resources over {len(REGIONS)} regions in {time.perf_counter() - seeding:.1f} s")
        django_setup()
        times: dict[int, list[float]] = {count: [] for count in counts}
        print(f"{'workers':>7} {'pool':>12} {'state':<10} {'units':>5} {'findings':>8} {'scan s':>7} "
              f"{'load':>5}  peak RSS MiB per worker")  # fmt: skip
        for _ in range(args.repeat):
            for count in counts:
                result = scan_on_workers(count, args, env, logs)
                times[count].append(result["seconds"])
                pool = f"{args.worker_pool}x{args.worker_concurrency}"
                print(f"{count:>7} {pool:>12} {result['state']:<10} {result['units']:>5} {result['findings']:>8} "
                      f"{result['seconds']:>7.2f} {result['load']:>5}  {result['rss']}", flush=True)  # fmt: skip
        for count in counts:
            print(f"{count} worker(s): median {statistics.median(times[count]):.2f} s of {times[count]}")
    finally:
        server.terminate()
        server.wait()


# --- the driver -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def moto_start(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env={**env, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false", "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, endpoint
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("moto_server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--synthetic", action="store_true", help="the engine alone, without moto")
    parser.add_argument("--heap", action="store_true", help="also measure the Python heap peak (slower)")
    parser.add_argument("--prowler", help="path to a prowler executable to compare with (moto mode)")
    parser.add_argument("--workers", help="scale-out: worker counts to compare, e.g. 1,2 (moto, PostgreSQL, Redis)")
    parser.add_argument("--worker-pool", default="threads", help="each worker's pool (threads, prefork, solo)")
    parser.add_argument("--worker-concurrency", type=int, default=4, help="each worker's pool size")
    parser.add_argument("--repeat", type=int, default=3, help="scans per worker count (--workers)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        return child(args.child, args.synthetic, args.heap)

    sys.path.insert(0, str(ROOT))
    if not args.synthetic and importlib.util.find_spec("scanners.collectors.aws") is None:
        raise SystemExit("moto mode needs the AWS collectors (scanners.collectors.aws); try --synthetic")
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='ct-bench-')}/bench.sqlite3"
    env.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": REGIONS[0]})
    env.update({"CONTROLTRACE_TESTING": "true", "MEDIA_ROOT": tempfile.mkdtemp(prefix="ct-bench-media-")})
    env.pop("AWS_PROFILE", None)
    os.environ.update(env)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*manage, "load_catalogs"], env=env, check=True, stdout=subprocess.DEVNULL)
    if args.workers:
        return scale_out(args, env)
    if args.prowler:
        return against_prowler(args, env)

    server = None
    if not args.synthetic:
        server, env["AWS_ENDPOINT_URL"] = moto_start(env)
        # S3 Control puts the account id in the host name; moto answers it as a proxy (see MOTO.md).
        env["HTTP_PROXY"] = env["AWS_ENDPOINT_URL"]
        os.environ.update(AWS_ENDPOINT_URL=env["AWS_ENDPOINT_URL"], HTTP_PROXY=env["HTTP_PROXY"])
    try:
        print(
            f"{'mode':<10} {'N':>7} {'state':<10} {'seed s':>7} {'scan s':>7} {'findings':>8} "
            f"{'heap MiB':>8} {'RSS MiB':>8} {'conclude s':>10} {'evidence':>8} {'bytes':>11}"
        )
        for n in (int(size) for size in args.sizes.split(",")):
            seeding = time.perf_counter()
            if server is not None:
                seed_moto(env["AWS_ENDPOINT_URL"], n)
            seeding = time.perf_counter() - seeding
            command = [sys.executable, __file__, "--child", str(n)]
            command += (["--synthetic"] if args.synthetic else []) + (["--heap"] if args.heap else [])
            result = json.loads(subprocess.run(command, env=env, check=True, capture_output=True).stdout)
            mode = "synthetic" if args.synthetic else "moto"
            line = (
                f"{mode:<10} {n:>7} {result['state']:<10} {seeding:>7.1f} {result['seconds']:>7.2f} "
                f"{result['findings']:>8} {result['heap_peak_mib']:>8} {result['rss_peak_mib']:>8} "
                f"{result['conclude_s']:>10} {result['evidence_items']:>8} {result['evidence_bytes']:>11,}"
            )
            print(line, flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
