"""Usage: exact integer GPU-seconds per UTC hour, the facts billing rates and invoices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import CatalogItemVersion, Flavor
from metering.choices import Meter
from provisioning.models import Instance
from reservations.models import Reservation
from tenants.models import Organization
from tenants.scoping import TenantManager, TenantOwnedModel, TenantQuerySet


class UsageSeal(TenantOwnedModel):
    """The hours ``[hours_start, hours_end)`` of one organization's usage are final as of ``sealed_at``: billing
    invoiced them (``billing.invoices`` links the invoice to its seals). Whether a usage record is invoiced is
    whether a seal of its organization covers its hour (``sealed_sql``, ``sealed_at``): nothing is written per
    record.

    Invariants: both ends are UTC hour starts, ``hours_start < hours_end``; the seals of one organization never
    overlap (an exclusion constraint on PostgreSQL, migration 0004), so an hour is sealed at most once, by one
    invoice. Written only by ``metering.services.usage_seal``, in the transaction that finalizes the invoice, while
    the organization's row is locked ``FOR UPDATE``; metering takes the same row ``FOR KEY SHARE`` before it reads
    records and seals (``metering.services._ORGANIZATIONS_LOCK``), so a record is never rewritten in an hour sealed
    meanwhile.
    Never changed or deleted.
    """

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    hours_start = models.DateTimeField(_("first hour (UTC)"))
    hours_end = models.DateTimeField(_("end (UTC, exclusive)"))
    sealed_at = models.DateTimeField(_("invoiced"))

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("invoiced usage hours")
        verbose_name_plural = _("invoiced usage hours")
        ordering = ["organization", "hours_start"]
        indexes = [models.Index(fields=["organization", "hours_start"], name="metering_seal_org_start")]
        constraints = [
            models.CheckConstraint(condition=Q(hours_start__lt=F("hours_end")), name="metering_seal_not_empty"),
            # and on PostgreSQL ``metering_seal_no_overlap`` (migration 0004): seals of one organization never overlap
        ]

    def __str__(self) -> str:
        return f"{self.hours_start:%Y-%m-%d %H:00Z} – {self.hours_end:%Y-%m-%d %H:00Z}"


# The one rule "is this record's hour invoiced": a seal of the record's organization covers its hour. In the two
# forms the code needs: a raw SQL predicate for set-based statements, and the ORM expression every ``UsageRecord``
# queryset carries as ``invoiced_at`` (``hour_sealed`` checks an hour against seals already loaded).
SEALED_SQL = """EXISTS (SELECT 1 FROM metering_usageseal s WHERE s.organization_id = {record}.organization_id
    AND s.hours_start <= {record}.hour AND {record}.hour < s.hours_end)"""


def sealed_sql(record: str) -> str:
    """SQL true when the hour of the usage record aliased ``record`` is invoiced (sealed): it is never rewritten."""
    return SEALED_SQL.format(record=record)


def _covering_seals() -> models.QuerySet[UsageSeal]:
    """The ORM form of ``sealed_sql``: the seals covering the outer usage record's hour."""
    return UsageSeal.objects.unscoped().filter(
        organization_id=OuterRef("organization_id"), hours_start__lte=OuterRef("hour"), hours_end__gt=OuterRef("hour")
    )


def sealed_at() -> Subquery:
    """The ``sealed_at`` of the seal covering the outer usage record's hour (NULL: not invoiced)."""
    return Subquery(_covering_seals().values("sealed_at")[:1], output_field=models.DateTimeField())


def sealed() -> Exists:
    """True when a seal covers the outer usage record's hour: ``~sealed()`` lets PostgreSQL anti-join the seals
    instead of looking them up per record (``invoiced_at__isnull=True`` does the latter)."""
    return Exists(_covering_seals())


def hour_sealed(seals: list[tuple[datetime, datetime]], hour: datetime) -> bool:
    """``sealed_sql`` for one hour against an organization's loaded seals ``(hours_start, hours_end)``."""
    return any(start <= hour < end for start, end in seals)


class UsageRecordManager(TenantManager["UsageRecord"]):
    """``UsageRecord.objects``: every queryset carries ``invoiced_at``, when the record's hour was sealed (None: not
    invoiced), computed from the seals (``sealed_at``), never stored per record."""

    def get_queryset(self) -> TenantQuerySet[UsageRecord]:
        # The property ``UsageRecord.invoiced_at`` takes the annotated value (its setter); django-stubs sees a clash.
        return super().get_queryset().annotate(invoiced_at=sealed_at())  # type: ignore[no-redef]


