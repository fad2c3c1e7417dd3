"""Reads of an organization's spend in the current Berlin month: what is spent, what is committed, the forecast to the
month's end, the budget's share of them, the cost an order would add this month, the budget's refusal of an order,
and GPU-hours per day and flavor.

Method, in one place (``spend_summary`` computes every figure; the spend page, the budget alerts and the hard cap all
read it, so they never disagree):
- The month is the calendar month in Europe/Berlin (``billing.periods.billing_period``). Only UTC hours that have
  fully passed count as spent, as in billing: ``as_of`` is the start of the current UTC hour.
- Spent = the month's hours before ``as_of``: on-demand use and licenses as metered, and the reserved windows' hours
  that have passed (billed whether used or not).
- Committed = the reserved windows' hours from ``as_of`` to the month's end: billed whether used or not, so they
  count from the moment a window is booked. A window metering has not written to its end yet (just booked, extended
  or cancelled) is read from the reservation with metering's rule (``metering.selectors.unmetered_windows``); its
  records, if any, are left out, so nothing counts twice.
- Forecast = spent + committed + the run rate * remaining hours (each part rounded once, so the figures the page
  shows add up). The run rate is the on-demand usage (records of
  instances) of the last 24 passed hours divided by 24; the remaining hours run from ``as_of`` to the month's end
  (whole hours: Berlin month boundaries are whole UTC hours).
- The budget's share is (spent + committed) / limit: the money the month will cost at least. Alerts go out at 50, 80
  and 100 % of it, and the hard cap refuses an order whose cost this month would take spent + committed past the
  limit. Each amount is summed exactly (``quantity * unit_price / 3600``) and rounded once with ``round_money``; net
  EUR, without VAT; corrections of invoiced hours are not included.
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
from core.prepared import PreparedQuery
from core.statements import Statement
from metering.models import UsageRecord
from metering.selectors import DailyGpuHours, gpu_hours_by_day, unmetered_windows
from reservations.guards import GuardRows, OrderDescription, OrderRefusal
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


def _priced(organization: Organization, exclude_reservation_ids: list[int], **filters: object) -> Decimal:
    """Exact EUR of the records matching ``filters``: sum of quantity * unit_price (NUMERIC in PostgreSQL) / 3600."""
    total = (
        UsageRecord.objects.for_organization(organization)
        .filter(**filters)
        .exclude(reservation_id__in=exclude_reservation_ids)
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
    """The month's figures, net EUR, each rounded once (see the module's method)."""

    period: BillingPeriod
    as_of: datetime
    month_to_date: Decimal  # spent: the month's hours that have passed
    committed_future: Decimal  # committed: reserved hours still to come this month
    forecast: Decimal  # spent + committed + run rate * remaining hours
    run_rate_per_hour: Decimal  # on-demand use per hour over the last 24 hours (for display)

    @property
    def spent_or_committed(self) -> Decimal:
        """What the month costs at least: the budget's share and alerts are computed from it."""
        return self.month_to_date + self.committed_future


def spend_summary(*, organization: Organization, now: datetime) -> Spend:
    period = current_period(now)
    as_of = _as_of(now)
    pending = unmetered_windows(organization=organization, start=period.start, end=period.end)
    excluded = pending.reservation_ids
    spent = _priced(organization, excluded, hour__gte=period.start, hour__lt=as_of)
    spent += sum((window.amount(period.start, as_of) for window in pending.windows), Decimal(0))
    committed = _priced(organization, excluded, hour__gte=as_of, hour__lt=period.end, instance__isnull=True)
    committed += sum((window.amount(as_of, period.end) for window in pending.windows), Decimal(0))
    recent = _priced(
        organization, [], hour__gte=as_of - timedelta(hours=RUN_RATE_HOURS), hour__lt=as_of, instance__isnull=False
    )
    run_rate = recent / RUN_RATE_HOURS
    remaining_hours = (period.end - as_of) // timedelta(hours=1)
    month_to_date, committed_future = round_money(spent), round_money(committed)
    return Spend(
        period=period,
        as_of=as_of,
        month_to_date=month_to_date,
        committed_future=committed_future,
        # The page shows the three parts: the forecast is their sum, so the figures it shows add up to the cent.
        forecast=month_to_date + committed_future + round_money(run_rate * remaining_hours),
        run_rate_per_hour=round_money(run_rate),
    )


