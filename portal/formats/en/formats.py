"""Kontor's English formats (``FORMAT_MODULE_PATH``): one date and one time format everywhere, 24-hour clock.

Day, abbreviated month, year (``1 Dec 2026``) reads the same to British, American and international readers and
cannot be confused with ``12/01/2026``. What is not set here (input formats, first day of the week) comes from
Django's own ``en`` locale. Money is formatted by ``core.money.format_money``, not here.
"""

DATE_FORMAT = "j M Y"  # 1 Dec 2026
TIME_FORMAT = "H:i"  # 09:46
DATETIME_FORMAT = "j M Y, H:i"  # 1 Dec 2026, 09:46
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
YEAR_MONTH_FORMAT = "F Y"  # December 2026
MONTH_DAY_FORMAT = "j M"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
FIRST_DAY_OF_WEEK = 1  # Monday, as in Germany, where Kontor's cloud runs