class UsageRecord(TenantOwnedModel):
    """How many GPU-seconds of one meter one instance (or one reserved window) used in one UTC hour.

    Invariants: ``hour`` is the start of a UTC hour (minute, second and microsecond 0: a check constraint on
    PostgreSQL, migration 0002; the service writes only aligned hours elsewhere); ``quantity`` is a whole number of
    GPU-seconds, never negative. Instance records (``instance`` set: ``gpu_seconds`` and ``license_gpu_seconds`` of an
    on-demand reservation) are unique per (instance, meter, hour); window records (``instance`` empty:
    ``committed_gpu_seconds`` and the license of a reserved window) are unique per (reservation, meter, hour), so a
    retried or concurrent metering run rewrites a row instead of adding one. ``unit_price`` (EUR per GPU-hour) is
    the quote's, never the price book's. Written only by ``metering.services``: an hour not yet invoiced is rewritten
    with its exact value; once a ``UsageSeal`` of the organization covers the hour (``invoiced_at``, annotated by
    the manager) the row never changes again, and a later difference becomes a ``UsageCorrection`` (a record first
    metered in a sealed hour is written with quantity 0 and the correction carries its GPU-seconds).
    """

    objects: UsageRecordManager = UsageRecordManager()

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    reservation = models.ForeignKey(
        Reservation, verbose_name=_("reservation"), on_delete=models.PROTECT, related_name="usage_records"
    )
    instance = models.ForeignKey(
        Instance, verbose_name=_("instance"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    meter = models.CharField(_("meter"), max_length=24, choices=Meter.choices)
    hour = models.DateTimeField(_("hour (UTC)"))
    quantity = models.PositiveBigIntegerField(_("GPU-seconds"))
    flavor = models.ForeignKey(Flavor, on_delete=models.PROTECT, related_name="+", verbose_name=_("flavor"))
    item_version = models.ForeignKey(
        CatalogItemVersion, verbose_name=_("software version"), on_delete=models.PROTECT, related_name="+"
    )
    unit_price = models.DecimalField(_("EUR per GPU-hour"), max_digits=10, decimal_places=4)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")
        ordering = ["hour", "id"]
        indexes = [models.Index(fields=["organization", "hour"], name="metering_usage_org_hour")]
        constraints = [
            models.CheckConstraint(condition=Q(meter__in=Meter.values), name="metering_usage_meter_valid"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="metering_usage_quantity_not_negative"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="metering_usage_price_not_negative"),
            models.CheckConstraint(
                condition=Q(instance__isnull=False, meter__in=[Meter.GPU_SECONDS, Meter.LICENSE_GPU_SECONDS])
                | Q(instance__isnull=True, meter__in=[Meter.COMMITTED_GPU_SECONDS, Meter.LICENSE_GPU_SECONDS]),
                name="metering_usage_meter_matches_subject",
            ),
            models.UniqueConstraint(
                fields=["instance", "meter", "hour"],
                condition=Q(instance__isnull=False),
                name="metering_usage_once_per_instance_hour",
            ),
            models.UniqueConstraint(
                fields=["reservation", "meter", "hour"],
                condition=Q(instance__isnull=True),
                name="metering_usage_once_per_window_hour",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meter} {self.hour:%Y-%m-%d %H:00Z}: {self.quantity}"

    @property
    def invoiced_at(self) -> datetime | None:
        """When the record's hour was sealed (invoiced), None when not: set by the manager's annotation, else read
        from the seals on first use (a record loaded through a foreign key, or refreshed)."""
        if "_invoiced_at" not in self.__dict__:
            self.__dict__["_invoiced_at"] = (
                UsageSeal.objects.unscoped()
                .filter(organization_id=self.organization_id, hours_start__lte=self.hour, hours_end__gt=self.hour)
                .values_list("sealed_at", flat=True)
                .first()
            )
        return self.__dict__["_invoiced_at"]

    @invoiced_at.setter
    def invoiced_at(self, value: datetime | None) -> None:
        self.__dict__["_invoiced_at"] = value

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__.pop("_invoiced_at", None)
        super().refresh_from_db(*args, **kwargs)


class UsageCorrection(TenantOwnedModel):
    """A difference found after an hour was invoiced: the invoiced record stays as it was, this row carries the
    delta (negative: GPU-seconds billed too many, to become a credit note; positive: billed too few).

    Invariants: ``quantity_delta`` is never 0; the record's quantity plus all its corrections' deltas is the exact
    usage of that hour as last metered; written only by ``metering.services``, once per discovered difference.
    ``credited_at`` is set by billing when the correction was invoiced or credited.
    """

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    record = models.ForeignKey(
        UsageRecord, verbose_name=_("usage record"), on_delete=models.PROTECT, related_name="corrections"
    )
    quantity_delta = models.BigIntegerField(_("GPU-seconds difference"))
    unit_price = models.DecimalField(_("EUR per GPU-hour"), max_digits=10, decimal_places=4)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    credited_at = models.DateTimeField(_("invoiced or credited"), null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("usage correction")
        verbose_name_plural = _("usage corrections")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity_delta=0), name="metering_correction_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.record}: {self.quantity_delta:+d}"


class MeteringCursor(TenantOwnedModel):
    """How far an instance (or a reserved window, ``instance`` empty) has been metered: the end of the last
    metered interval. Lets the periodic run skip what is final: a stopped instance whose cursor is its
    ``stopped_at``, an ended window whose cursor is its ``ends_at``.

    Invariants: one per instance, one per window; written in the same transaction as the records it describes.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    reservation = models.ForeignKey(Reservation, on_delete=models.PROTECT, related_name="+")
    instance = models.ForeignKey(Instance, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    metered_until = models.DateTimeField(_("metered until"))

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("metering cursor")
        verbose_name_plural = _("metering cursors")
        constraints = [
            models.UniqueConstraint(
                fields=["instance"], condition=Q(instance__isnull=False), name="metering_cursor_once_per_instance"
            ),
            models.UniqueConstraint(
                fields=["reservation"], condition=Q(instance__isnull=True), name="metering_cursor_once_per_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instance or self.reservation} until {self.metered_until:%Y-%m-%d %H:%M:%SZ}"
