"""One rule for every datetime Kontor accepts from outside: years 2000-2100 and UTC offsets within ±14:00.

PostgreSQL refuses offsets beyond ±15:59 with a ``DataError`` and Python's ``datetime`` stops at year 9999; both used
to turn bad input into a 500, and a far-future end made the metering run write tens of thousands of rows. Every
parser (API fields, query parameters, web forms, service checks) calls ``datetime_range_error``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

MIN_YEAR = 2000
MAX_YEAR = 2100
MAX_UTC_OFFSET = timedelta(hours=14)
DATETIME_RANGE_CODE = "datetime_out_of_range"


def datetime_range_error(value: datetime) -> str | None:
    """Why ``value`` is not accepted (a translated sentence), or None when it is."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        return _("Use a UTC offset between -14:00 and +14:00.")
    # The year in UTC (2100-12-31T23:00-05:00 is already 2101), computed only near the range: year 9999 with a
    # negative offset has no UTC value.
    year = value.year
    if offset is not None and MIN_YEAR <= year <= MAX_YEAR:
        year = value.astimezone(UTC).year
    if not MIN_YEAR <= year <= MAX_YEAR:
        return _("Use a date between the years %(min)d and %(max)d.") % {"min": MIN_YEAR, "max": MAX_YEAR}
    return None


def validate_datetime_range(value: datetime) -> None:
    """The Django validator form of ``datetime_range_error`` (forms, filters and DRF fields run it)."""
    error = datetime_range_error(value)
    if error is not None:
        raise ValidationError(error, code=DATETIME_RANGE_CODE)


def parse_datetime_in_range(raw: str) -> datetime:
    """Parse an ISO 8601 date and time with its UTC offset, within the range; ``ValidationError`` otherwise."""
    try:
        parsed = parse_datetime(raw)
    except ValueError:  # well-formed but impossible: 2026-02-30, an offset of 24 hours
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationError(_("Give a date and time with its UTC offset (ISO 8601)."), code="invalid")
    validate_datetime_range(parsed)
    return parsed


def format_datetime(value: datetime) -> str:
    """A date and time as every page shows it, in Europe/Berlin and the active language's ``DATETIME_FORMAT``
    (``01.12.2026 09:46``, ``1 Dec 2026, 09:46``; ``portal/formats``): for sentences built in Python."""
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")
