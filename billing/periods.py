"""Billing periods: calendar months in Europe/Berlin, as aware datetimes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


class InvoiceError(Exception):
    """A billing transition or document was refused; nothing was changed."""


@dataclass(frozen=True)
class BillingPeriod:
    start: datetime  # first instant of the month in Europe/Berlin (aware)
    end: datetime  # first instant of the next month (exclusive)


def billing_period(*, year: int, month: int) -> BillingPeriod:
    """The Berlin calendar month as aware datetimes; zoneinfo resolves the UTC offset of each boundary."""
    if not 1 <= month <= 12:
        raise InvoiceError(f"There is no month {month}.")
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return BillingPeriod(
        start=datetime(year, month, 1, tzinfo=BERLIN), end=datetime(next_year, next_month, 1, tzinfo=BERLIN)
    )
