"""Billing periods: calendar months in Europe/Berlin.

A period is a Berlin (year, month); its instants are derived from it. A stored ``period_start`` (which the database
returns in UTC: 1 November 00:00 Berlin is 31 October 23:00 UTC) becomes a period only through
``BillingPeriod.containing``, which converts to Europe/Berlin first, so a UTC instant is never re-read as a month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


class InvoiceError(Exception):
    """A billing transition or document was refused; nothing was changed."""


@dataclass(frozen=True)
class BillingPeriod:
    """A Berlin calendar month. The (year, month) is the truth; ``start``/``end`` are derived in Europe/Berlin."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise InvoiceError(f"There is no month {self.month}.")

    @property
    def start(self) -> datetime:
        """The first instant of the month in Europe/Berlin (aware; zoneinfo resolves the offset)."""
        return datetime(self.year, self.month, 1, tzinfo=BERLIN)

    @property
    def end(self) -> datetime:
        """The first instant of the next month (exclusive)."""
        next_year, next_month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return datetime(next_year, next_month, 1, tzinfo=BERLIN)

    @classmethod
    def containing(cls, moment: datetime) -> BillingPeriod:
        """The Berlin month an aware instant falls in."""
        local = moment.astimezone(BERLIN)
        return cls(year=local.year, month=local.month)


def billing_period(*, year: int, month: int) -> BillingPeriod:
    """The Berlin calendar month; ``start``/``end`` are its boundaries as aware datetimes."""
    return BillingPeriod(year=year, month=month)
