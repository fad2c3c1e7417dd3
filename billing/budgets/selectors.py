"""Reads of an organization's spend in the current Berlin month: month-to-date, the forecast to the month's end, the
cost an order would add this month, the budget's refusal of an order, and GPU-hours per day and flavor.

Method, in one place:
- The month is the calendar month in Europe/Berlin (``billing.periods.billing_period``). Only UTC hours that have
  fully passed count, as in billing: ``as_of`` is the start of the current UTC hour.
- Month-to-date = the priced usage records of the month's hours before ``as_of`` (every meter: on-demand use,
  licenses and committed reserved windows), each exact ``quantity * unit_price / 3600``; summed exactly and rounded
  once with ``round_money``. Net EUR, without VAT; corrections of invoiced hours are not included.
- Forecast = month-to-date + run rate * remaining hours + committed future hours, rounded once. The run rate is the
  on-demand usage (records of instances) of the last 24 passed hours divided by 24; the remaining hours run from
  ``as_of`` to the month's end (whole hours: Berlin month boundaries are whole UTC hours); the committed future hours
  are the reserved windows' records from ``as_of`` to the month's end (metering writes a window's hours ahead).
- An order's cost this month is its quote's net times the share of its window inside this month: a reserved window
  counts its own hours in the month; an on-demand order (open-ended, quoted for ``quote.hours``) counts from now for
  at most its quoted hours and at most until the month's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.budgets.models import Budget, BudgetAlert
from billing.periods import BERLIN, BillingPeriod, billing_period
from core.money import format_money, round_money
from metering.models import UsageRecord
from metering.selectors import DailyUsage, usage_by_day
from reservations.guards import OrderDescription, OrderRefusal
from tenants.models import Organization

SECONDS_PER_HOUR = Decimal(3600)
RUN_RATE_HOURS = 24
ZERO = Decimal("0.00")
HUNDRED_PERCENT = Decimal(100)
ONE_SECOND = timedelta(seconds=1)


def current_period(now: datetime) -> BillingPeriod:
    local = now.astimezone(BERLIN)
    return billing_period(year=local.year, month=local.month)


def _as_of(now: datetime) -> datetime:
    """The start of the current UTC hour (hours before it have fully passed)."""
    utc = now.astimezone(UTC)
    return utc.replace(minute=0, second=0, microsecond=0)


def _priced(organization: Organization, **filters: object) -> Decimal:
    """Exact EUR of the records matching ``filters``: sum of quantity * unit_price (NUMERIC in PostgreSQL) / 3600."""
    total = (
        UsageRecord.objects.for_organization(organization)
        .filter(**filters)
        .aggregate(
            total=Sum(
                ExpressionWrapper(
                    F("quantity") * F("unit_price"), output_field=DecimalField(max_digits=30, decimal_places=4)
                )
            )
        )["total"]
    )
    return Decimal(total or 0) / SECONDS_PER_HOUR


@dataclass(frozen=True)
class Spend:
    period: BillingPeriod
    as_of: datetime
    month_to_date: Decimal  # net EUR, rounded once
    forecast: Decimal  # net EUR to the month's end, rounded once
    run_rate_per_hour: Decimal  # exact EUR per hour of on-demand use over the last 24 hours (for display, rounded)
    committed_future: Decimal  # net EUR of reserved hours still to come this month, rounded


def _month_to_date_exact(organization: Organization, period: BillingPeriod, as_of: datetime) -> Decimal:
    return _priced(organization, hour__gte=period.start, hour__lt=as_of)


def spend_month_to_date(*, organization: Organization, now: datetime) -> Decimal:
    period = current_period(now)
    return round_money(_month_to_date_exact(organization, period, _as_of(now)))


def spend_summary(*, organization: Organization, now: datetime) -> Spend:
    period = current_period(now)
    as_of = _as_of(now)
    month_to_date = _month_to_date_exact(organization, period, as_of)
    recent = _priced(
        organization, hour__gte=as_of - timedelta(hours=RUN_RATE_HOURS), hour__lt=as_of, instance__isnull=False
    )
    run_rate = recent / RUN_RATE_HOURS
    remaining_hours = (period.end - as_of) // timedelta(hours=1)
    committed_future = _priced(organization, hour__gte=as_of, hour__lt=period.end, instance__isnull=True)
    return Spend(
        period=period,
        as_of=as_of,
        month_to_date=round_money(month_to_date),
        forecast=round_money(month_to_date + run_rate * remaining_hours + committed_future),
        run_rate_per_hour=round_money(run_rate),
        committed_future=round_money(committed_future),
    )


def order_net_this_month(*, order: OrderDescription) -> Decimal:
    """The part of the order's additional net that falls into the current Berlin month (exact; see the module's
    method): the share of ``adds_from``..``adds_until`` inside the month. A booking and an extension alike."""
    period = current_period(order.now)
    window = (order.adds_until - order.adds_from) // ONE_SECOND
    if window <= 0:
        return ZERO
    start, end = max(order.adds_from, period.start), min(order.adds_until, period.end)
    inside = max(0, (end - start) // ONE_SECOND)
    return order.additional_net * inside / window


def budget_get(*, organization: Organization) -> Budget | None:
    return Budget.objects.for_organization(organization).first()


def budget_refusal(*, organization: Organization, additional_net: Decimal, now: datetime | None = None) -> str | None:
    """Why the hard cap refuses an order that adds ``additional_net`` EUR this month, or None if it may go ahead."""
    budget = budget_get(organization=organization)
    if budget is None or not budget.hard_cap:
        return None
    spent = spend_month_to_date(organization=organization, now=now or timezone.now())
    additional = round_money(additional_net)
    if spent + additional <= budget.monthly_limit:
        return None
    return _(
        "This order would cost %(additional)s this month; with %(spent)s spent so far that exceeds the monthly "
        "budget of %(limit)s, which is a hard cap. An owner or billing member can raise the budget."
    ) % {
        "additional": format_money(additional),
        "spent": format_money(spent),
        "limit": format_money(budget.monthly_limit),
    }


def budget_alerts_in_month(*, organization: Organization, month: date) -> list[BudgetAlert]:
    return list(BudgetAlert.objects.for_organization(organization).filter(month=month).order_by("threshold"))


def daily_gpu_hours_by_flavor(*, organization: Organization, month: BillingPeriod) -> list[DailyUsage]:
    """GPU-hours per UTC day and flavor for the month's hours (``metering.selectors.usage_by_day``)."""
    return usage_by_day(organization=organization, start=month.start, end=month.end)


def budget_order_guard(order: OrderDescription) -> OrderRefusal | None:
    """The budget's hard cap as an order guard (registered in ``BillingConfig.ready``; runs under the organization's
    row lock in ``reservations.rules.order_rules_check``, for bookings and extensions)."""
    reason = budget_refusal(
        organization=order.organization, additional_net=order_net_this_month(order=order), now=order.now
    )
    return OrderRefusal(reason, code="budget_exceeded") if reason is not None else None
