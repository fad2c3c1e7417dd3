"""The portal's spend page: month-to-date spend, the forecast, the budget and its alerts, and a server-side SVG chart
of daily GPU-hours by flavor (geometry computed here, drawn by the template; no script, no inline style)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from billing.budgets.selectors import (
    Spend,
    budget_alerts_in_month,
    budget_get,
    budget_share,
    daily_gpu_hours_by_flavor,
    spend_summary,
)
from billing.budgets.services import budget_set
from metering.selectors import DailyGpuHours
from tenants.audit import Actor
from tenants.models import Organization
from tenants.permissions import Action
from tenants.web.access import OrganizationAccess, organization_view
from tenants.web.forms import add_service_errors

PLOT_WIDTH = 960
PLOT_HEIGHT = 200
LEFT = 52
TOP = 10
BOTTOM = 26
WIDTH = LEFT + PLOT_WIDTH + 10
HEIGHT = TOP + PLOT_HEIGHT + BOTTOM
BAR_SHARE = Decimal("0.8")
SERIES_CLASSES = 6  # kontor.css has spend-series-0 .. spend-series-5


def _coordinate(value: Decimal) -> str:
    """SVG wants a dot as the decimal mark in every language: formatted here, never by the template's locale."""
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Segment:
    flavor: str  # display name
    gpu_hours: Decimal
    series: int
    committed: bool  # reserved hours still to come (drawn hatched), else used
    y: str
    height: str


@dataclass(frozen=True)
class DayBar:
    day: date
    x: str
    width: str
    used: Decimal
    committed: Decimal
    segments: list[Segment]

    @property
    def total(self) -> Decimal:
        return self.used + self.committed


@dataclass(frozen=True)
class SpendChart:
    """Two series per flavor: used GPU-hours (solid) and committed future hours of reserved windows (hatched)."""

    bars: list[DayBar]
    flavors: list[tuple[str, int]]  # (display name, series class index)
    maximum: Decimal
    has_used: bool
    has_committed: bool
    view_box: str = f"0 0 {WIDTH} {HEIGHT}"
    left: str = str(LEFT)
    right: str = str(LEFT + PLOT_WIDTH)
    top: str = str(TOP)
    baseline: str = str(TOP + PLOT_HEIGHT)
    y_label_x: str = str(LEFT - 6)
    x_label_y: str = str(HEIGHT - 8)


def spend_chart(usage: list[DailyGpuHours]) -> SpendChart:
    """One stacked bar per day with GPU time: first the used hours of each flavor, above them the committed hours of
    each flavor (flavors in slug order, one colour each), scaled to the busiest day."""
    names = {row.flavor: row.flavor_name for row in usage}
    flavors = sorted(names)
    series = {slug: index % SERIES_CLASSES for index, slug in enumerate(flavors)}
    days: dict[date, list[DailyGpuHours]] = {}
    for row in usage:
        days.setdefault(row.day, []).append(row)

    def day_total(rows: list[DailyGpuHours]) -> Decimal:
        return sum((row.used_hours + row.committed_hours for row in rows), Decimal(0))

    maximum = max((day_total(rows) for rows in days.values()), default=Decimal(0))
    slot = Decimal(PLOT_WIDTH) / max(len(days), 1)
    width = slot * BAR_SHARE
    bars = []
    for index, (day, rows) in enumerate(sorted(days.items())):
        bottom = Decimal(TOP + PLOT_HEIGHT)
        segments = []
        ordered = sorted(rows, key=lambda row: row.flavor)
        parts = [(row, False, row.used_hours) for row in ordered]
        parts += [(row, True, row.committed_hours) for row in ordered]
        for row, committed, hours in parts:
            if not hours:
                continue
            height = Decimal(PLOT_HEIGHT) * hours / maximum if maximum else Decimal(0)
            bottom -= height
            segments.append(
                Segment(row.flavor_name, hours, series[row.flavor], committed, _coordinate(bottom), _coordinate(height))
            )
        bars.append(
            DayBar(
                day=day,
                x=_coordinate(LEFT + index * slot + (slot - width) / 2),
                width=_coordinate(width),
                used=sum((row.used_hours for row in rows), Decimal(0)),
                committed=sum((row.committed_hours for row in rows), Decimal(0)),
                segments=segments,
            )
        )
    return SpendChart(
        bars=bars,
        flavors=[(names[slug], series[slug]) for slug in flavors],
        maximum=maximum,
        has_used=any(row.used_seconds for row in usage),
        has_committed=any(row.committed_seconds for row in usage),
    )


def _gpu_hours(organization: Organization, summary: Spend) -> dict[str, object]:
    """The context of ``billing/_gpu_hours_chart.html``."""
    usage = daily_gpu_hours_by_flavor(organization=organization, summary=summary)
    return {"chart": spend_chart(usage), "usage_rows": usage}


class BudgetForm(forms.Form):
    monthly_limit = forms.DecimalField(
        label=gettext_lazy("Monthly budget (EUR, net)"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    hard_cap = forms.BooleanField(label=gettext_lazy("Refuse new orders that would exceed it"), required=False)


@require_http_methods(["GET", "POST"])
@organization_view(Action.BILLING_VIEW)
def spend(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    organization = access.organization
    may_manage = access.allows(Action.BILLING_MANAGE)
    budget = budget_get(organization=organization)
    form = BudgetForm(
        initial={"monthly_limit": budget.monthly_limit, "hard_cap": budget.hard_cap} if budget is not None else None
    )
    if request.method == "POST":
        if not may_manage:
            return HttpResponse(status=403)
        form = BudgetForm(request.POST)
        if form.is_valid():
            try:
                budget_set(
                    actor=Actor.from_request(request),
                    organization=organization,
                    monthly_limit=form.cleaned_data["monthly_limit"],
                    hard_cap=form.cleaned_data["hard_cap"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The budget was saved."))
                return redirect("portal:organization-spend", organization_slug=organization.slug)
    elif request.method != "GET":
        return HttpResponse(status=405)
    summary = spend_summary(organization=organization, now=timezone.now())
    share = budget_share(budget=budget, amount=summary.spent_or_committed) if budget else None
    forecast_share = budget_share(budget=budget, amount=summary.forecast) if budget else None
    return render(
        request,
        "billing/spend.html",
        {
            "organization": organization,
            "summary": summary,
            "month": summary.period.start.date(),
            "budget": budget,
            "share": share.quantize(Decimal("0.1")) if share is not None else None,
            "forecast_share": forecast_share.quantize(Decimal("0.1")) if forecast_share is not None else None,
            "progress_value": min(summary.spent_or_committed, budget.monthly_limit) if budget else None,
            "alerts": budget_alerts_in_month(organization=organization, month=summary.period.start.date()),
            "form": form,
            "may_manage": may_manage,
            **_gpu_hours(organization, summary),
        },
    )
