"""The public pages, sign-in, the API documentation, the language switch and the operator console in Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import PASSWORD, PageMonitor

if TYPE_CHECKING:
    from tenants.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_renders_from_our_own_origin_only(live_server: LiveServer, page: Page, monitor: PageMonitor) -> None:
    page.goto(f"{live_server.url}/")

    expect(page).to_have_title(re.compile("Kontor"))
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("select#language-select")).to_have_count(1)
    monitor.assert_clean()
    # The page loaded its stylesheet and scripts, and all of them from the live server.
    assert any(url.endswith("/static/portal/kontor.css") for url in monitor.requests)
    assert any(url.endswith("/static/portal/kontor.js") for url in monitor.requests)


def test_login_with_email_and_password_lands_on_the_dashboard(
    live_server: LiveServer, customer: User, page: Page, monitor: PageMonitor
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    email = page.locator("input[name=login]")
    password = page.locator("input[name=password]")
    expect(email).to_be_visible()
    expect(email).to_have_attribute("type", "email")
    expect(password).to_be_visible()
    expect(password).to_have_attribute("type", "password")

    email.fill("owner@example.de")
    password.fill(PASSWORD)
    with page.expect_navigation(url=f"{live_server.url}/dashboard/"):
        password.press("Enter")

    expect(page.locator("main")).to_contain_text("Rheinwerk Robotics GmbH")
    monitor.assert_clean()


def test_swagger_ui_renders(live_server: LiveServer, page: Page, monitor: PageMonitor) -> None:
    page.goto(f"{live_server.url}/api/v1/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Kontor API")
    monitor.assert_clean()


def test_redoc_renders(live_server: LiveServer, page: Page, monitor: PageMonitor) -> None:
    page.goto(f"{live_server.url}/api/v1/redoc/")

    # Redoc parses the whole schema (84 operations, every error response) in the page before it draws anything.
    expect(page.locator(".api-info h1")).to_contain_text("Kontor API", timeout=45_000)
    monitor.assert_clean()
    assert monitor.blocked_by_csp == []


def test_language_switcher_switches_to_german(live_server: LiveServer, page: Page, monitor: PageMonitor) -> None:
    page.goto(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    with page.expect_navigation(url=f"{live_server.url}/"):
        page.locator("#language-select").select_option(label="Deutsch")

    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#language-select")).to_have_value("de")
    monitor.assert_clean()


def test_customer_is_kept_out_of_the_operator_console(
    live_server: LiveServer, customer: User, login_as: Callable[[User], None], page: Page, monitor: PageMonitor
) -> None:
    login_as(customer)

    page.goto(f"{live_server.url}/ops/")

    assert page.url == f"{live_server.url}/dashboard/"
    expect(page.locator("h1")).to_contain_text("Welcome")
    expect(page.locator("#nav-sidebar")).to_have_count(0)
    expect(page.locator(".app-tenants")).to_have_count(0)
    expect(page.get_by_text("Operator console")).to_have_count(0)
    monitor.assert_clean()
