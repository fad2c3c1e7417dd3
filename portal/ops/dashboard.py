"""The operator dashboard at ``/ops/``: what needs an operator now, composed from each app's selectors.

Every figure links to the console list that shows its rows. Capacity charts are server-side SVG (geometry computed
here, drawn by ``admin/index.html``; no script, no inline style), each with a text equivalent. Queries: a fixed
number whatever the inventory's size (``tests/portal/test_ops_dashboard.py`` pins it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.choices import InvoiceKind, InvoiceStatus
from billing.invoices.selectors import BillingRunSummary, RevenueToDate, billing_run_summary, revenue_month_to_date
from portal.ops.health import PlatformHealth, platform_health
from provisioning.models import DriftKind, InstanceState
from provisioning.selectors import (
    INSTANCE_TRANSITIONAL,
    RESERVATION_TRANSITIONAL,
    DriftSummary,
    ProvisioningHealth,
    drift_summary,
    provisioning_health,
)
from reservations.capacity import CapacityFigures, ZoneModelCapacity, capacity_outlook
from reservations.choices import NodeState, QuotaRequestStatus, ReservationState
from reservations.selectors import PendingQuotaRequests, quota_requests_pending
from tenants.choices import OrganizationStatus
from tenants.selectors import PendingApprovals, organizations_pending_approval

OUTLOOK_DAYS = 14

# The stacking order, bottom to top, and each category's legend.
SERIES: list[tuple[str, Any]] = [
    ("used", gettext_lazy("In use (reserved windows running)")),
    ("reserved", gettext_lazy("Booked (reserved windows not started)")),
    ("on_demand", gettext_lazy("On demand")),
    ("maintenance", gettext_lazy("Maintenance")),
    ("free", gettext_lazy("Free")),
]

# Chart geometry, in SVG user units (the chart scales to its column; text stays about 11 px at 1366 px width).
PLOT_WIDTH = 440
PLOT_HEIGHT = 140
LEFT = 40
TOP = 8
BOTTOM = 20
WIDTH = LEFT + PLOT_WIDTH + 6
HEIGHT = TOP + PLOT_HEIGHT + BOTTOM
BAR_SHARE = Decimal("0.72")


def changelist(model: str, **filters: Any) -> str:
    """The console list of ``app_model``, filtered."""
    url = reverse(f"admin:{model}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _coordinate(value: Decimal) -> str:
    """SVG wants a dot as the decimal mark in every language: formatted here, never by the template's locale."""
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _instant(moment: datetime) -> str:
    """An instant as the console's changelist filters read it (ISO 8601 with its offset)."""
    return moment.isoformat()


@dataclass(frozen=True)
class Segment:
    series: str
    label: str
    gpus: int
    y: str
    height: str


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar: "now" or the day of the month
    day: date | None  # None: the "now" bar
    x: str
    width: str
    label_x: str
    figures: CapacityFigures
    segments: list[Segment]


@dataclass(frozen=True)
class CapacityChart:
    capacity: ZoneModelCapacity
    dom_id: str
    bars: list[Bar]
    aria_label: str
    pools_link: str
    maintenance_link: str
    view_box: str = f"0 0 {WIDTH} {HEIGHT}"
    left: str = str(LEFT)
    right: str = str(LEFT + PLOT_WIDTH)
    top: str = str(TOP)
    baseline: str = str(TOP + PLOT_HEIGHT)
    y_label_x: str = str(LEFT - 5)
    x_label_y: str = str(HEIGHT - 6)


def _bar(index: int, count: int, label: str, day: date | None, figures: CapacityFigures) -> Bar:
    slot = Decimal(PLOT_WIDTH) / count
    width = slot * BAR_SHARE
    x = LEFT + index * slot + (slot - width) / 2
    bottom = Decimal(TOP + PLOT_HEIGHT)
    segments = []
    for series, name in SERIES:
        gpus = figures.free if series == "free" else getattr(figures, series)
        height = Decimal(PLOT_HEIGHT) * gpus / figures.total if figures.total else Decimal(0)
        bottom -= height
        if gpus:
            segments.append(Segment(series, str(name), gpus, _coordinate(bottom), _coordinate(height)))
    return Bar(label, day, _coordinate(x), _coordinate(width), _coordinate(x + width / 2), figures, segments)


