"""HTTP load: the cached public catalog list and an organization's reservation list (API key) under 32 concurrent
clients, next to a static file served by the same gunicorn (whitenoise) in the same run: p50, p95 and requests/s,
the median of three rounds and the spread. Then, in each round, the static file and the catalog once more with
the same users paced to a fixed offered rate (``--paced-rps``, the goal's 500 requests/s): the saturating rounds
measure the most the harness gets through (there the p95 is the queue of 32 users on 2 cores that locust shares),
the paced ones the latency of an answer at the goal's rate. Both are printed.

gunicorn runs with the repository's production configuration (deploy/gunicorn.conf.py: gthread, 2 workers x 8
threads), DEBUG off, PostgreSQL and Redis (the cache holds the throttle counters and the catalog's server-side copy).
The load comes from locust (headless, FastHttpUser, bounded time) on the same machine. The anonymous API limit and
the per-key one are raised for the run (one client address and one key send everything); every other setting is the
default.

Needs the PostgreSQL that `make test` uses and ``redis-server`` on the PATH: it starts its own Redis on a free
loopback port (no persistence, like a dedicated cache), so other work on the shared Redis does not weigh on the
figures (``KONTOR_BENCH_REDIS`` names a running one to flush and use instead). Creates (and drops) the database
``<DATABASE_URL's>_http_load`` (``KONTOR_BENCH_DATABASE`` names another). Prints its figures and writes them to
bench/results/http_load.md.

    .venv/bin/python bench/http_load.py [--seconds 15] [--rounds 3] [--users 32] [--paced-rps 500]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE_DATABASE = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kontor")
# KONTOR_BENCH_DATABASE names the database (several people benchmark on one PostgreSQL); KONTOR_BENCH_REDIS a Redis
# to use instead of starting a private one (it is flushed).
DATABASE = os.environ.get("KONTOR_BENCH_DATABASE") or f"{BASE_DATABASE.rsplit('/', 1)[1]}_http_load"
SERVER = BASE_DATABASE.rsplit("/", 1)[0]
BENCH_REDIS = os.environ.get("KONTOR_BENCH_REDIS", "")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


REDIS_PORT = int(BENCH_REDIS.rsplit(":", 1)[1].split("/")[0]) if BENCH_REDIS else free_port()
ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "DATABASE_URL": f"{SERVER}/{DATABASE}",
    "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
    "CELERY_BROKER_URL": f"redis://127.0.0.1:{REDIS_PORT}/1",
    "DJANGO_DEBUG": "0",
    "KONTOR_LOG_LEVEL": "WARNING",
    "GUNICORN_LOG_LEVEL": "warning",
    "KONTOR_API_RATE_ANON": "10000000/min",
    # The reservation list's one API key answers ~100 requests/s here: above the default 1,200/min per key, whose
    # 429s (fast failures) would inflate its rate.
    "KONTOR_API_RATE_PER_KEY": "10000000/min",
    "EMAIL_URL": "dummymail://",
}
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))
STATIC_FILE = "/static/vendor/htmx/htmx-2.0.11.min.js"
CATALOG = "/api/v1/catalog/items/"


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")


def seed(reservations: int) -> tuple[str, str]:
    """The catalog, one organization with ``reservations`` reservations and an API key; returns (path, token)."""
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    from catalog.models import CatalogItem, Flavor, GpuModel
    from catalog.services import quote_create
    from reservations.models import QuotaLimit
    from reservations.services import reservation_create
    from tenants.audit import Actor
    from tenants.choices import Role
    from tenants.demo import legal_documents_ensure
    from tenants.models import Consent, LegalDocument, Membership, Organization, User
    from tenants.permissions import Scope
    from tenants.services import api_key_create

    call_command("migrate", verbosity=0)
    call_command("seed_catalog", verbosity=0)
    call_command("seed_inventory", verbosity=0)
    cache.clear()
    legal_documents_ensure()
    actor = Actor.system("bench")
    owner = User.objects.create_user("bench@example.de", "bench-password-2026")
    organization = Organization.objects.create(legal_name="Bench GmbH", slug="bench", country="DE", status="active")
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    for document in LegalDocument.objects.all():
        Consent.objects.create(organization=organization, document=document, user=owner)
    QuotaLimit.objects.create(
        organization=organization, gpu_model=GpuModel.objects.get(slug="b200"), max_gpus=reservations * 2
    )
    version = CatalogItem.objects.get(slug="pytorch").versions.order_by("-released_on")[0]
    flavor = Flavor.objects.get(slug="b200-x1")
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    for index in range(reservations):
        quote = quote_create(
            actor=actor,
            organization=organization,
            version=version,
            flavor=flavor,
            instance_count=1,
            commitment="on_demand",
            starts_at=start + timedelta(hours=index),
            ends_at=start + timedelta(hours=index + 1),
        )
        reservation_create(actor=actor, organization=organization, quote=quote)
    _key, token = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name="bench", scopes=[Scope.RESERVATIONS_READ]
    )
    return f"/api/v1/organizations/{organization.slug}/reservations/", token


def start_redis() -> subprocess.Popen[bytes] | None:
    """A private redis-server on ``REDIS_PORT`` (``None``: ``KONTOR_BENCH_REDIS``'s, already running, is used)."""
    if BENCH_REDIS:
        import redis

        redis.Redis.from_url(BENCH_REDIS).flushall()
        return None
    process = subprocess.Popen(
        ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("redis-server did not start")


def stop_redis(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None:
        process.terminate()
        process.wait(timeout=20)


def start_gunicorn(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "portal.wsgi:application"],
        cwd=ROOT,
        env={**os.environ, "KONTOR_PORT": str(port)},
        stdout=subprocess.DEVNULL,  # the JSON access log, one line per request, as in production
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def measure(
    port: int, path: str, authorization: str, seconds: int, users: int, workdir: Path, rate: float = 0.0
) -> dict[str, float]:
    """One locust run: saturating (``rate`` 0: no think time) or paced (``rate`` requests/s per user)."""
    prefix = workdir / f"run{time.monotonic_ns()}"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "http_load_locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "ERROR",
            "--stop-timeout",
            "5",
        ],
        env={**os.environ, "BENCH_PATH": path, "BENCH_AUTHORIZATION": authorization, "BENCH_RATE": str(rate or "")},
        cwd=workdir,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=open(f"{prefix}.log", "wb"),  # noqa: SIM115  # closed with the process
        timeout=seconds + 60,
    )
    if not Path(f"{prefix}_stats.csv").exists():
        raise RuntimeError(f"locust wrote no statistics:\n{Path(f'{prefix}.log').read_text()[-3000:]}")
    with open(f"{prefix}_stats.csv", newline="") as stats:
        row = next(line for line in csv.DictReader(stats) if line["Name"] == "Aggregated")

    def number(value: str) -> float:
        return float("nan") if value in ("", "N/A") else float(value)  # no answer at all in the round: N/A

    figures = {
        "rps": number(row["Requests/s"]),
        "p50": number(row["50%"]),
        "p95": number(row["95%"]),
        "requests": number(row["Request Count"]),
        "failures": number(row["Failure Count"]),
    }
    print(f"  {figures}", flush=True)
    if not figures["requests"]:
        print(Path(f"{prefix}.log").read_text()[-2000:], flush=True)
    return figures


def summary(runs: list[dict[str, float]], key: str) -> str:
    values = [run[key] for run in runs if run[key] == run[key]]  # NaN: a round without answers
    if not values:
        return "–"
    return f"{statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--reservations", type=int, default=100)
    # The paced rounds: the static file and the catalog at this offered rate (the goal's 500 requests/s), spread
    # over the same users; 0 leaves them out.
    parser.add_argument("--paced-rps", type=float, default=500.0)
    args = parser.parse_args()

    redis = start_redis()
    try:
        run(args)
    finally:
        stop_redis(redis)


