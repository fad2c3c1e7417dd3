"""Invoiced hours by range: ``UsageSeal`` replaces the per-record ``invoiced_at`` column.

Existing invoiced records become seals: per organization, the hours one finalization marked (the same
``invoiced_at``) in one Berlin month span one seal from their first to their last hour; a seal never overlaps an
earlier one of its organization (clipped). A record left uninvoiced inside a seal (metered late, for an hour already
billed) becomes what the new rule writes for it: quantity 0 and a correction carrying its GPU-seconds. On
PostgreSQL an exclusion constraint keeps an organization's seals from overlapping.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Exists, Max, Min, OuterRef
from django.db.models.functions import TruncMonth

from core.migration_sql import sql_by_vendor

NO_OVERLAP = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE metering_usageseal ADD CONSTRAINT metering_seal_no_overlap
    EXCLUDE USING gist (organization_id WITH =, tstzrange(hours_start, hours_end) WITH &&);
"""
NO_OVERLAP_BACKWARD = "ALTER TABLE metering_usageseal DROP CONSTRAINT IF EXISTS metering_seal_no_overlap;"
HOUR = timedelta(hours=1)


def seal_invoiced_hours(apps, schema_editor):  # type: ignore[no-untyped-def]
    UsageRecord = apps.get_model("metering", "UsageRecord")
    UsageSeal = apps.get_model("metering", "UsageSeal")
    UsageCorrection = apps.get_model("metering", "UsageCorrection")
    groups = (
        UsageRecord.objects.filter(invoiced_at__isnull=False)
        .annotate(month=TruncMonth("hour", tzinfo=ZoneInfo("Europe/Berlin")))
        .values("organization_id", "invoiced_at", "month")
        .annotate(first=Min("hour"), last=Max("hour"))
        .order_by("organization_id", "first", "invoiced_at")
    )
    seals = []
    sealed_until: dict[int, object] = {}
    for group in groups:
        organization_id = group["organization_id"]
        start, end = group["first"], group["last"] + HOUR
        previous = sealed_until.get(organization_id)
        if previous is not None and start < previous:
            start = previous
        if start >= end:
            continue
        seals.append(
            UsageSeal(organization_id=organization_id, hours_start=start, hours_end=end, sealed_at=group["invoiced_at"])
        )
        sealed_until[organization_id] = end
    UsageSeal.objects.bulk_create(seals, batch_size=2000)
    covering = UsageSeal.objects.filter(
        organization_id=OuterRef("organization_id"), hours_start__lte=OuterRef("hour"), hours_end__gt=OuterRef("hour")
    )
    for record in UsageRecord.objects.filter(Exists(covering), invoiced_at__isnull=True, quantity__gt=0):
        UsageCorrection.objects.create(
            organization_id=record.organization_id,
            record=record,
            quantity_delta=record.quantity,
            unit_price=record.unit_price,
            created_at=record.updated_at,
        )
        UsageRecord.objects.filter(pk=record.pk).update(quantity=0)


def unseal(apps, schema_editor):  # type: ignore[no-untyped-def]
    UsageRecord = apps.get_model("metering", "UsageRecord")
    UsageSeal = apps.get_model("metering", "UsageSeal")
    for seal in UsageSeal.objects.all():
        UsageRecord.objects.filter(
            organization_id=seal.organization_id, hour__gte=seal.hours_start, hour__lt=seal.hours_end
        ).update(invoiced_at=seal.sealed_at)


class Migration(migrations.Migration):
    dependencies = [
        ("metering", "0003_console_labels"),
        ("tenants", "0011_audit_target_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="UsageSeal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("hours_start", models.DateTimeField(verbose_name="first hour (UTC)")),
                ("hours_end", models.DateTimeField(verbose_name="end (UTC, exclusive)")),
                ("sealed_at", models.DateTimeField(verbose_name="invoiced")),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="tenants.organization",
                        verbose_name="organization",
                    ),
                ),
            ],
            options={
                "verbose_name": "invoiced usage hours",
                "verbose_name_plural": "invoiced usage hours",
                "ordering": ["organization", "hours_start"],
                "abstract": False,
                "indexes": [models.Index(fields=["organization", "hours_start"], name="metering_seal_org_start")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("hours_start__lt", models.F("hours_end"))), name="metering_seal_not_empty"
                    )
                ],
            },
        ),
        sql_by_vendor(postgresql_forward=NO_OVERLAP, postgresql_backward=NO_OVERLAP_BACKWARD),
        migrations.RunPython(seal_invoiced_hours, unseal, elidable=False),
        migrations.RemoveField(
            model_name="usagerecord",
            name="invoiced_at",
        ),
    ]
