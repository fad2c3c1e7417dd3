"""The catalog pages: browse and filter (also as htmx fragments), an item, the price list, and quotes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Quote, QuoteLine
from tenants.choices import Role
from tests.catalog.conftest import NOW
from tests.catalog.factories import CatalogItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(now, flavors, items, launch_prices):
    return items


def item_names(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/catalog/[^"]+/">([^<]+)</a></h3>', html)


def test_the_catalog_is_public_and_lists_every_published_item(catalog, client):
    response = client.get("/catalog/")

    assert response.status_code == 200
    html = response.content.decode()
    assert item_names(html) == [
        "Cosmos Transfer2.5 2B",
        "Isaac Sim",
        "NeMo Framework",
        "NIM Llama 3.1 8B Instruct",
        "PyTorch",
    ]
    assert "5 items" in html
    assert '<a href="/catalog/" aria-current="page">Catalog</a>' in html  # marked as the current page
    assert '<a href="/prices/">Prices</a>' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("use_case=robotics", ["Cosmos Transfer2.5 2B", "Isaac Sim"]),
        ("license=nvaie&gpu_model=rtx-pro-6000", ["NIM Llama 3.1 8B Instruct"]),
        ("q=isaac", ["Isaac Sim"]),
        ("use_case=not-a-use-case&q=torch", ["PyTorch"]),  # a stale filter value is ignored
    ],
)
def test_the_catalog_filters_with_a_plain_get_form(catalog, client, query, expected):
    assert item_names(client.get(f"/catalog/?{query}").content.decode()) == expected


def test_htmx_gets_only_the_results(catalog, client):
    response = client.get("/catalog/?use_case=speech", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="catalog-results"')
    assert "<html" not in html
    assert "Nothing matches these filters." in html
    assert "HX-Request" in response["Vary"]


def test_an_htmx_history_restore_gets_the_whole_page(catalog, client):
    response = client.get("/catalog/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")

    assert "<html" in response.content.decode()


def test_the_catalog_page_runs_a_constant_number_of_queries(catalog, client):
    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/catalog/").status_code == 200
        return len(queries)

    few = measure()
    for _ in range(20):
        CatalogItemFactory.create()
    assert measure() == few


def test_an_item_page_shows_versions_compatible_flavors_with_prices_and_why_not(catalog, client):
    html = client.get("/catalog/nemo/").content.decode()

    assert "<h1>NeMo Framework</h1>" in html
    assert "nvcr.io/nvidia/nemo:25.09" in html
    compatible = re.search(r'<table class="table" id="compatible-flavors">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'data-flavor="([^"]+)"', compatible) == ["b200-x8-metal"]
    # Compute plus the NVIDIA AI Enterprise add-on, per GPU-hour.
    assert re.findall(r'<td class="num">([^<]+)</td>', compatible) == ["€7.38", "€5.50", "€4.20"]
    incompatible = re.search(r'<ul class="incompatible" id="incompatible-flavors">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r'data-flavor="([^"]+)"', incompatible) == [
        "b200-x1",
        "b200-x2",
        "b200-x4",
        "rtx-pro-x1",
        "rtx-pro-x2",
        "rtx-pro-x4",
        "rtx-pro-x8",
    ]
    assert "It needs GPUs connected by NVLink; the RTX PRO server (8 GPUs) has no NVLink." in incompatible
    assert "Sign in to get a quote for your organization." in html


def test_versions_are_shown_newest_first(catalog, client):
    html = client.get("/catalog/pytorch/").content.decode()

    versions = re.search(r'<table class="table" id="versions">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r"<tr>\s*<td><code>([^<]+)</code>", versions) == ["24.12-py3", "24.11-py3", "24.10-py3"]


def test_an_unknown_item_page_is_a_404(catalog, client):
    assert client.get("/catalog/no-such-item/").status_code == 404


def test_the_public_price_list(catalog, client):
    html = client.get("/prices/").content.decode()

    assert "Price list: 2026 launch prices." in html
    rows = re.findall(r'<tr data-flavor="([^"]+)">(.*?)</tr>', html, re.S)
    assert [slug for slug, _ in rows] == [
        "b200-x1",
        "b200-x2",
        "b200-x4",
        "b200-x8-metal",
        "rtx-pro-x1",
        "rtx-pro-x2",
        "rtx-pro-x4",
        "rtx-pro-x8",
    ]
    assert re.findall(r'<td class="num">([^<]+)</td>', rows[3][1]) == ["€6.50", "€5.50", "€4.20"]
    licenses = re.search(r'<table class="table" id="license-prices">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]+)</td>', licenses) == ["€0.88", "€0.00", "€0.00"]


def test_the_price_list_speaks_german_money(catalog, client):
    html = client.get("/prices/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "6,50\u00a0€" in html


def test_a_member_sees_a_quote_form_with_compatible_flavors_only(catalog, client, member):
    client.force_login(member)

    html = client.get("/catalog/nemo/").content.decode()

    form = re.search(r'<form method="post" action="/catalog/nemo/quote/"(.*?)</form>', html, re.S).group(1)
    flavor_select = re.search(r'<select name="flavor"(.*?)</select>', form, re.S).group(1)
    assert re.findall(r'<option value="([^"]+)"', flavor_select) == ["b200-x8-metal"]
    org_select = re.search(r'<select name="organization"(.*?)</select>', form, re.S).group(1)
    assert re.findall(r'<option value="([^"]+)"', org_select) == ["rheinwerk"]
    assert 'value="2026-11-25T12:00"' in form  # the next full hour in Munich


def quote_post(client, **changes):
    data = {
        "organization": "rheinwerk",
        "version": "25.09",
        "flavor": "b200-x8-metal",
        "instance_count": "1",
        "commitment": "on_demand",
        "starts_at": "2026-11-25T12:00",
        "duration": "7",
        "duration_unit": "days",
        **changes,
    }
    return client.post("/catalog/nemo/quote/", data)


def test_a_member_requests_a_quote_and_sees_lines_net_vat_and_gross(catalog, client, member, organization):
    client.force_login(member)

    response = quote_post(client)

    quote = Quote.objects.for_organization(organization).get()
    assert response.status_code == 302
    assert response.url == f"/orgs/rheinwerk/quotes/{quote.pk}/"
    assert (quote.starts_at, quote.ends_at) == (NOW + timedelta(hours=1), NOW + timedelta(hours=1, days=7))
    html = client.get(response.url).content.decode()
    assert re.findall(r'<tr data-kind="(\w+)"><td>([^<]+)</td>', html) == [
        ("compute", "B200 ×8 bare metal, On demand: 1 × 8 GPUs × 168 h"),
        ("license", "NVIDIA AI Enterprise license, per GPU-hour"),
    ]
    assert '<td class="num" id="quote-net">€9,918.72</td>' in html
    assert '<td class="num" id="quote-vat">€1,884.56</td>' in html
    assert '<td class="num" id="quote-gross">€11,803.28</td>' in html
    assert "VAT 19 % (Standard rate)" in html
    assert 'id="quote-status">Open</span>' in html


def test_a_bad_window_in_the_form_shows_the_reason_and_stores_nothing(catalog, client, member):
    client.force_login(member)

    response = quote_post(client, duration="20", commitment="reserved_1m")

    assert response.status_code == 200
    assert "Reserved, 1 month needs a window of at least 30 days (720 hours)." in response.content.decode()
    assert (Quote.objects.unscoped().count(), QuoteLine.objects.unscoped().count()) == (0, 0)


def test_the_form_never_accepts_an_incompatible_flavor(catalog, client, member):
    client.force_login(member)

    response = quote_post(client, flavor="b200-x4")

    assert response.status_code == 200
    assert "Select a valid choice. b200-x4 is not one of the available choices." in response.content.decode()
    assert Quote.objects.unscoped().count() == 0


def test_the_form_only_quotes_for_the_users_organizations(catalog, client, member, other_organization):
    client.force_login(member)

    response = quote_post(client, organization="delft")

    assert response.status_code == 200
    assert Quote.objects.unscoped().count() == 0


def test_quoting_requires_sign_in(catalog, client):
    response = quote_post(client)

    assert (response.status_code, response.url) == (302, "/accounts/login/?next=/catalog/nemo/quote/")


def test_another_organizations_quote_page_is_a_404(catalog, client, member, other_organization, member_of):
    client.force_login(member)
    quote_post(client)
    quote = Quote.objects.unscoped().get()

    client.force_login(member_of(other_organization, Role.OWNER))

    assert client.get(f"/orgs/rheinwerk/quotes/{quote.pk}/").status_code == 404
    assert client.get(f"/orgs/delft/quotes/{quote.pk}/").status_code == 404
