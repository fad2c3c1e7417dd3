"""Invoice lines from usage: grouping, GPU-hours, the net rounded once, and what each line says.

A line groups the usage of one (meter, flavor, unit price). Its words are written in the active language (the
callers activate the organization's document language), and its month and service period are Berlin calendar
dates taken from the ``BillingPeriod`` and from the UTC hours themselves converted to Europe/Berlin: a UTC
instant is never re-read as a month.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from django.utils.formats import date_format, number_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from core.money import round_money
from metering.choices import Meter

BERLIN = ZoneInfo("Europe/Berlin")
SECONDS_PER_HOUR = Decimal(3600)
QUANTITY_PLACES = Decimal("0.000001")
HOUR = timedelta(hours=1)


class BerlinMonth(Protocol):
    """A Berlin calendar month (``billing.periods.BillingPeriod`` is one)."""

    @property
    def year(self) -> int: ...

    @property
    def month(self) -> int: ...


@dataclass(frozen=True)
class LineKey:
    meter: str
    flavor_slug: str
    unit_price: Decimal
    gpu_count: int  # the flavor's GPUs per instance: determined by the flavor, so it does not split a group
    order_reference: str = ""  # the reservation's purchase-order reference: a different PO is a different line
    corrects_id: int | None = None  # a positive correction's line: the invoice whose hours it corrects


@dataclass
class LineUsage:
    """The GPU-seconds of one line and the first and last UTC hour they fell into."""

    seconds: int
    first_hour: datetime
    last_hour: datetime

    def add(self, seconds: int, hour: datetime) -> None:
        self.seconds += seconds
        self.first_hour = min(self.first_hour, hour)
        self.last_hour = max(self.last_hour, hour)


@dataclass(frozen=True)
class LineAmounts:
    """A line to write: what it says, its quantity, its rounded net and the Berlin dates it covers (BT-134/135)."""

    description: str
    meter: str
    flavor_slug: str
    quantity: Decimal
    unit_price: Decimal
    net_amount: Decimal
    service_start: date | None = None
    service_end: date | None = None
    order_reference: str = ""
    corrects_id: int | None = None


def gpu_hours(seconds: int) -> Decimal:
    return (Decimal(seconds) / SECONDS_PER_HOUR).quantize(QUANTITY_PLACES)


def line_net(seconds: int, unit_price: Decimal) -> Decimal:
    # Exact: an integer times a 4-decimal price, divided by 3600, far inside Decimal's 28 digits; rounded once.
    return round_money(Decimal(seconds) * unit_price / SECONDS_PER_HOUR)


def service_dates(usage: LineUsage) -> tuple[date, date]:
    """The Berlin dates of the first and the last second of the line's hours (inclusive)."""
    last_second = usage.last_hour + HOUR - timedelta(seconds=1)
    return usage.first_hour.astimezone(BERLIN).date(), last_second.astimezone(BERLIN).date()


def _trimmed(value: Decimal) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return number_format(Decimal(text), use_l10n=True, force_grouping=False)


@lru_cache(maxsize=256)
def _month_name(year: int, month: int, language: str | None) -> str:
    """E.g. "November 2026" in ``language`` (the active one: part of the cache key)."""
    return date_format(date(year, month, 1), "F Y")


def line_description(*, meter: str, flavor_slug: str, gpu_count: int, seconds: int, period: BerlinMonth) -> str:
    """E.g. "GPU time used, b200-x4, November 2026: 4 GPUs x 3.5 hours" in the active language.

    The GPUs are the flavor's per instance; the hours are GPU-seconds / GPUs / 3600 (instance-hours), so GPUs x
    hours is the line's quantity in GPU-hours.
    """
    hours = (Decimal(seconds) / Decimal(max(gpu_count, 1)) / SECONDS_PER_HOUR).quantize(QUANTITY_PLACES)
    month = _month_name(period.year, period.month, get_language())
    gpus = ngettext("%(count)d GPU", "%(count)d GPUs", gpu_count) % {"count": gpu_count}
    duration = ngettext("%(hours)s hour", "%(hours)s hours", 1 if hours == 1 else 2) % {"hours": _trimmed(hours)}
    return _("%(meter)s, %(flavor)s, %(month)s: %(gpus)s × %(duration)s") % {
        "meter": Meter(meter).label,
        "flavor": flavor_slug,
        "month": month,
        "gpus": gpus,
        "duration": duration,
    }


@dataclass(frozen=True)
class CorrectedInvoice:
    """The invoice a positive correction line corrects: its number and Berlin month."""

    number: str
    year: int
    month: int


def correction_description(
    *, meter: str, flavor_slug: str, gpu_count: int, seconds: int, corrected: CorrectedInvoice
) -> str:
    """E.g. "Billed too little on invoice KON-2026-000001: GPU time used, b200-x4, October 2026: 4 GPUs x 1 hour"
    (the month is the corrected invoice's)."""
    usage = line_description(
        meter=meter, flavor_slug=flavor_slug, gpu_count=gpu_count, seconds=seconds, period=corrected
    )
    return _("Billed too little on invoice %(number)s: %(usage)s") % {"number": corrected.number, "usage": usage}


def _sort_key(item: tuple[LineKey, LineUsage]) -> tuple[int, str, str, Decimal, str]:
    key = item[0]
    return (key.corrects_id or 0, key.meter, key.flavor_slug, key.unit_price, key.order_reference)


def lines_from_usage(
    sums: dict[LineKey, LineUsage],
    period: BerlinMonth,
    corrected: dict[int, CorrectedInvoice] | None = None,
) -> list[LineAmounts]:
    """The lines of these sums, ordered by (corrected invoice, meter, flavor, unit price, PO), worded in the active
    language. Keys with ``corrects_id`` are positive corrections of the invoice ``corrected[corrects_id]``: they say
    which invoice and month they correct, and their service period is the corrected hours' (BT-134/135)."""
    lines = []
    for key, usage in sorted(sums.items(), key=_sort_key):
        start, end = service_dates(usage)
        if key.corrects_id is None:
            description = line_description(
                meter=key.meter,
                flavor_slug=key.flavor_slug,
                gpu_count=key.gpu_count,
                seconds=usage.seconds,
                period=period,
            )
        else:
            assert corrected is not None
            description = correction_description(
                meter=key.meter,
                flavor_slug=key.flavor_slug,
                gpu_count=key.gpu_count,
                seconds=usage.seconds,
                corrected=corrected[key.corrects_id],
            )
        lines.append(
            LineAmounts(
                description=description,
                meter=key.meter,
                flavor_slug=key.flavor_slug,
                quantity=gpu_hours(usage.seconds),
                unit_price=key.unit_price,
                net_amount=line_net(usage.seconds, key.unit_price),
                service_start=start,
                service_end=end,
                order_reference=key.order_reference,
                corrects_id=key.corrects_id,
            )
        )
    return lines


def usage_sums(records: Iterable[tuple[LineKey, int, datetime]]) -> dict[LineKey, LineUsage]:
    """Sum (key, GPU-seconds, UTC hour) triples into one ``LineUsage`` per key."""
    sums: dict[LineKey, LineUsage] = {}
    for key, seconds, hour in records:
        if key in sums:
            sums[key].add(seconds, hour)
        else:
            sums[key] = LineUsage(seconds, hour, hour)
    return sums
