"""Every portal page with dates and money shows them in one format per language: no 12-hour clock, no "EUR" after a
number, no US or Django-default dates — in German and in English (portal/formats, core.money.format_money)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing.budgets.services import budget_set
from tenants.choices import Role
from tenants.models import Membership
from tenants.permissions import Scope
from tenants.services import api_key_create
from tests.billing.invoice_files import finalized, seller_bank
from tests.billing.usage import ACTOR, reservation, usage

pytestmark = pytest.mark.django_db
__all__ = ["reservation", "seller_bank"]

MONTHS_DE = "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
FORBIDDEN = {
    "a 12-hour clock": r"\b[ap]\.\s?m\.",
    "EUR after a number": r"\d\s?EUR\b",
    "a US date": r"\b\d{1,2}/\d{1,2}/\d{4}\b",
    "Django's English date": r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\. \d",
    "Django's German date": rf"\b\d{{1,2}}\. ({MONTHS_DE}) \d{{4}}",
    "an ISO date and time in text": r">[^<]*\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}",
    "money without grouping": r"\d{4}[.,]\d\d\s?€|€\d{4}",
}


@pytest.fixture
def pages(reservation, customer, make_quote, seller_bank):
    """The pages of an organization with a reservation, a quote, an invoice, a budget and an API key."""
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    invoice = finalized(customer)
    quote = make_quote(flavor="b200-x8-metal", count=2)
    budget_set(actor=ACTOR, organization=customer, monthly_limit=Decimal("4200.80"), hard_cap=False)
    owner = Membership.objects.for_organization(customer).get(role=Role.OWNER).user
    api_key_create(actor=ACTOR, organization=customer, name="CI", scopes=[str(Scope.RESERVATIONS_READ)])
    org = f"/orgs/{customer.slug}"
    return (
        owner,
        invoice,
        [
            "/dashboard/",
            f"{org}/reservations/",
            f"{org}/reservations/{reservation.pk}/",
            f"{org}/quotes/{quote.pk}/",
            f"{org}/invoices/",
            f"{org}/spend/",
            f"{org}/api-keys/",
            f"{org}/members/",
            f"{org}/audit/",
        ],
    )


@pytest.mark.parametrize(
    ("language", "budget", "gross", "zone"),
    [
        ("en", "€4,200.80", '<td class="num">€1.19</td>', "<dd>Munich 1a</dd>"),
        ("de", "4.200,80\u00a0€", '<td class="num">1,19\u00a0€</td>', "<dd>München 1a</dd>"),
    ],
)
def test_portal_pages_use_one_date_time_and_money_format(client, pages, language, budget, gross, zone):
    owner, _invoice, urls = pages
    client.force_login(owner)

    found = {}
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert (url, response.status_code, response["Content-Language"]) == (url, 200, language)
        html = response.content.decode()
        found[url] = html
        for what, pattern in FORBIDDEN.items():
            assert re.findall(pattern, html) == [], f"{url} shows {what} in {language}"

    assert f'id="spend-budget">{budget}' in found[urls[5]]
    assert gross in found[urls[4]]
    assert zone in found[urls[2]]  # the catalog's zone names are translated too
