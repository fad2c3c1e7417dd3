"""One date, time and money format per language (portal/formats, core.money.format_money, the ``eur`` filter)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from catalog.models.hardware import place_display_name
from core.datetimes import format_datetime
from core.money import format_money

MOMENT = datetime(2026, 12, 1, 8, 46, tzinfo=UTC)  # 09:46 in Berlin (CET)
SUMMER = datetime(2026, 7, 1, 7, 5, tzinfo=UTC)  # 09:05 in Berlin (CEST)

DATES = Template(
    "{{ at|date:'DATETIME_FORMAT' }}|{{ at|date:'SHORT_DATETIME_FORMAT' }}|{{ at|date:'DATE_FORMAT' }}|"
    "{{ at|date:'SHORT_DATE_FORMAT' }}|{{ at|time:'TIME_FORMAT' }}|{{ at }}|{{ day }}"
)
MONEY = Template("{% load money %}{{ amount|eur }}")


def render(template: Template, language: str, **context: object) -> str:
    with translation.override(language):
        return template.render(Context(context))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "01.12.2026 09:46|01.12.2026 09:46|01.12.2026|01.12.2026|09:46|01.12.2026 09:46|05.03.2026"),
        ("en", "1 Dec 2026, 09:46|1 Dec 2026, 09:46|1 Dec 2026|1 Dec 2026|09:46|1 Dec 2026, 09:46|5 Mar 2026"),
    ],
)
def test_dates_and_times_have_one_format_per_language_in_berlin_time(language, expected):
    assert render(DATES, language, at=MOMENT, day=date(2026, 3, 5)) == expected


def test_summer_time_is_berlin_time_and_the_clock_has_24_hours():
    assert render(Template("{{ at }}"), "en", at=SUMMER) == "1 Jul 2026, 09:05"
    assert render(Template("{{ at }}"), "en", at=datetime(2026, 7, 1, 20, 5, tzinfo=UTC)) == "1 Jul 2026, 22:05"
    assert render(Template("{{ at }}"), "de", at=datetime(2026, 7, 1, 20, 5, tzinfo=UTC)) == "01.07.2026 22:05"


@pytest.mark.parametrize(
    ("amount", "german", "english"),
    [
        (Decimal("4200.80"), "4.200,80\u00a0€", "€4,200.80"),
        (Decimal("-4200.80"), "-4.200,80\u00a0€", "-€4,200.80"),
        (Decimal("0"), "0,00\u00a0€", "€0.00"),
        (Decimal("-0.00"), "0,00\u00a0€", "€0.00"),
        (Decimal("33723.65"), "33.723,65\u00a0€", "€33,723.65"),
        (Decimal("1234567.5"), "1.234.567,50\u00a0€", "€1,234,567.50"),
        (Decimal("6.9000"), "6,90\u00a0€", "€6.90"),
        (Decimal("1.2345"), "1,2345\u00a0€", "€1.2345"),  # a unit price keeps its four decimals
        (Decimal("0.005"), "0,005\u00a0€", "€0.005"),
        (500, "500,00\u00a0€", "€500.00"),
    ],
)
def test_money_has_one_format_per_language(amount, german, english):
    assert render(MONEY, "de", amount=amount) == german
    assert render(MONEY, "en", amount=amount) == english
    with translation.override("de"):
        assert format_money(amount) == german
    with translation.override("en"):
        assert format_money(amount) == english


def test_no_amount_is_a_dash():
    assert render(MONEY, "en", amount=None) == "—"


def test_sentences_built_in_python_use_the_same_format():
    with translation.override("de"):
        assert format_datetime(MOMENT) == "01.12.2026 09:46"
    with translation.override("en"):
        assert format_datetime(MOMENT) == "1 Dec 2026, 09:46"


def test_catalog_places_show_the_city_in_the_page_language():
    with translation.override("de"):
        assert [place_display_name(name) for name in ("Munich 1a", "Munich", "Nuremberg 2", "Springfield 1")] == [
            "München 1a",
            "München",
            "Nürnberg 2",
            "Springfield 1",
        ]
    with translation.override("en"):
        assert place_display_name("Munich 1a") == "Munich 1a"
