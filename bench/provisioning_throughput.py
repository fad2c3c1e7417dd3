"""Provisioning throughput: reservations provisioned through two Celery worker processes with the simulator at
zero boot delay, next to the throughput of a no-op Celery task on the same broker, measured in the same run.

Needs the PostgreSQL and Redis that `make test` uses. Creates (and drops) its own database (``kontor_bench``, or
``KONTOR_BENCH_DATABASE``) and uses Redis databases 12 and 13 (on ``KONTOR_BENCH_REDIS``, default the local server).
Prints its figures (``--output`` writes them as Markdown, as in bench/results/provisioning_throughput.md).

Each run measures its own floor first: as many no-op tasks as reservations, through the same workers. The
reservations are then moved to provisioning as beat's ``dispatch_due`` does (up to 200 per transaction) and the
clock stops when the last one is active.

The two measured workers consume the ``provisioning`` and ``default`` queues (the no-op task's), as production's
provisioning workers do; a third worker process consumes the other queues (``email``, ``documents``, ``metering``), as
production's e-mail worker does, so each reservation's 'active' e-mail (a notice task, then one send per recipient)
runs beside the measurement on the same two cores, not on the measured workers. ``--shared-email`` lets the two
workers consume every queue instead (the benchmark before 2026-12-02 07:30).

    .venv/bin/python bench/provisioning_throughput.py [--reservations 500] [--runs 3] [--shared-email] [--output FILE]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: The Redis server the benchmark uses (its own database numbers on it); another one keeps it off a busy server.
BENCH_REDIS = os.environ.get("KONTOR_BENCH_REDIS", "redis://127.0.0.1:6379")
DATABASE = os.environ.get("KONTOR_BENCH_DATABASE", "kontor_bench")
ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "CELERY_BROKER_URL": f"{BENCH_REDIS}/13",
    "REDIS_URL": f"{BENCH_REDIS}/12",
    "KONTOR_SIMULATOR_BOOT_SECONDS": "0",
    "KONTOR_LOG_LEVEL": "WARNING",
    "DJANGO_DEBUG": "0",
    "EMAIL_URL": "dummymail://",
}
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))


def recreate_database() -> None:
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")


def start_workers(queues: list[str]) -> list[subprocess.Popen[bytes]]:
    """One worker process (prefork, concurrency 1) per entry of ``queues`` (comma-separated queue names)."""
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                f"--queues={consumed}",
                "--without-heartbeat",
                "--loglevel=WARNING",
                f"--hostname=bench{index}@%h",
            ],
            cwd=ROOT,
            env={**os.environ},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for index, consumed in enumerate(queues)
    ]


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=30)


def wait_for(predicate: Callable[[], bool], timeout: float, poll: float = 0.05) -> float:
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the benchmark did not finish in time")
        time.sleep(poll)
    return time.perf_counter() - start


#: Every queue (purged before the runs, drained before each floor).
QUEUES = ("default", "provisioning", "documents", "email", "metering")
#: What the two measured workers consume: the no-op task's queue and provisioning's, as production's provisioning
#: workers; the others go to a worker of their own, as production's e-mail worker (``--shared-email``: all to both).
MEASURED_QUEUES = ("default", "provisioning")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reservations", type=int, default=500, help="reservations per run")
    parser.add_argument("--runs", type=int, default=3, help="runs, each with its own no-op floor")
    parser.add_argument(
        "--shared-email",
        action="store_true",
        help="the two measured workers consume every queue (the e-mail tasks too); no third worker",
    )
    parser.add_argument("--output", type=Path, help="write the Markdown summary here")
    args = parser.parse_args()
    count = args.reservations

    recreate_database()
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import transaction

    from catalog.models import CatalogItem, Flavor, GpuModel
    from catalog.services import quote_create
    from portal.celery import app
    from portal.tasks import BENCH_COUNTER_KEY, bench_ping
    from provisioning.models import SimulatedServer
    from reservations.choices import ReservationState
    from reservations.models import QuotaLimit, Reservation
    from reservations.services import reservation_create, reservation_transition
    from tenants.audit import Actor
    from tenants.choices import Role
    from tenants.demo import legal_documents_ensure
    from tenants.models import Consent, LegalDocument, Membership, Organization, User

    call_command("migrate", verbosity=0)
    call_command("seed_catalog", verbosity=0)
    call_command("seed_inventory", verbosity=0)
    legal_documents_ensure()
    actor = Actor.system("bench")
    owner = User.objects.create_user("bench@example.de", "bench-password-2026")
    organization = Organization.objects.create(legal_name="Bench GmbH", slug="bench", country="DE", status="active")
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    for document in LegalDocument.objects.all():
        Consent.objects.create(organization=organization, document=document, user=owner)
    QuotaLimit.objects.create(
        organization=organization, gpu_model=GpuModel.objects.get(slug="b200"), max_gpus=count * args.runs * 2
    )
    version = CatalogItem.objects.get(slug="pytorch").versions.order_by("-released_on")[0]
    flavor = Flavor.objects.get(slug="b200-x1")
    # Far enough ahead that the last booking still starts in the future on a busy machine; the benchmark moves them
    # to provisioning itself (no beat runs).
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)

    print(f"booking {count * args.runs} on-demand reservations ...", flush=True)
    reservations = []
    for _ in range(count * args.runs):
        quote = quote_create(
            actor=actor,
            organization=organization,
            version=version,
            flavor=flavor,
            instance_count=1,
            commitment="on_demand",
            starts_at=start + timedelta(seconds=30),
            ends_at=start + timedelta(hours=1, seconds=30),
        )
        reservations.append(reservation_create(actor=actor, organization=organization, quote=quote).reservation)

    with app.connection_for_write() as broker:
        for queue in QUEUES:
            broker.default_channel.queue_purge(queue)  # type: ignore[attr-defined]
    if args.shared_email:
        worker_queues = [",".join(QUEUES)] * 2
    else:
        others = [queue for queue in QUEUES if queue not in MEASURED_QUEUES]
        worker_queues = [",".join(MEASURED_QUEUES)] * 2 + [",".join(others)]
    workers = start_workers(worker_queues)
    runs: list[tuple[float, float]] = []  # (no-op seconds, provisioning seconds) per run
    try:
        # Every worker answers before any clock starts (a worker takes many seconds to start on a busy machine).
        wait_for(lambda: len(app.control.ping(timeout=0.5) or []) == len(workers), timeout=300, poll=0.5)

        def drained() -> bool:
            """No message waiting in any queue and no task running: what a run leaves behind after its clock
            stopped (the activation e-mails and their sends) is not counted against the next run's floor."""
            with app.connection_for_write() as broker:
                channel: Any = broker.default_channel
                if any(channel._size(queue) for queue in QUEUES):  # Redis: the list's length, every priority
                    return False
            active = app.control.inspect(timeout=1).active() or {}
            return len(active) == len(workers) and not any(active.values())

        for run in range(args.runs):
            batch = reservations[run * count : (run + 1) * count]
            wait_for(drained, timeout=600, poll=0.5)
            # Baseline: the same number of no-op tasks through the same broker and workers, idle when it starts.
            cache.set(BENCH_COUNTER_KEY, 0, timeout=None)
            began = time.perf_counter()
            for _ in range(count):
                bench_ping.delay()
            wait_for(lambda: cache.get(BENCH_COUNTER_KEY) == count, timeout=600)
            noop_seconds = time.perf_counter() - began

            print(f"run {run + 1}: provisioning {count} reservations through 2 worker processes ...", flush=True)
            ids = [reservation.pk for reservation in batch]
            began = time.perf_counter()
            # As beat's dispatch_due claims them: up to 200 per transaction, whose commit sends their tasks.
            for first in range(0, count, 200):
                with transaction.atomic():
                    for reservation in batch[first : first + 200]:
                        reservation_transition(
                            actor=actor, reservation=reservation, to_state=ReservationState.PROVISIONING
                        )
            wait_for(
                lambda ids=ids: (
                    Reservation.objects.unscoped()  # type: ignore[misc]
                    .filter(pk__in=ids, state=ReservationState.ACTIVE)
                    .count()
                    == count
                ),
                timeout=1800,
                poll=0.25,
            )
            provision_seconds = time.perf_counter() - began
            runs.append((noop_seconds, provision_seconds))
            ratio = noop_seconds / provision_seconds
            print(
                f"run {run + 1}: no-op {count / noop_seconds:.1f}/s, provisioned {count / provision_seconds:.1f}/s, "
                f"{ratio:.1%} of the no-op rate",
                flush=True,
            )
    finally:
        stop(workers)
    servers = SimulatedServer.objects.filter(deleted_at__isnull=True).count()
    load = os.getloadavg()

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.1f} (min {min(values):.1f}, max {max(values):.1f})"

    noop_rates = [count / noop for noop, _ in runs]
    provision_rates = [count / provisioned for _, provisioned in runs]
    ratios = [100 * noop / provisioned for noop, provisioned in runs]
    lines = [
        "# Provisioning throughput",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({os.cpu_count()} cores, load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end), PostgreSQL and Redis on localhost, two Celery "
        "worker processes (prefork, concurrency 1) consuming "
        + (
            "every queue (the e-mail tasks too), "
            if args.shared_email
            else f"{' and '.join(MEASURED_QUEUES)} (a third consumes {', '.join(others)}), "
        )
        + "simulator with zero boot delay. "
        f"`python bench/provisioning_throughput.py --reservations {count} --runs {args.runs}"
        f"{' --shared-email' if args.shared_email else ''}`",
        "",
        "| run | no-op tasks per second | reservations provisioned per second (scheduled → active) | ratio |",
        "|---:|---:|---:|---:|",
        *(
            f"| {index} | {noop:.1f} | {provisioned:.1f} | {ratio:.1f} % |"
            for index, (noop, provisioned, ratio) in enumerate(
                zip(noop_rates, provision_rates, ratios, strict=True), start=1
            )
        ),
        f"| median (min, max) | {spread(noop_rates)} | {spread(provision_rates)} | {spread(ratios)} % |",
        "",
        f"Servers created: {servers} (one per reservation: {'yes' if servers == count * args.runs else 'NO'}).",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.output:
        args.output.write_text(report)


if __name__ == "__main__":
    main()