def run(args: argparse.Namespace) -> None:
    recreate_database()
    reservations_path, token = seed(args.reservations)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env={**os.environ}, check=True
    )
    targets = {
        f"static file `{STATIC_FILE}` (whitenoise)": (STATIC_FILE, ""),
        f"catalog list `{CATALOG}` (cached, anonymous)": (CATALOG, ""),
        f"reservation list `{reservations_path}` ({args.reservations} reservations, API key)": (
            reservations_path,
            f"Bearer {token}",
        ),
    }
    port = free_port()
    server = start_gunicorn(port)
    workdir = Path(tempfile.mkdtemp(prefix="http_load_"))
    results: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    paced_targets = dict(list(targets.items())[:2]) if args.paced_rps > 0 else {}
    paced: dict[str, list[dict[str, float]]] = {name: [] for name in paced_targets}
    loads: list[float] = []
    try:
        for round_number in range(1, args.rounds + 1):
            loads.append(os.getloadavg()[0])
            for name, (path, authorization) in targets.items():
                print(f"round {round_number}: {name} ...", flush=True)
                results[name].append(measure(port, path, authorization, args.seconds, args.users, workdir))
            for name, (path, authorization) in paced_targets.items():
                print(f"round {round_number}: {name} paced at {args.paced_rps:.0f}/s ...", flush=True)
                paced[name].append(
                    measure(
                        port, path, authorization, args.seconds, args.users, workdir, rate=args.paced_rps / args.users
                    )
                )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)

    static_rps = statistics.median(run["rps"] for run in results[next(iter(targets))] if run["rps"] == run["rps"])
    lines = [
        "# HTTP load: cached catalog list and reservation list next to a static file",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores "
        "(the load average below says what else ran; locust runs on the same cores as gunicorn, so the static-file "
        "row is the ceiling of this harness on this machine), Python "
        f"{platform.python_version()}. gunicorn from deploy/gunicorn.conf.py (gthread, 2 workers × 8 threads), "
        f"the shared PostgreSQL and a private redis-server on loopback, {args.users} concurrent locust users "
        "(FastHttpUser, no think time), "
        f"{args.seconds} s per target and round, {args.rounds} rounds; median (min–max) of the rounds. Latencies in "
        "ms. Anonymous and per-key API limits raised for the run (one client address, one key); every answer "
        "counted by the throttles. "
        f"Load average (1 min) at each round's start: {', '.join(f'{load:.1f}' for load in loads)}.",
        "",
        "| target | requests/s | p50 ms | p95 ms | vs static | failures |",
        "|---|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        rps = statistics.median([run["rps"] for run in runs if run["rps"] == run["rps"]] or [0.0])
        failures = int(sum(run["failures"] for run in runs if run["failures"] == run["failures"]))
        lines.append(
            f"| {name} | {summary(runs, 'rps')} | {summary(runs, 'p50')} | {summary(runs, 'p95')} | "
            f"{rps / static_rps:.0%} | {failures} |"
        )
    if paced:
        lines += [
            "",
            f"Paced: the same users, each on a fixed schedule of {args.paced_rps / args.users:.1f} requests/s from a "
            f"random phase, {args.paced_rps:.0f} requests/s offered in all (a user behind its schedule sends at once, "
            "so an answer slower than the schedule shows as a lower rate, not as a hidden wait); the same rounds, "
            "right after each round's saturating runs.",
            "",
            "| target (paced) | offered/s | answered/s | p50 ms | p95 ms | p95 vs static | failures |",
            "|---|---|---|---|---|---|---|",
        ]
        static_p95 = statistics.median(run["p95"] for run in paced[next(iter(paced))] if run["p95"] == run["p95"])
        for name, runs in paced.items():
            p95 = statistics.median([run["p95"] for run in runs if run["p95"] == run["p95"]] or [0.0])
            failures = int(sum(run["failures"] for run in runs if run["failures"] == run["failures"]))
            lines.append(
                f"| {name} | {args.paced_rps:.0f} | {summary(runs, 'rps')} | {summary(runs, 'p50')} | "
                f"{summary(runs, 'p95')} | {p95 / static_p95:.1f}× | {failures} |"
            )
    lines += [
        "",
        "Goal (issue 19): catalog list ≥ 500 requests/s with p95 < 20 ms (cached). Reproduce with "
        "`.venv/bin/python bench/http_load.py`.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    (ROOT / "bench" / "results" / "http_load.md").write_text(report)


if __name__ == "__main__":
    main()
