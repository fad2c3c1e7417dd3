"""A refused submit in Chromium: the error summary at the top of the form takes the focus, and its link leads into
the field (portal/includes/form_errors.html, kontor.js)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import PageMonitor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_error_summary_is_focused_and_links_into_the_field(
    live_server: LiveServer, page: Page, monitor: PageMonitor
) -> None:
    page.goto(f"{live_server.url}/signup/")
    expect(page.get_by_label("VAT ID")).to_have_attribute("placeholder", "DE123456788")
    page.get_by_label("Legal name").fill("Rheinwerk Robotics GmbH")
    page.get_by_label("Street and number").fill("Werkstraße 1")
    page.get_by_label("Postal code").fill("50667")
    page.get_by_label("City").fill("Köln")
    page.get_by_label("VAT ID").fill("HE123")
    page.get_by_label("Billing e-mail").fill("invoices@rheinwerk.example")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    link = summary.get_by_role("link")
    expect(link).to_have_text(
        "VAT ID: HE123 is not a VAT ID. Enter the company's VAT identification number for DE, with or without its "
        "country prefix DE."
    )
    link.click()
    expect(page.get_by_label("VAT ID")).to_be_focused()
    expect(page.get_by_label("VAT ID")).to_have_attribute("aria-invalid", "true")
    monitor.assert_clean()
