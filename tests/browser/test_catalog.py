"""The catalog in Chromium: live filtering with htmx, an item's flavors and prices, the price list, and a quote."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import PageMonitor

if TYPE_CHECKING:
    from tenants.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seeded_catalog(transactional_db: None) -> None:
    from catalog.seeding import catalog_seed
    from tenants.audit import Actor

    catalog_seed(actor=Actor.system("browser-tests"))


def test_the_catalog_filters_live_as_you_type_and_choose(
    live_server: LiveServer, seeded_catalog: None, page: Page, monitor: PageMonitor
) -> None:
    page.goto(f"{live_server.url}/catalog/")
    results = page.locator("#catalog-results")
    expect(results.locator(".result-count")).to_have_text("15 items")
    expect(page.get_by_role("link", name="Catalog", exact=True)).to_be_visible()

    page.get_by_label("Search").fill("isaac")

    expect(results.locator("h3")).to_have_text(["Isaac Sim"])
    expect(page).to_have_url(re.compile(r"/catalog/\?q=isaac"))

    page.get_by_label("Search").fill("")
    page.get_by_label("Use case").select_option(label="Life sciences")

    expect(results.locator("h3")).to_have_text(["BioNeMo Framework"])
    page.get_by_label("Use case").select_option(label="All use cases")
    page.get_by_label("GPU model").select_option(label="NVIDIA RTX PRO 6000 Blackwell Server Edition")
    page.get_by_label("License").select_option(label="NVIDIA AI Enterprise")

    expect(results.locator("h3")).to_have_text(
        ["Cosmos Embed1", "Cosmos Reason2 8B", "NIM Llama 3.1 8B Instruct", "Riva Speech"]
    )
    monitor.assert_clean()


def test_an_item_shows_the_flavors_that_can_run_it_and_why_the_others_cannot(
    live_server: LiveServer, seeded_catalog: None, page: Page, monitor: PageMonitor
) -> None:
    page.goto(f"{live_server.url}/catalog/")
    page.get_by_role("link", name="Isaac Sim").click()

    expect(page.locator("h1")).to_have_text("Isaac Sim")
    expect(page.locator("#versions tbody tr").first).to_contain_text("5.1.0")
    expect(page.locator("#compatible-flavors tbody tr")).to_have_count(4)
    expect(page.locator('#compatible-flavors tr[data-flavor="rtx-pro-x1"]')).to_contain_text("€1.80")
    expect(page.locator('#incompatible-flavors li[data-flavor="b200-x8-metal"]')).to_contain_text(
        "It needs GPUs with ray-tracing cores; the NVIDIA B200 has none."
    )
    expect(page.get_by_role("link", name="Sign in to get a quote for your organization.")).to_be_visible()
    monitor.assert_clean()


def test_the_public_price_list(live_server: LiveServer, seeded_catalog: None, page: Page, monitor: PageMonitor) -> None:
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Prices", exact=True).click()

    expect(page.locator("h1")).to_have_text("Prices")
    expect(page.locator('#compute-prices tr[data-flavor="b200-x8-metal"]')).to_contain_text("€6.50")
    expect(page.locator('#compute-prices tr[data-flavor="b200-x1"] td.num')).to_have_text(["€6.90", "€5.90", "€4.50"])
    expect(page.locator("#license-prices")).to_contain_text("NVIDIA AI Enterprise")
    monitor.assert_clean()


def test_a_customer_gets_a_quote_with_lines_net_vat_and_gross(
    live_server: LiveServer,
    seeded_catalog: None,
    customer: User,
    login_as: Callable[[User], None],
    page: Page,
    monitor: PageMonitor,
) -> None:
    login_as(customer)
    page.goto(f"{live_server.url}/catalog/nemo/")

    flavor = page.get_by_label("Flavor")
    expect(flavor.locator("option")).to_have_text(["B200 ×8 bare metal"])  # only what can run NeMo
    page.get_by_label("Length").fill("7")
    page.get_by_label("Unit").select_option("days")
    page.get_by_role("button", name="Calculate quote").click()

    expect(page).to_have_url(re.compile(r"/orgs/rheinwerk-robotics-gmbh/quotes/\d+/$"))
    expect(page.locator("#quote-lines tbody tr")).to_have_count(2)
    expect(page.locator('#quote-lines tr[data-kind="compute"]')).to_contain_text("1 × 8 GPUs × 168 h")
    expect(page.locator("#quote-net")).to_have_text("€9,918.72")
    expect(page.locator("#quote-vat")).to_have_text("€1,884.56")
    expect(page.locator("#quote-gross")).to_have_text("€11,803.28")
    expect(page.locator("#quote-status")).to_have_text("Open")
    monitor.assert_clean()


def test_a_refused_quote_shows_the_reason_on_the_form(
    live_server: LiveServer,
    seeded_catalog: None,
    customer: User,
    login_as: Callable[[User], None],
    page: Page,
    monitor: PageMonitor,
) -> None:
    login_as(customer)
    page.goto(f"{live_server.url}/catalog/nemo/")

    page.get_by_label("Commitment").select_option(label="Reserved, 12 months")
    page.get_by_label("Length").fill("30")
    page.get_by_label("Unit").select_option("days")
    page.get_by_role("button", name="Calculate quote").click()

    expect(page.locator(".quote-form .errorlist")).to_have_text(
        "Reserved, 12 months needs a window of at least 365 days (8760 hours)."
    )
    expect(page).to_have_url(f"{live_server.url}/catalog/nemo/quote/")
    monitor.assert_clean()
