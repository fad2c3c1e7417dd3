"""Billing throughput: metering an hour of 1,000 and 10,000 concurrently running GPUs (and its idempotent re-run),
then drafting, finalizing and rendering the e-invoice XML (with XSD validation) for 100 and 1,000 organizations
with a month of usage each; PDFs (rendered by workers in production) are timed on a sample and extrapolated.

Needs the PostgreSQL and Redis that `make test` uses. Creates (and drops) its own database ``kontor_bench_bill`` and
uses Redis databases 8 and 9 (the render tasks that finalizing enqueues are purged at the end, no worker runs).
Prints its figures and writes them to bench/results/billing_throughput.md.

    .venv/bin/python bench/billing_throughput.py [--gpus 10000] [--organizations 1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
#: The Redis server the benchmark uses (its own database numbers on it); another one keeps it off a busy server.
BENCH_REDIS = os.environ.get("KONTOR_BENCH_REDIS", "redis://127.0.0.1:6379")
DATABASE = os.environ.get("KONTOR_BENCH_DATABASE", "kontor_bench_bill")
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "CELERY_BROKER_URL": f"{BENCH_REDIS}/9",
        "REDIS_URL": f"{BENCH_REDIS}/8",
        "KONTOR_LOG_LEVEL": "WARNING",
        "DJANGO_DEBUG": "0",
        "EMAIL_URL": "dummymail://",
    }
)
sys.path.insert(0, str(ROOT))

BERLIN = ZoneInfo("Europe/Berlin")
PDF_SAMPLE = 20
BATCH = 5000
# (catalog item, flavor) of the seeded quotes; the NIM is NVIDIA AI Enterprise, so it also meters license GPU-seconds.
METAL = ("pytorch", "b200-x8-metal")
LICENSED = ("nim-llama-3-1-8b-instruct", "b200-x4")
RTX = ("pytorch", "rtx-pro-x2")


def recreate_database() -> None:
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")


@dataclass
class MeteringResult:
    gpus: int
    instances: int
    seed_seconds: float
    run_seconds: float
    records: int
    rerun_seconds: float
    rerun_writes: int
    floor_seconds: float  # PostgreSQL writing the same rows in one INSERT … SELECT, with the same indexes
    load: tuple[float, float, float]


@dataclass
class InvoicingResult:
    organizations: int
    records: int
    seed_seconds: float
    draft_seconds: float
    finalize_seconds: float
    xml_seconds: float
    xml_invalid: int
    gross_total: Decimal
    schematron_seconds_each: float
    pdf_seconds_each: float
    pdf_bytes_each: int
    run: int
    floor_seconds: float  # PostgreSQL summing the same usage into the same lines: one GROUP BY statement
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]

    @property
    def total_seconds(self) -> float:
        return self.draft_seconds + self.finalize_seconds + self.xml_seconds


def main() -> None:  # one linear script
    parser = argparse.ArgumentParser()
    parser.add_argument("--gpus", type=int, default=10_000)
    parser.add_argument(
        "--organizations", type=int, default=1000, help="0: metering only (prints the report, writes no results file)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of the largest invoicing size (median, spread)")
    args = parser.parse_args()
    gpu_sizes = sorted({min(1000, args.gpus), args.gpus})
    org_sizes = sorted({min(100, args.organizations), args.organizations} - {0})

    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from billing.documents.cii import cii_xml
    from billing.documents.mapping import invoice_document
    from billing.documents.pdf import facturx_pdf
    from billing.documents.validation import schematron_report, xsd_errors
    from billing.invoices.selectors import invoices_for_documents
    from billing.invoices.services import invoices_draft_for_month, invoices_finalize
    from billing.invoices.usage import SUMS
    from billing.models import Invoice
    from billing.periods import billing_period
    from catalog.models import AvailabilityZone, CatalogItem, Flavor
    from catalog.models.quotes import Quote
    from catalog.services import quote_create
    from metering.choices import Meter
    from metering.models import UsageRecord
    from metering.services import metering_run
    from portal.celery import app
    from provisioning.models import Instance, InstanceState
    from reservations.choices import ReservationKind, ReservationState
    from reservations.models import Reservation
    from tenants.audit import Actor
    from tenants.models import Organization

    call_command("migrate", verbosity=0)
    call_command("seed_catalog", verbosity=0)
    call_command("seed_inventory", verbosity=0)
    actor = Actor.system("bench")
    zone = AvailabilityZone.objects.order_by("slug")[0]
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)

    # --- Template quotes: real prices from the price book, copied per reservation --------------------------------
    template_org = Organization.objects.create(
        legal_name="Bench Template GmbH", slug="bench-template", country="DE", status="active"
    )
    templates: dict[tuple[str, str], Quote] = {}
    for item_slug, flavor_slug in (METAL, LICENSED, RTX):
        templates[(item_slug, flavor_slug)] = quote_create(
            actor=actor,
            organization=template_org,
            version=CatalogItem.objects.get(slug=item_slug).versions.order_by("-released_on")[0],
            flavor=Flavor.objects.get(slug=flavor_slug),
            instance_count=1,
            commitment="on_demand",
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=2),
        )
    quote_fields = [
        field.attname
        for field in Quote._meta.concrete_fields
        if field.attname not in {"id", "organization_id", "created_at"}
    ]

    def organizations_create(prefix: str, count: int) -> list[Organization]:
        return Organization.objects.bulk_create(
            [
                Organization(
                    legal_name=f"Bench {prefix} {number} GmbH",
                    slug=f"bench-{prefix}-{number}",
                    country="DE",
                    status="active",
                    street=f"Teststraße {number + 1}",
                    postal_code=f"{80000 + number % 1000:05d}",
                    city="München",
                    billing_email=f"billing-{prefix}-{number}@example.de",
                )
                for number in range(count)
            ],
            batch_size=BATCH,
        )

    def reservations_create(
        subjects: list[tuple[Organization, tuple[str, str], datetime, datetime | None]],
    ) -> list[Instance]:
        """One on-demand reservation with one instance per (organization, quote template, started, stopped)."""
        quotes = Quote.objects.bulk_create(
            [
                Quote(
                    organization=org,
                    **{name: getattr(templates[key], name) for name in quote_fields},
                )
                for org, key, _started, _stopped in subjects
            ],
            batch_size=BATCH,
        )
        reservations = Reservation.objects.bulk_create(
            [
                Reservation(
                    organization=org,
                    kind=ReservationKind.ON_DEMAND,
                    state=ReservationState.ACTIVE if stopped is None else ReservationState.ENDED,
                    quote=quote,
                    item_version_id=quote.item_version_id,
                    flavor_id=quote.flavor_id,
                    instance_count=1,
                    zone=zone,
                    starts_at=started,
                    ends_at=stopped,
                    created_by_label="bench",
                )
                for (org, _key, started, stopped), quote in zip(subjects, quotes, strict=True)
            ],
            batch_size=BATCH,
        )
        return Instance.objects.bulk_create(
            [
                Instance(
                    organization=org,
                    reservation=reservation,
                    index=0,
                    state=InstanceState.RUNNING if stopped is None else InstanceState.STOPPED,
                    started_at=started,
                    stopped_at=stopped,
                )
                for (org, _key, started, stopped), reservation in zip(subjects, reservations, strict=True)
            ],
            batch_size=BATCH,
        )

    # --- Metering: an hour of N concurrently running GPUs ----------------------------------------------------------
    metering: list[MeteringResult] = []
    for gpus in gpu_sizes:
        print(f"metering an hour of {gpus:,} running GPUs ...", flush=True)
        began = time.perf_counter()
        # A mix: 3/4 of the GPUs on bare-metal B200 x8 (PyTorch), 1/4 on B200 x4 running a NIM (licensed: 2 meters).
        metal_count = gpus * 3 // 4 // 8
        licensed_count = (gpus - metal_count * 8) // 4
        keys = [METAL] * metal_count + [LICENSED] * licensed_count
        orgs = organizations_create(f"m{gpus}", max(1, len(keys) // 10))
        started = now - timedelta(hours=1)
        instances = reservations_create(
            [(orgs[index % len(orgs)], key, started, None) for index, key in enumerate(keys)]
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        seed_seconds = time.perf_counter() - began
        before = UsageRecord.objects.unscoped().count()
        last_id = UsageRecord.objects.unscoped().order_by("-pk").values_list("pk", flat=True).first() or 0
        began = time.perf_counter()
        first = metering_run(now=now)
        run_seconds = time.perf_counter() - began
        records = UsageRecord.objects.unscoped().count() - before
        with connection.cursor() as cursor:  # the floor: the same rows written by one statement, same indexes
            cursor.execute("DROP TABLE IF EXISTS bench_metering_floor")
            cursor.execute("CREATE TABLE bench_metering_floor (LIKE metering_usagerecord INCLUDING INDEXES)")
            began = time.perf_counter()
            cursor.execute(
                "INSERT INTO bench_metering_floor SELECT * FROM metering_usagerecord WHERE id > %s", [last_id]
            )
            floor_seconds = time.perf_counter() - began
            cursor.execute("DROP TABLE bench_metering_floor")
        began = time.perf_counter()
        second = metering_run(now=now)
        rerun_seconds = time.perf_counter() - began
        assert first.instances == len(instances), (first, len(instances))
        assert second.writes == 0, second
        metering.append(
            MeteringResult(
                gpus=metal_count * 8 + licensed_count * 4,
                instances=first.instances,
                seed_seconds=seed_seconds,
                run_seconds=run_seconds,
                records=records,
                rerun_seconds=rerun_seconds,
                rerun_writes=second.writes,
                floor_seconds=floor_seconds,
                load=os.getloadavg(),
            )
        )
        print(f"  {metering[-1]}", flush=True)
        # Stop them at the metered instant: their cursor equals stopped_at, so later runs skip them as final.
        Instance.objects.unscoped().filter(pk__in=[instance.pk for instance in instances]).update(
            stopped_at=now, state=InstanceState.STOPPED
        )

    # --- Invoicing: a month of usage for N organizations -----------------------------------------------------------
    berlin_now = datetime.now(UTC).astimezone(BERLIN)
    year, month = (berlin_now.year - 1, 12) if berlin_now.month == 1 else (berlin_now.year, berlin_now.month - 1)
    period = billing_period(year=year, month=month)
    period_start_utc = period.start.astimezone(UTC)
    invoicing: list[InvoicingResult] = []
    runs = [(size, 1) for size in org_sizes[:-1]] + [
        (size, run) for size in org_sizes[-1:] for run in range(1, args.repeat + 1)
    ]
    for size, run in runs:
        print(f"invoicing {size:,} organizations for {year}-{month:02d} (run {run}) ...", flush=True)
        began = time.perf_counter()
        orgs = organizations_create(f"i{size}r{run}", size)
        # Per organization: a B200 x8 metal instance, a licensed NIM B200 x4 instance (gpu + license meters) and,
        # for two in three, an RTX PRO x2 instance; each ran a different number of hours, the last one partial.
        plan: list[tuple[Organization, tuple[str, str], datetime, datetime | None]] = []
        for number, org in enumerate(orgs):
            for subject, key in enumerate((METAL, LICENSED, RTX)):
                if key == RTX and number % 3 == 2:
                    continue
                hours = 24 + (number * 7 + subject * 13) % 97
                first_hour = period_start_utc + timedelta(hours=(number * 11 + subject * 29) % 200)
                stopped = first_hour + timedelta(hours=hours - 1, seconds=600 + (number * 37) % 3000)
                plan.append((org, key, first_hour, stopped))
        instances = reservations_create(plan)
        # The month's hourly records written by PostgreSQL (the same rows a Python loop would build: every hour from
        # the first to the one the instance stopped in, 3600 s times the flavor's GPUs, the last hour partial).
        licensed = [
            instance.pk for instance, (_org, key, _f, _e) in zip(instances, plan, strict=True) if key == LICENSED
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO metering_usagerecord (organization_id, reservation_id, instance_id, meter, hour, quantity,
                                                  flavor_id, item_version_id, unit_price, created_at, updated_at)
                SELECT i.organization_id, i.reservation_id, i.id, m.meter, h.hour,
                       LEAST(3600, EXTRACT(EPOCH FROM i.stopped_at - h.hour)::bigint) * f.gpu_count,
                       r.flavor_id, r.item_version_id, m.price, now(), now()
                FROM provisioning_instance i
                JOIN reservations_reservation r ON r.id = i.reservation_id
                JOIN catalog_flavor f ON f.id = r.flavor_id
                JOIN catalog_quote q ON q.id = r.quote_id
                CROSS JOIN LATERAL generate_series(i.started_at, i.stopped_at - interval '1 second', interval '1 hour')
                    AS h(hour)
                CROSS JOIN LATERAL (
                    VALUES (%s, q.compute_unit_price), (%s, q.license_unit_price)
                ) AS m(meter, price)
                WHERE i.id = ANY(%s) AND (m.meter = %s OR i.id = ANY(%s))
                ORDER BY i.id, h.hour, m.meter
                """,
                [
                    str(Meter.GPU_SECONDS),
                    str(Meter.LICENSE_GPU_SECONDS),
                    [instance.pk for instance in instances],
                    str(Meter.GPU_SECONDS),
                    licensed,
                ],
            )
            record_count = cursor.rowcount
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        seed_seconds = time.perf_counter() - began
        load_before = os.getloadavg()

        # The floor: PostgreSQL summing all these organizations' usage of the month into lines, one statement.
        with connection.cursor() as cursor:
            began = time.perf_counter()
            cursor.execute(
                SUMS,
                {
                    "organizations": [org.pk for org in orgs],
                    "start": period.start,
                    "end": period.end,
                    "until": datetime.now(UTC) - timedelta(hours=1),
                },
            )
            floor_lines = len(cursor.fetchall())
            floor_seconds = time.perf_counter() - began

        began = time.perf_counter()
        drafts = invoices_draft_for_month(organization_ids=[org.pk for org in orgs], year=year, month=month)
        draft_seconds = time.perf_counter() - began
        assert len(drafts) == len(orgs), (len(drafts), len(orgs))

        began = time.perf_counter()
        result = invoices_finalize(actor=actor, invoice_ids=[drafts[org.pk].pk for org in orgs])
        finalize_seconds = time.perf_counter() - began
        assert not result.refused, list(result.refused.values())[:3]
        finalized = result.finalized

        began = time.perf_counter()
        invalid = 0
        xmls: list[bytes] = []
        rendered_lines = 0
        for invoice in invoices_for_documents(invoice_ids=[invoice.pk for invoice in finalized]):
            document = invoice_document(invoice)
            rendered_lines += len(document.lines)
            xml = cii_xml(document)
            if xsd_errors(xml):
                invalid += 1
            xmls.append(xml)
        xml_seconds = time.perf_counter() - began
        load_after = os.getloadavg()
        assert rendered_lines == floor_lines, (rendered_lines, floor_lines)

        sample = list(Invoice.objects.unscoped().filter(pk__in=[invoice.pk for invoice in finalized[:PDF_SAMPLE]]))
        schematron_report(xmls[0])  # compiles the schematron once, as a long-lived worker would have
        began = time.perf_counter()
        for xml in xmls[: len(sample)]:
            if schematron_report(xml).errors:
                invalid += 1
        schematron_each = (time.perf_counter() - began) / len(sample)
        facturx_pdf(invoice_document(sample[0]))  # warm-up: fonts and templates load once per worker
        began = time.perf_counter()
        sizes = [len(facturx_pdf(invoice_document(invoice))) for invoice in sample]
        pdf_each = (time.perf_counter() - began) / len(sample)

        invoicing.append(
            InvoicingResult(
                organizations=size,
                records=record_count,
                seed_seconds=seed_seconds,
                draft_seconds=draft_seconds,
                finalize_seconds=finalize_seconds,
                xml_seconds=xml_seconds,
                xml_invalid=invalid,
                gross_total=sum((invoice.gross_amount for invoice in finalized), Decimal("0.00")),
                schematron_seconds_each=schematron_each,
                pdf_seconds_each=pdf_each,
                pdf_bytes_each=sum(sizes) // len(sizes),
                run=run,
                floor_seconds=floor_seconds,
                load_before=load_before,
                load_after=load_after,
            )
        )

    with app.connection_for_write() as broker:  # the render tasks finalizing enqueued; no worker runs here
        purged: Any = broker.default_channel.queue_purge("documents")  # type: ignore[attr-defined]

    # --- Report ------------------------------------------------------------------------------------------------------
    def ms(seconds: float, count: int) -> str:
        return f"{seconds / count * 1000:.2f} ms"

    lines = [
        "# Billing throughput",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({os.cpu_count()} cores, "
        f"{platform.machine()}), PostgreSQL and Redis on localhost, one process, no Celery worker. "
        "`python bench/billing_throughput.py`",
        "",
        "## Metering one hour (`metering_run`)",
        "",
        "3/4 of the GPUs on B200 x8 bare metal (PyTorch: `gpu_seconds`), 1/4 on B200 x4 running the Llama 3.1 8B NIM "
        "(NVIDIA AI Enterprise: `gpu_seconds` + `license_gpu_seconds`); every instance running for the whole hour, one "
        "on-demand reservation each.",
        "",
        "| GPUs | instances | run | instances/s | per instance | records written | floor: one INSERT … SELECT | "
        "run / floor | re-run (idempotent) | re-run writes | load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m in metering:
        lines.append(
            f"| {m.gpus:,} | {m.instances:,} | {m.run_seconds:.2f} s | **{m.instances / m.run_seconds:.1f}** | "
            f"{ms(m.run_seconds, m.instances)} | {m.records:,} | {m.floor_seconds:.3f} s | "
            f"{m.run_seconds / m.floor_seconds:.0f}× | {m.rerun_seconds:.3f} s | {m.rerun_writes} | "
            f"{m.load[0]:.1f} |"
        )
    lines += [
        "",
        "Set-based: instances are metered in batches of 5,000, one transaction each: three lock statements (the "
        "instances, their organizations, their records) and one statement computing the hour cuts in SQL and "
        "writing records (INSERT … SELECT … ON CONFLICT DO UPDATE), removals, corrections and cursors; the re-run "
        "finds every instance metered "
        "up to now through its cursor and reads nothing else. The floor is PostgreSQL writing the same rows with the "
        "same indexes in one statement (without the foreign keys the real table checks at commit).",
    ]
    if not invoicing:  # metering only: printed, the results file (with its invoicing section) left as it is
        print("\n".join(lines))
        return
    lines += [
        "",
        f"## Invoicing a month ({year}-{month:02d}, Berlin)",
        "",
        "Per organization: a B200 x8 metal instance, a licensed NIM B200 x4 instance (two meters) and, for two in "
        "three, an RTX PRO x2 instance, each 24–120 hours of usage in the month (last hour partial); usage records "
        "written by one INSERT … SELECT at the quotes' unit prices. Draft = `invoices_draft_for_month` (set-based: "
        "one transaction, one usage-summing statement and bulk writes per 500 organizations), finalize = "
        "`invoices_finalize` (200 invoices per transaction: organizations locked, usage summed in one statement, one "
        "locked step of the number series for the block, one UPDATE numbering them, the billed hours sealed by range "
        "in one insert and linked in another (nothing written per usage record), audit, terms and events per batch, "
        "render tasks enqueued), XML = `cii_xml(invoice_document(...))` + `xsd_errors` over "
        "`invoices_for_documents` (lines prefetched: no query per invoice). The floor is PostgreSQL summing the "
        "same usage into the same lines in one `GROUP BY` statement (`billing.invoices.usage.SUMS`), measured in "
        "the same run just before drafting.",
        "",
        "| organizations | run | usage records | floor: one GROUP BY | draft all | per invoice | finalize all | "
        "per invoice | XML + XSD all | per invoice | **draft + finalize + XML** | total / floor | load avg "
        "before → after | invalid (XSD; schematron on the sample) | gross total (EUR) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in invoicing:
        n = r.organizations
        lines.append(
            f"| {n:,} | {r.run} | {r.records:,} | {r.floor_seconds:.2f} s | {r.draft_seconds:.2f} s | "
            f"{ms(r.draft_seconds, n)} | {r.finalize_seconds:.2f} s | {ms(r.finalize_seconds, n)} | "
            f"{r.xml_seconds:.2f} s | {ms(r.xml_seconds, n)} | **{r.total_seconds:.1f} s** | "
            f"{r.total_seconds / r.floor_seconds:.0f}× | {r.load_before[0]:.1f} → {r.load_after[0]:.1f} | "
            f"{r.xml_invalid} | {r.gross_total:,} |"
        )
    largest = [r for r in invoicing if r.organizations == org_sizes[-1]]
    totals = sorted(r.total_seconds for r in largest)
    lines += [
        "",
        f"**{org_sizes[-1]:,} organizations, draft + finalize + XML: median {statistics.median(totals):.1f} s of "
        f"{len(totals)} run(s), spread {totals[0]:.1f}–{totals[-1]:.1f} s** (floor median "
        f"{statistics.median(r.floor_seconds for r in largest):.2f} s; load average (1 min) "
        f"{min(r.load_before[0] for r in largest):.1f}–{max(r.load_after[0] for r in largest):.1f}).",
    ]
    lines += [
        "",
        f"### PDFs and schematron: measured on a sample of {min(PDF_SAMPLE, org_sizes[-1])}, extrapolated "
        "(not measured in full)",
        "",
        "In production the Factur-X PDF (and the schematron check) is rendered by the Celery workers after "
        "finalizing (`invoice_files_render`); the extrapolated totals are for one worker process, and divide by "
        "the number of worker processes (at most the cores).",
        "",
        "| organizations | Factur-X PDF per invoice (measured) | avg size | all PDFs, 1 worker (extrapolated) | "
        "schematron per invoice (measured) | all schematron, 1 worker (extrapolated) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in invoicing:
        if r.run != 1:
            continue
        n = r.organizations
        lines.append(
            f"| {n:,} | {r.pdf_seconds_each * 1000:.0f} ms | {r.pdf_bytes_each / 1024:.0f} KiB | "
            f"~{r.pdf_seconds_each * n:.0f} s (estimate) | {r.schematron_seconds_each * 1000:.0f} ms | "
            f"~{r.schematron_seconds_each * n:.0f} s (estimate) |"
        )
    seeds = ", ".join(f"{m.gpus:,} GPUs {m.seed_seconds:.1f} s" for m in metering)
    seeds += ", " + ", ".join(f"{r.organizations:,} orgs {r.seed_seconds:.1f} s" for r in invoicing)
    lines += [
        "",
        f"Seeding (bulk_create and INSERT … SELECT, not part of the timings): {seeds}. Render tasks purged: {purged}.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    (ROOT / "bench" / "results" / "billing_throughput.md").write_text(report)


if __name__ == "__main__":
    main()
