"""Reservations under load: the ~10,000-GPU inventory with 100,000 existing reservations; booking throughput with 16
concurrent clients; availability-query latency (p50, p95); and a race of many clients for the last free GPUs,
after which the overbookings are counted straight from the allocation table (they must be zero).

Needs the PostgreSQL and Redis that `make test` uses; creates (and drops) its own database ``kontor_bench_res``
(``KONTOR_BENCH_DATABASE`` names another).
Prints its figures and writes them to bench/results/reservations_booking.md.

    .venv/bin/python bench/reservations_booking.py [--existing 100000] [--clients 16] [--threads]

The booking clients and the racers are processes (forked after set-up), as gunicorn's workers are: 16 threads of
one interpreter would measure Python's GIL rather than the booking path. ``--threads`` runs them as threads for
comparison.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import queue
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: The Redis server the benchmark uses (its own database numbers on it); another one keeps it off a busy server.
BENCH_REDIS = os.environ.get("KONTOR_BENCH_REDIS", "redis://127.0.0.1:6379")
#: The database the benchmark creates and drops; another name keeps two runs on one server apart.
BENCH_DATABASE = os.environ.get("KONTOR_BENCH_DATABASE", "kontor_bench_res")
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{BENCH_DATABASE}",
        "CELERY_BROKER_URL": f"{BENCH_REDIS}/11",
        "REDIS_URL": f"{BENCH_REDIS}/10",
        "KONTOR_LOG_LEVEL": "WARNING",
        "DJANGO_DEBUG": "0",
        "EMAIL_URL": "dummymail://",
    }
)
sys.path.insert(0, str(ROOT))

OVERBOOKINGS_SQL = """
SELECT count(*) FROM reservations_allocation a JOIN reservations_allocation b
  ON a.node_id = b.node_id AND a.id < b.id
 AND a.released_at IS NULL AND b.released_at IS NULL
 AND int4range(a.gpu_first, a.gpu_first + a.gpu_count) && int4range(b.gpu_first, b.gpu_first + b.gpu_count)
 AND tstzrange(a.starts_at, coalesce(a.ends_at, 'infinity')) && tstzrange(b.starts_at, coalesce(b.ends_at, 'infinity'))
"""


def recreate_database() -> None:
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")


def backend_cpu_seconds() -> float | None:
    """The CPU time so far of this connection's PostgreSQL backend (its ``/proc/<pid>/schedstat``: on this machine
    only, where the benchmark's server runs), or None where it cannot be read."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except OSError:
        return None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


#: The floor's script (../shared/bench from the checkout); ``KONTOR_BENCH_FLOOR_SCRIPT`` names it from elsewhere (a
#: git worktree of the project has no ``shared`` next to it).
FLOOR_SCRIPT = Path(os.environ.get("KONTOR_BENCH_FLOOR_SCRIPT", ROOT.parent / "shared" / "bench" / "booking_floor.sh"))


def booking_floor(clients: int) -> float:
    """PostgreSQL's own rate for the minimal booking transaction on this machine, now (../shared/bench)."""
    if not FLOOR_SCRIPT.exists():
        raise SystemExit(f"{FLOOR_SCRIPT} is missing: the booking figure is reported next to it")
    done = subprocess.run(["bash", str(FLOOR_SCRIPT), str(clients), "15"], capture_output=True, text=True, check=True)
    found = re.search(r"floor: ([\d.]+) tps", done.stdout)
    if found is None:
        raise SystemExit(f"booking_floor.sh printed no rate: {done.stdout}{done.stderr}")
    return float(found.group(1))


def run_clients(
    target: Callable[..., None], arguments: list[tuple[Any, list[int]]], threads: bool
) -> tuple[float, list[str], list[tuple[float, float | None]]]:
    """Run ``target(org, quote_ids, start, results)`` once per argument pair, all released together; returns the
    seconds from the first start to the last end, every outcome and each client's CPU seconds (its own and its
    PostgreSQL backend's) if it reported them."""
    from django.db import connections

    if threads:
        start: Any = threading.Barrier(len(arguments))
        results: Any = queue.Queue()
        workers: list[Any] = [threading.Thread(target=target, args=(*pair, start, results)) for pair in arguments]
    else:
        connections.close_all()  # the children must not share the parent's connection
        context = multiprocessing.get_context("fork")
        start, results = context.Barrier(len(arguments)), context.Queue()
        workers = [context.Process(target=target, args=(*pair, start, results)) for pair in arguments]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    began = min(report[0] for report in reports)
    ended = max(report[1] for report in reports)
    cpu = [report[3] for report in reports if len(report) > 3]
    return ended - began, [outcome for report in reports for outcome in report[2]], cpu