def budget_share(*, budget: Budget, amount: Decimal) -> Decimal:
    """``amount`` as a percentage of the budget, exact."""
    return amount * HUNDRED_PERCENT / budget.monthly_limit


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


#: The hard cap flag and the limit of the organization's budget (at most one: a one-to-one field), compiled once
#: per process: ``budget_cap`` runs it, and the budget guard's read sends it with the organization's lock.
_BUDGET_CAP: PreparedQuery[tuple[bool, Decimal]] = PreparedQuery(
    lambda organization: Budget.objects.for_organization(Organization(pk=organization)).values_list(
        "hard_cap", "monthly_limit"
    ),
    organization=int,
)


def _cap(rows: list[tuple[bool, Decimal]]) -> Decimal | None:
    return rows[0][1] if rows and rows[0][0] else None


def budget_cap(*, organization: Organization) -> Decimal | None:
    """The monthly limit of the organization's budget if it is a hard cap, else None."""
    return _cap(_BUDGET_CAP(organization=organization.pk))


def budget_refusal(
    *, organization: Organization, additional_net: Decimal, cap: Decimal | None, now: datetime | None = None
) -> str | None:
    """Why the hard cap ``cap`` (``budget_cap``: None, no hard cap) refuses an order that adds ``additional_net``
    EUR this month, or None if it may go ahead."""
    if cap is None:
        return None
    spent = spend_summary(organization=organization, now=now or timezone.now()).spent_or_committed
    additional = round_money(additional_net)
    if spent + additional <= cap:
        return None
    return _(
        "This order would cost %(additional)s this month; with %(spent)s spent or committed so far that exceeds the "
        "monthly budget of %(limit)s, which is a hard cap. An owner or billing member can raise the budget."
    ) % {
        "additional": format_money(additional),
        "spent": format_money(spent),
        "limit": format_money(cap),
    }


def budget_alerts_in_month(*, organization: Organization, month: date) -> list[BudgetAlert]:
    return list(BudgetAlert.objects.for_organization(organization).filter(month=month).order_by("threshold"))


def daily_gpu_hours_by_flavor(*, organization: Organization, summary: Spend) -> list[DailyGpuHours]:
    """GPU-hours per UTC day and flavor for the month of ``summary``, used before its ``as_of`` and committed from
    it (``metering.selectors.gpu_hours_by_day``)."""
    return gpu_hours_by_day(
        organization=organization, start=summary.period.start, end=summary.period.end, as_of=summary.as_of
    )


def budget_order_guard_read(order: OrderDescription) -> Statement:
    """``budget_order_guard``'s read (``budget_cap``'s query) as a statement, for the lock's round trip."""
    return _BUDGET_CAP.statement(prefix="budget", organization=order.organization.pk)


def budget_order_guard(order: OrderDescription, rows: GuardRows = None) -> OrderRefusal | None:
    """The budget's hard cap as an order guard (registered in ``BillingConfig.ready`` with its read,
    ``budget_order_guard_read``; runs under the organization's row lock in ``reservations.rules.order_rules_check``,
    for bookings and extensions). ``rows``: its read's, when the lock's round trip carried it."""
    organization = order.organization
    cap = _cap(_BUDGET_CAP.answer(rows)) if rows is not None else budget_cap(organization=organization)
    reason = budget_refusal(
        organization=organization, additional_net=order_net_this_month(order=order), now=order.now, cap=cap
    )
    return OrderRefusal(reason, code="budget_exceeded") if reason is not None else None
