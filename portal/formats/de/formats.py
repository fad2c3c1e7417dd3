"""Kontor's German formats (``FORMAT_MODULE_PATH``): one date and one time format everywhere, 24-hour clock.

What is not set here (input formats, separators, first day of the week) comes from Django's own ``de`` locale.
Money is formatted by ``core.money.format_money``, not here.
"""

DATE_FORMAT = "d.m.Y"  # 01.12.2026
TIME_FORMAT = "H:i"  # 09:46
DATETIME_FORMAT = "d.m.Y H:i"  # 01.12.2026 09:46
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
YEAR_MONTH_FORMAT = "F Y"  # Dezember 2026
MONTH_DAY_FORMAT = "d.m."
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