def main() -> None:  # one linear script
    parser = argparse.ArgumentParser()
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--bookings-per-client", type=int, default=25)
    parser.add_argument("--racers", type=int, default=32)
    parser.add_argument("--threads", action="store_true", help="clients as threads of this process (GIL-bound)")
    parser.add_argument("--availability-queries", type=int, default=200)
    args = parser.parse_args()

    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from catalog.models import AvailabilityZone, CatalogItem, Flavor, GpuModel, Quote
    from catalog.services import quote_create
    from portal.celery import app
    from reservations.availability import availability_check
    from reservations.choices import NodeState, Pool, ReservationKind, ReservationState
    from reservations.models import Allocation, Node, QuotaLimit, Reservation
    from reservations.services import NoCapacityError, reservation_create
    from tenants.audit import Actor
    from tenants.choices import Role
    from tenants.demo import legal_documents_ensure
    from tenants.models import Consent, LegalDocument, Membership, Organization, User

    call_command("migrate", verbosity=0)
    call_command("seed_catalog", verbosity=0)
    call_command("seed_inventory", verbosity=0)
    legal_documents_ensure()
    actor = Actor.system("bench")
    b200 = GpuModel.objects.get(slug="b200")
    version = CatalogItem.objects.get(slug="pytorch").versions.order_by("-released_on")[0]
    x1 = Flavor.objects.get(slug="b200-x1")
    metal = Flavor.objects.get(slug="b200-x8-metal")
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)

    def organization(number: int) -> Organization:
        owner = User.objects.create_user(f"bench{number}@example.de", "bench-password-2026")
        org = Organization.objects.create(
            legal_name=f"Bench {number} GmbH", slug=f"bench-{number}", country="DE", status="active"
        )
        Membership.objects.create(organization=org, user=owner, role=Role.OWNER)
        for document in LegalDocument.objects.all():
            Consent.objects.create(organization=org, document=document, user=owner)
        QuotaLimit.objects.create(organization=org, gpu_model=b200, max_gpus=100_000)
        return org

    organizations = [organization(number) for number in range(args.clients + 1)]

    # --- 100,000 existing reservations: 7-day windows from day 60 on, packed on the reservable B200 GPUs ---------
    print(f"creating {args.existing:,} existing reservations ...", flush=True)
    began = time.perf_counter()
    holder = organizations[-1]
    filler_quote = quote_create(
        actor=actor,
        organization=holder,
        version=version,
        flavor=x1,
        instance_count=1,
        commitment="reserved_1m",
        starts_at=now + timedelta(days=60),
        ends_at=now + timedelta(days=90),
    )
    nodes = list(Node.objects.filter(pool__pool=Pool.RESERVABLE, pool__node_type__gpu_model=b200).order_by("id"))
    slots = [(node, gpu) for node in nodes for gpu in range(8)]
    batch: list[tuple[Node, int, datetime]] = []
    for index in range(args.existing):
        node, gpu = slots[index % len(slots)]
        start = now + timedelta(days=60 + 7 * (index // len(slots)))
        batch.append((node, gpu, start))
    for offset in range(0, len(batch), 5000):
        chunk = batch[offset : offset + 5000]
        reservations = Reservation.objects.bulk_create(
            [
                Reservation(
                    organization=holder,
                    kind=ReservationKind.RESERVED,
                    state=ReservationState.SCHEDULED,
                    quote=filler_quote,
                    item_version=version,
                    flavor=x1,
                    instance_count=1,
                    zone=node.pool.zone,
                    starts_at=start,
                    ends_at=start + timedelta(days=7),
                    created_by_label="bench",
                )
                for node, _gpu, start in chunk
            ]
        )
        Allocation.objects.bulk_create(
            [
                Allocation(
                    organization=holder,
                    reservation=reservation,
                    instance_index=0,
                    node=node,
                    gpu_model=b200,
                    gpu_first=gpu,
                    gpu_count=1,
                    starts_at=reservation.starts_at,
                    ends_at=reservation.ends_at,
                )
                for reservation, (node, gpu, _start) in zip(reservations, chunk, strict=True)
            ]
        )
    setup_seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    # A web worker loads every app's tasks once, on the first task it enqueues (``core.tasks._resolve``: several
    # seconds of imports and checks); done here, before the clients fork, so the timed part measures bookings.
    app.loader.import_default_modules()
    app.autodiscover_tasks(force=True)
    warm_up = quote_create(
        actor=actor,
        organization=holder,
        version=version,
        flavor=x1,
        instance_count=1,
        commitment="reserved_1m",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=31),
    )
    reservation_create(actor=actor, organization=holder, quote=warm_up)  # templates, caches: a warm worker's

    # --- Booking throughput: 16 clients, each booking its own month-long windows ---------------------------------
    print(f"booking with {args.clients} concurrent clients ...", flush=True)
    quotes = {
        org.pk: [
            quote_create(
                actor=actor,
                organization=org,
                version=version,
                flavor=x1,
                instance_count=1,
                commitment="reserved_1m",
                starts_at=now + timedelta(days=1),
                ends_at=now + timedelta(days=31),
            )
            for _ in range(args.bookings_per_client)
        ]
        for org in organizations[: args.clients]
    }

    def client(org: Organization, quote_ids: list[int], start: Any, results: Any) -> None:
        """Book each quote in turn; report ``(began, ended, outcomes)`` (``time.perf_counter`` is system-wide)."""
        connections.close_all()  # a fresh connection of its own, never the parent's
        try:
            own = list(Quote.objects.for_organization(org).select_related("flavor__node_type").filter(pk__in=quote_ids))
            backend_before = backend_cpu_seconds()
            start.wait()
            began, cpu_before = time.perf_counter(), time.thread_time()
            done: list[str] = []
            for quote in own:
                try:
                    reservation_create(actor=actor, organization=org, quote=quote)
                    done.append("booked")
                except NoCapacityError:
                    done.append("no_capacity")
            ended, cpu = time.perf_counter(), time.thread_time() - cpu_before
            backend_after = backend_cpu_seconds()
            backend = None if backend_before is None or backend_after is None else backend_after - backend_before
            results.put((began, ended, done, (cpu, backend)))
        finally:
            connections.close_all()

    booking_seconds, outcomes, booking_cpu = run_clients(
        client, [(org, [quote.pk for quote in quotes[org.pk]]) for org in organizations[: args.clients]], args.threads
    )
    booked = outcomes.count("booked")
    client_ms = 1000 * sum(cpu for cpu, _backend in booking_cpu) / max(len(outcomes), 1)
    backends = [backend for _cpu, backend in booking_cpu if backend is not None]
    backend_ms = 1000 * sum(backends) / max(len(outcomes), 1) if len(backends) == len(booking_cpu) else None
    print(f"measuring PostgreSQL's floor for a booking ({FLOOR_SCRIPT.name}, {args.clients} clients) ...", flush=True)
    floor_tps = booking_floor(args.clients)
    load_after_booking = os.getloadavg()

    # --- Availability latency --------------------------------------------------------------------------------------
    print("measuring availability queries ...", flush=True)
    zones = list(AvailabilityZone.objects.order_by("slug"))
    latencies: list[float] = []
    for index in range(args.availability_queries):
        start = now + timedelta(days=(index * 37) % 300)
        began = time.perf_counter()
        availability_check(
            flavor=(x1, metal)[index % 2],
            instances=1 + index % 4,
            kind=ReservationKind.RESERVED,
            starts_at=start,
            ends_at=start + timedelta(days=30),
            zone=zones[index % 2],
            item_version_id=version.pk,
        )
        latencies.append((time.perf_counter() - began) * 1000)

    # --- The race for the last free GPUs ---------------------------------------------------------------------------
    print(f"racing {args.racers} clients for the last two free nodes ...", flush=True)
    race_zone = zones[1]
    race_start, race_end = now + timedelta(days=320), now + timedelta(days=350)
    pool_nodes = list(
        Node.objects.filter(
            pool__zone=race_zone, pool__pool=Pool.RESERVABLE, state=NodeState.AVAILABLE, pool__node_type__gpu_model=b200
        ).order_by("hostname")
    )
    blocker = Reservation.objects.create(
        organization=holder,
        kind=ReservationKind.RESERVED,
        state=ReservationState.SCHEDULED,
        quote=filler_quote,
        item_version=version,
        flavor=metal,
        instance_count=len(pool_nodes) - 2,
        zone=race_zone,
        starts_at=race_start,
        ends_at=race_end,
        created_by_label="bench",
    )
    Allocation.objects.bulk_create(
        [
            Allocation(
                organization=holder,
                reservation=blocker,
                instance_index=index,
                node=node,
                gpu_model=b200,
                gpu_first=0,
                gpu_count=8,
                starts_at=race_start,
                ends_at=race_end,
            )
            for index, node in enumerate(pool_nodes[2:])
        ]
    )
    race_quotes = [
        (
            org,
            quote_create(
                actor=actor,
                organization=org,
                version=version,
                flavor=metal,
                instance_count=1,
                commitment="reserved_1m",
                starts_at=race_start,
                ends_at=race_end,
            ),
        )
        for org in (organizations[index % args.clients] for index in range(args.racers))
    ]

    def racer(org: Organization, quote_ids: list[int], start: Any, results: Any) -> None:
        connections.close_all()
        try:
            quote = Quote.objects.for_organization(org).select_related("flavor__node_type").get(pk=quote_ids[0])
            start.wait()
            began = time.perf_counter()
            try:
                reservation_create(actor=actor, organization=org, quote=quote, zone=race_zone)
                result = "booked"
            except NoCapacityError:
                result = "no longer available"
            results.put((began, time.perf_counter(), [result]))
        finally:
            connections.close_all()

    _race_seconds, race, _race_cpu = run_clients(racer, [(org, [quote.pk]) for org, quote in race_quotes], args.threads)
    with connection.cursor() as cursor:
        cursor.execute(OVERBOOKINGS_SQL)
        overbookings = cursor.fetchone()[0]
    live = Allocation.objects.unscoped().filter(released_at__isnull=True).count()
    total_gpus = sum(node.pool.node_type.gpus_per_node for node in Node.objects.select_related("pool__node_type"))

    mode = "threads of one process" if args.threads else "processes"
    lines = [
        "# Reservations under load",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({os.cpu_count()} cores, "
        f"{platform.machine()}), PostgreSQL and Redis on localhost; load average after the bookings "
        f"{' / '.join(f'{value:.1f}' for value in load_after_booking)}. "
        f"`{' '.join(['python bench/reservations_booking.py', *sys.argv[1:]])}`",
        "",
        f"Inventory: {Node.objects.count():,} nodes ({total_gpus:,} GPUs); existing reservations: "
        f"{args.existing:,} (created in {setup_seconds:.1f} s); live allocations at the end: {live:,}.",
        "",
        "| measurement | result |",
        "|---|---|",
        f"| booking throughput, {args.clients} concurrent clients ({mode}) | {booked} booked in "
        f"{booking_seconds:.2f} s = "
        f"**{booked / booking_seconds:.1f} bookings/s** ({outcomes.count('no_capacity')} without capacity) |",
        f"| PostgreSQL's floor, same run (`booking_floor.sh {args.clients}`: pool lock + one allocation insert) | "
        f"{floor_tps:,.0f} tx/s; bookings at **{100 * booked / booking_seconds / floor_tps:.1f} %** of it "
        f"(goal ≥ 20 %) |",
        f"| CPU per booking in that run (each client's thread time; its PostgreSQL backend's, from /proc) | "
        f"clients **{client_ms:.2f} ms**, PostgreSQL "
        + (f"**{backend_ms:.2f} ms** |" if backend_ms is not None else "not readable here |"),
        f"| availability query latency ({args.availability_queries} queries) | "
        f"p50 **{percentile(latencies, 0.5):.1f} ms**, "
        f"p95 **{percentile(latencies, 0.95):.1f} ms** (mean {statistics.mean(latencies):.1f} ms) |",
        f"| race of {args.racers} clients for the last 2 free nodes | {race.count('booked')} booked, "
        f'{race.count("no longer available")} told "no longer available" |',
        f"| overbookings (overlapping live allocations, counted in SQL) | **{overbookings}** |",
        "",
        "Bookings into one zone serialize on that zone's pool lock (by design: the allocator's answer and the insert "
        "must agree); throughput across zones and GPU models adds up.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    (ROOT / "bench" / "results" / "reservations_booking.md").write_text(report)


if __name__ == "__main__":
    main()
