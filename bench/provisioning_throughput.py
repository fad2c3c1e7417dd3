"""Provisioning throughput: 1,000 reservations provisioned through two Celery worker processes with the simulator at
zero boot delay, next to the throughput of a no-op Celery task on the same broker, measured in the same run.

Needs the PostgreSQL and Redis that `make test` uses. Creates (and drops) its own database (``kontor_bench``, or
``KONTOR_BENCH_DATABASE``) and uses Redis databases 12 and 13 (on ``KONTOR_BENCH_REDIS``, default the local server).
Prints its figures.

    KONTOR_BENCH_REDIS=redis://127.0.0.1:6392 .venv/bin/python bench/provisioning_throughput.py [--reservations 1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


def start_workers(count: int) -> list[subprocess.Popen[bytes]]:
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
                "--queues=default,provisioning,documents,email,metering",
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
        for index in range(count)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reservations", type=int, default=1000)
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
        organization=organization, gpu_model=GpuModel.objects.get(slug="b200"), max_gpus=count * 2
    )
    version = CatalogItem.objects.get(slug="pytorch").versions.order_by("-released_on")[0]
    flavor = Flavor.objects.get(slug="b200-x1")
    # Far enough ahead that the last booking still starts in the future on a busy machine; the benchmark moves them
    # to provisioning itself (no beat runs).
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)

    print(f"booking {count} on-demand reservations ...", flush=True)
    reservations = []
    for _ in range(count):
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
        for queue in ("default", "provisioning"):
            broker.default_channel.queue_purge(queue)  # type: ignore[attr-defined]
    workers = start_workers(2)
    try:
        time.sleep(3)  # let both workers connect before the clock starts
        # Baseline: the same number of no-op tasks through the same broker and workers.
        cache.set(BENCH_COUNTER_KEY, 0, timeout=None)
        began = time.perf_counter()
        for _ in range(count):
            bench_ping.delay()
        wait_for(lambda: cache.get(BENCH_COUNTER_KEY) == count, timeout=600)
        noop_seconds = time.perf_counter() - began

        print(f"provisioning {count} reservations through 2 worker processes ...", flush=True)
        began = time.perf_counter()
        with transaction.atomic():  # the lifecycle events send the provisioning tasks after this commit
            for reservation in reservations:
                reservation_transition(actor=actor, reservation=reservation, to_state=ReservationState.PROVISIONING)
        wait_for(
            lambda: Reservation.objects.unscoped().filter(state=ReservationState.ACTIVE).count() == count,
            timeout=1800,
            poll=0.25,
        )
        provision_seconds = time.perf_counter() - began
    finally:
        stop(workers)
    servers = SimulatedServer.objects.filter(deleted_at__isnull=True).count()

    noop_rate = count / noop_seconds
    provision_rate = count / provision_seconds
    lines = [
        "# Provisioning throughput",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({os.cpu_count()} cores), "
        f"PostgreSQL and Redis on localhost, two Celery worker processes (prefork, concurrency 1), simulator with "
        "zero boot delay. `python bench/provisioning_throughput.py`",
        "",
        "| workload | count | seconds | per second |",
        "|---|---:|---:|---:|",
        f"| no-op task (cache increment) | {count} | {noop_seconds:.2f} | {noop_rate:.1f} |",
        f"| reservation provisioned (scheduled → active) | {count} | {provision_seconds:.2f} | {provision_rate:.1f} |",
        "",
        f"Servers created: {servers} (one per reservation: {'yes' if servers == count else 'NO'}).",
        f"Provisioning runs at {provision_rate / noop_rate:.1%} of the no-op rate: each reservation takes two tasks "
        "(the reservation, then its instance) and a dozen database writes with row locks and audit rows.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    (ROOT / "bench" / "results" / "provisioning_throughput.md").write_text(report)


if __name__ == "__main__":
    main()
