"""The longer manual fault run of issue 11: what the fault suite (tests/faults/) checks, at a larger scale.

1. Broker outages: 3 rounds; in each, 50 reservations are provisioned by two workers and the private Redis broker is
   restarted empty in the middle. Counts after the sweep interval: reservations stuck (not active), instances with
   other than one server, workers alive.
2. Worker kills: 50 reservations, 8 SIGKILLs of a worker (each replaced) during provisioning; the same counts.
3. Idempotent HTTP retries: 20 rounds of 64 concurrent clients against gunicorn; a quarter of the clients send their
   booking twice at the same instant with one Idempotency-Key (retrying a 409 idempotency_in_progress after its
   Retry-After). Count: duplicates answered with their twin's reservation, reservations per duplicated order.

Needs the PostgreSQL that `make test` uses; creates (and drops) its own database ``kontor_h11r_faults`` and starts
its own redis-server on a free loopback port. Writes bench/results/fault_run.md.

    .venv/bin/python bench/fault_run.py [--reservations 50] [--outages 3] [--kills 8] [--rounds 20] [--clients 64]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.faults.harness import PrivateRedis, Worker, free_port, wait_until, worker_env  # noqa: E402

DATABASE = "kontor_h11r_faults"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
STALE_SECONDS = 10  # the sweeper's threshold for this run (production: 600)


def recreate_database() -> None:
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reservations", type=int, default=50)
    parser.add_argument("--outages", type=int, default=3)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--output", default="bench/results/fault_run.md")
    args = parser.parse_args()

    broker = PrivateRedis()
    broker.start()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": DATABASE_URL,
            "CELERY_BROKER_URL": broker.url(1),
            "REDIS_URL": broker.url(0),
            "KONTOR_SIMULATOR_BOOT_SECONDS": "2",
            "KONTOR_SWEEP_STALE_SECONDS": str(STALE_SECONDS),
            "KONTOR_LOG_LEVEL": "WARNING",
            "DJANGO_DEBUG": "0",
            "EMAIL_URL": "dummymail://",
            # Faults are measured here, not rate limits: the API throttles are off for this run.
            "KONTOR_API_RATE_PER_KEY": "",
            "KONTOR_API_RATE_PER_USER": "",
        }
    )
    recreate_database()
    import django

    django.setup()
    import requests
    from django.core.management import call_command
    from django.db import transaction

    from catalog.models import CatalogItem, Flavor, GpuModel, Quote
    from catalog.services import quote_create
    from reservations.models import QuotaLimit, Reservation
    from tenants.audit import Actor
    from tenants.choices import Role
    from tenants.demo import legal_documents_ensure
    from tenants.models import Consent, LegalDocument, Membership, Organization, User
    from tenants.permissions import Scope
    from tenants.services import api_key_create
    from tests.faults.http_clients import Copy, send, session_for
    from tests.faults.provisioning import active, servers_per_instance, sweep

    call_command("migrate", verbosity=0)
    call_command("seed_catalog", verbosity=0)
    call_command("seed_inventory", verbosity=0)
    legal_documents_ensure()
    actor = Actor.system("fault-run")
    owner = User.objects.create_user("faults@example.de", "fault-password-2026")
    organization = Organization.objects.create(legal_name="Faults GmbH", slug="faults", country="DE", status="active")
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    for document in LegalDocument.objects.all():
        Consent.objects.create(organization=organization, document=document, user=owner)
    QuotaLimit.objects.create(organization=organization, gpu_model=GpuModel.objects.get(slug="b200"), max_gpus=10_000)
    version = CatalogItem.objects.get(slug="pytorch").versions.order_by("-released_on")[0]
    flavor = Flavor.objects.get(slug="b200-x1")

    def new_quote() -> Quote:
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=30)
        return quote_create(
            actor=actor,
            organization=organization,
            version=version,
            flavor=flavor,
            instance_count=1,
            commitment="on_demand",
            starts_at=starts,
            ends_at=starts + timedelta(hours=6),
        )

    def book(count: int) -> list[int]:
        from reservations.choices import ReservationState
        from reservations.services import reservation_create, reservation_transition

        reservations = [
            reservation_create(actor=actor, organization=organization, quote=new_quote()).reservation
            for _ in range(count)
        ]
        with transaction.atomic():  # every provisioning message is sent at this commit: all start together
            for reservation in reservations:
                reservation_transition(actor=actor, reservation=reservation, to_state=ReservationState.PROVISIONING)
        return [reservation.pk for reservation in reservations]

    env = worker_env(database_url=DATABASE_URL, broker=broker, DJANGO_SETTINGS_MODULE="portal.settings")
    workers: list[Worker] = []

    def start_worker(name: str) -> Worker:
        worker = Worker(name, env)
        workers.append(worker)
        return worker

    def settle(ids: list[int]) -> tuple[int, float]:
        """Sweep as beat would (every 2 s here) until all are active or the sweep interval has passed twice over."""
        began = time.monotonic()
        deadline = began + STALE_SECONDS * 2 + 90
        while time.monotonic() < deadline and active(ids) < len(ids):
            sweep()
            time.sleep(2)
        return len(ids) - active(ids), time.monotonic() - began

    rows: list[str] = []
    from provisioning.models import SimulatedServer

    # --- 1. broker outages ----------------------------------------------------------------------------------------
    pair = [start_worker("outage-a"), start_worker("outage-b")]
    time.sleep(3)
    for outage in range(1, args.outages + 1):
        before = SimulatedServer.objects.count()
        ids = book(args.reservations)
        target = before + args.reservations // 10
        wait_until(lambda: SimulatedServer.objects.count() >= target, 120)  # noqa: B023  # used at once
        mid = active(ids)
        broker.restart_empty()
        stuck, seconds = settle(ids)
        counts = servers_per_instance(ids)
        duplicates = sum(1 for n in counts.values() if n != 1)
        alive = sum(worker.alive() and not worker.crashed() for worker in pair)
        rows.append(
            f"| broker restarted empty #{outage} | {len(ids)} | {mid} | {stuck} | {duplicates} | {alive}/2 | "
            f"{seconds:.0f} |"
        )
        print(rows[-1], flush=True)
    for worker in pair:
        worker.stop()

    # --- 2. worker kills ------------------------------------------------------------------------------------------
    current = [start_worker("kill-0a"), start_worker("kill-0b")]
    time.sleep(3)
    ids = book(args.reservations)
    for kill in range(args.kills):
        time.sleep(2.5)
        victim = current.pop(0)
        victim.kill()
        current.append(start_worker(f"kill-{kill + 1}"))
    mid = active(ids)
    stuck, seconds = settle(ids)
    counts = servers_per_instance(ids)
    duplicates = sum(1 for n in counts.values() if n != 1)
    alive = sum(worker.alive() and not worker.crashed() for worker in current)
    rows.append(
        f"| {args.kills} worker SIGKILLs | {len(ids)} | {mid} | {stuck} | {duplicates} | {alive}/2 | {seconds:.0f} |"
    )
    print(rows[-1], flush=True)
    for worker in current:
        worker.stop()

    # --- 3. concurrent idempotent HTTP retries ---------------------------------------------------------------------
    port = free_port()
    web = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "portal.wsgi",
            "-c",
            "deploy/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "16",
        ],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api/v1/organizations/faults/reservations/"
    _key, token = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name="fault-run", scopes=[Scope.RESERVATIONS_WRITE]
    )

    def up() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    assert wait_until(up, 60)
    twins_total = twins_matched = reservations_per_twin_order_ok = singles_ok = interim_409 = 0
    began = time.monotonic()
    try:
        for round_number in range(args.rounds):
            quotes = [new_quote() for _ in range(args.clients)]
            doubled = set(range(0, args.clients, 4))  # a quarter of the clients send their request twice
            start = threading.Barrier(args.clients + len(doubled))
            jobs: list[tuple[int, Copy, threading.Thread]] = []
            for index, quote in enumerate(quotes):
                for _twin in range(2 if index in doubled else 1):
                    answers = Copy()
                    thread = threading.Thread(
                        target=send,
                        args=(
                            session_for(token),
                            url,
                            {"quote": quote.pk},
                            f"r{round_number}-c{index}",
                            answers,
                            start,
                        ),
                    )
                    jobs.append((index, answers, thread))
            for _index, _copy, thread in jobs:
                thread.start()
            for _index, _copy, thread in jobs:
                thread.join(timeout=300)
            by_client: dict[int, list[Copy]] = {}
            for index, sent, _thread in jobs:
                by_client.setdefault(index, []).append(sent)
                interim_409 += len(sent.answers) - 1
            for index, copies in by_client.items():
                finals = [copy.final for copy in copies]
                booked = Reservation.objects.for_organization(organization).filter(quote=quotes[index]).count()
                if index in doubled:
                    twins_total += 1
                    answered = {body.get("id") for status, body in finals if status == 201}
                    twins_matched += int(len(answered) == 1 and all(status == 201 for status, _ in finals))
                    reservations_per_twin_order_ok += int(booked == 1)
                else:
                    singles_ok += int(finals[0][0] == 201 and booked == 1)
    finally:
        os.killpg(web.pid, 15)
        web.wait(timeout=30)
        broker.stop()
    http_seconds = time.monotonic() - began
    singles_total = args.rounds * args.clients - twins_total

    lines = [
        "# Fault run (issue 11)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({os.cpu_count()} cores, shared with "
        "other jobs), PostgreSQL on localhost, a private redis-server without persistence as the broker, two Celery "
        f"worker processes (prefork, concurrency 2), simulator boot 2 s, sweeper threshold {STALE_SECONDS} s, swept "
        "every 2 s. `python bench/fault_run.py`",
        "",
        "## Provisioning under faults",
        "",
        "| fault | reservations | active at the fault | stuck after the sweep | instances without exactly one "
        "server | workers alive (no crash) | seconds to settle |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "## Concurrent idempotent retries over HTTP",
        "",
        f"{args.rounds} rounds of {args.clients} concurrent clients against gunicorn (2 workers × 16 threads); a "
        "quarter of them send their booking twice at the same instant with one Idempotency-Key and retry a 409 "
        f"`idempotency_in_progress` after its Retry-After. {http_seconds:.0f} s in all.",
        "",
        "| count | value |",
        "|---|---:|",
        f"| duplicated orders | {twins_total} |",
        f"| … both copies answered 201 with the same reservation | {twins_matched} |",
        f"| … exactly one reservation booked | {reservations_per_twin_order_ok} |",
        f"| single orders answered 201 with one reservation | {singles_ok} of {singles_total} |",
        f"| interim 409 idempotency_in_progress answers (retried) | {interim_409} |",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    (ROOT / args.output).write_text(report)
    with psycopg_connection() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def psycopg_connection() -> psycopg.Connection[tuple[object, ...]]:
    from django.db import connections

    connections.close_all()
    return psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True)


if __name__ == "__main__":
    main()