def capacity_chart(capacity: ZoneModelCapacity) -> CapacityChart:
    """One stacked bar for now, then one per day (its peak), each as high as the zone's GPUs of the model."""
    count = 1 + len(capacity.days)
    bars = [_bar(0, count, _("now"), None, capacity.now)]
    bars += [
        _bar(index, count, str(capacity_day.day.day), capacity_day.day, capacity_day.figures)
        for index, capacity_day in enumerate(capacity.days, start=1)
    ]
    now = capacity.now
    aria_label = _(
        "%(zone)s, %(model)s: %(total)d GPUs; now %(used)d in use, %(reserved)d booked, %(on_demand)d on demand, "
        "%(maintenance)d in maintenance, %(free)d free. Stacked bars for now and each of the next %(days)d days; "
        "the table below has every value."
    ) % {
        "zone": capacity.zone_name,
        "model": capacity.gpu_model_name,
        "total": now.total,
        "used": now.used,
        "reserved": now.reserved,
        "on_demand": now.on_demand,
        "maintenance": now.maintenance,
        "free": now.free,
        "days": len(capacity.days),
    }
    return CapacityChart(
        capacity=capacity,
        dom_id=f"capacity-{capacity.zone_slug}-{capacity.gpu_model_slug}",
        bars=bars,
        aria_label=aria_label,
        pools_link=changelist(
            "reservations_capacitypool",
            zone__id__exact=capacity.zone_id,
            node_type__gpu_model__id__exact=capacity.gpu_model_id,
        ),
        maintenance_link=changelist(
            "reservations_node",
            state__exact=NodeState.MAINTENANCE,
            pool__zone__id__exact=capacity.zone_id,
        ),
    )


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    approvals: PendingApprovals
    approvals_link: str
    capacity: list[CapacityChart]
    capacity_days: int
    series: list[tuple[str, str]]
    provisioning: ProvisioningHealth
    provisioning_links: dict[str, str]
    drift: DriftSummary
    drift_kinds: list[tuple[str, int, str]]  # (label, open findings, link)
    drift_link: str
    quota_requests: PendingQuotaRequests
    quota_requests_link: str
    billing_run: BillingRunSummary
    billing_links: dict[str, str]
    revenue: RevenueToDate
    revenue_link: str
    health: PlatformHealth


def dashboard_build(*, now: datetime) -> Dashboard:
    provisioning = provisioning_health(now=now)
    drift = drift_summary(now=now)
    billing_run = billing_run_summary(now=now)
    revenue = revenue_month_to_date(now=now)
    stuck_before = _instant(provisioning.stuck_before)
    since = _instant(provisioning.since)
    invoices = "billing_invoice"
    run = {"period_start": _instant(billing_run.period.start)}
    draft = {"kind__exact": InvoiceKind.INVOICE, "status__exact": InvoiceStatus.DRAFT}
    finalized = InvoiceStatus.FINALIZED
    return Dashboard(
        now=now,
        approvals=organizations_pending_approval(),
        approvals_link=changelist("tenants_organization", status__exact=OrganizationStatus.PENDING_APPROVAL),
        capacity=[capacity_chart(capacity) for capacity in capacity_outlook(now=now, days=OUTLOOK_DAYS)],
        capacity_days=OUTLOOK_DAYS,
        series=[(series, str(label)) for series, label in SERIES],
        provisioning=provisioning,
        provisioning_links={
            "failed_instances": changelist(
                "provisioning_instance", state__exact=InstanceState.FAILED, updated_at__gte=since
            ),
            "failed_reservations": changelist(
                "reservations_reservation", state__exact=ReservationState.FAILED, updated_at__gte=since
            ),
            "stuck_instances": changelist(
                "provisioning_instance",
                state__in=",".join(INSTANCE_TRANSITIONAL),
                updated_at__lt=stuck_before,
            ),
            "stuck_reservations": changelist(
                "reservations_reservation",
                state__in=",".join(RESERVATION_TRANSITIONAL),
                updated_at__lt=stuck_before,
            ),
            "stuck_organizations": changelist(
                "tenants_organization", status__exact=OrganizationStatus.PROVISIONING, updated_at__lt=stuck_before
            ),
        },
        drift=drift,
        drift_kinds=[
            (
                str(label),
                drift.open_by_kind[kind],
                changelist("provisioning_driftfinding", kind__exact=kind, repaired__exact=0),
            )
            for kind, label in DriftKind.choices
        ],
        drift_link=changelist("provisioning_driftfinding", repaired__exact=0),
        quota_requests=quota_requests_pending(),
        quota_requests_link=changelist("reservations_quotarequest", status__exact=QuotaRequestStatus.PENDING),
        billing_run=billing_run,
        billing_links={
            "to_review": changelist(invoices, **run, **draft, review__isnull="True"),
            "reviewed": changelist(invoices, **run, **draft, review__isnull="False"),
            "finalized": changelist(invoices, **run, kind__exact=InvoiceKind.INVOICE, status__exact=finalized),
            "credit_notes": changelist(invoices, **run, kind__exact=InvoiceKind.CREDIT_NOTE, status__exact=finalized),
        },
        revenue=revenue,
        revenue_link=changelist(
            invoices, status__exact=finalized, issued_at__gte=_instant(revenue.since), issued_at__lte=_instant(now)
        ),
        health=platform_health(now=now),
    )
