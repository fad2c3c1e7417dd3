"""Every list of the operator console fits a 1366 by 768 screen: no table wider than the window, no sideways scroll.

One page load per registered model, with the demo data plus a reservation, a failed instance (a long error), usage,
an invoice and quotas (``tests.support.console_world``), so the lists have rows with real, long content."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from django.contrib import admin
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import CSP_VIOLATION_REPORTER, TIMEOUT_MS, PageMonitor
from tests.browser.test_onboarding import operator_session

if TYPE_CHECKING:
    from tenants.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEASURE = """() => {
  const table = document.querySelector("#result_list");
  const box = table ? table.getBoundingClientRect() : null;
  return {
    page: document.documentElement.scrollWidth,
    window: window.innerWidth,
    tableRight: box ? Math.ceil(box.right) : null,
    tableWidth: table ? table.scrollWidth : null,
    room: table ? table.parentElement.clientWidth : null,
    rows: table ? table.tBodies[0].rows.length : 0,
  };
}"""


@pytest.fixture
def wide_screen(browser: Browser, live_server: LiveServer) -> Iterator[tuple[BrowserContext, PageMonitor]]:
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Berlin", viewport={"width": 1366, "height": 768})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(CSP_VIOLATION_REPORTER)
    monitor = PageMonitor(page=context.new_page(), origin=live_server.url)
    monitor.attach()
    yield context, monitor
    context.close()


def test_every_console_list_fits_a_1366_pixel_screen(
    wide_screen: tuple[BrowserContext, PageMonitor], live_server: LiveServer, operator: User
) -> None:
    from tests.support.console_world import console_world

    console_world()
    context, monitor = wide_screen
    operator_session(context, live_server, operator)
    page = monitor.page

    too_wide = {}
    with_rows = []
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        page.goto(f"{live_server.url}{url}")
        size = page.evaluate(MEASURE)
        if size["rows"]:
            with_rows.append(model._meta.label)
        if size["page"] > size["window"] or (
            size["tableRight"] is not None
            and (size["tableRight"] > size["window"] or size["tableWidth"] > size["room"])
        ):
            too_wide[url] = size
    # What ``assert_clean`` checks, without its wait for network idle after the last page (each page above was
    # measured after its load event; a busy machine can keep the last one's static files in flight for long).
    assert monitor.requests
    assert monitor.foreign_requests() == []
    assert (monitor.console_errors, monitor.page_errors, monitor.failed_requests, monitor.blocked_by_csp) == (
        [],
        [],
        [],
        [],
    )
    assert too_wide == {}
    # The business lists all had rows, so their columns were measured with content in them.
    for label in ("catalog.PriceList", "provisioning.Instance", "reservations.Reservation", "billing.Invoice"):
        assert label in with_rows
    assert len(with_rows) >= 25, with_rows
