"""Browser-test harness: Debian's Chromium driven by Playwright against pytest-django's live server.

Every test gets a ``page`` watched by a :class:`PageMonitor`, which records every request the page makes (documents,
static assets, fetches, workers), every console error, every uncaught exception and every Content-Security-Policy
violation. ``monitor.assert_clean()`` fails the test if the page asked any host but the live server for anything, or
if anything went wrong in the console. Each test calls it at its end, and the fixture checks again at teardown (after
a passing test), so nothing that arrives late slips through.

No internet here: Chromium is Debian's (/usr/bin/chromium); never ``playwright install``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    Request,
    expect,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

if TYPE_CHECKING:
    from tenants.models import User

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)

PASSWORD = "a-long-password-123"

# Reports every CSP violation as a console error, so the console check catches each one with the directive it broke
# (Chromium's own "Refused to ..." / "violates the following Content Security Policy" messages arrive as well).
CSP_VIOLATION_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(
    "CSP violation: " + event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
    " at " + event.sourceFile + ":" + event.lineNumber
  );
});
"""

_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


def _host(url: str) -> str | None:
    """The host a URL reaches; a blob: URL belongs to the origin it names (``blob:http://localhost:1234/uuid``)."""
    parts = urlsplit(url)
    if parts.scheme == "blob":
        parts = urlsplit(parts.path)
    return parts.hostname


@dataclass
class PageMonitor:
    """What one page did: its requests, console errors, uncaught exceptions and failed requests."""

    page: Page
    origin: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    blocked_by_csp: list[str] = field(default_factory=list)

    @property
    def allowed_host(self) -> str | None:
        return _host(self.origin)

    def attach(self) -> None:
        self.page.on("request", self._on_request)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", self._on_page_error)
        self.page.on("requestfailed", self._on_request_failed)

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        location = message.location
        text = f"{message.text} ({location.get('url')}:{location.get('lineNumber')})"
        self.console_errors.append(text)

    def _on_page_error(self, error: Error) -> None:
        self.page_errors.append(f"{error.name}: {error.message}")

    def _on_request_failed(self, request: Request) -> None:
        failure = request.failure or ""
        if failure == "csp":
            self.blocked_by_csp.append(request.url)
        # A navigation cancels the requests of the page it leaves; that is not a failure of the page.
        elif failure != "net::ERR_ABORTED":
            self.failed_requests.append(f"{request.url}: {failure}")

    def foreign_requests(self) -> list[str]:
        """Every request that was not for the live server (a data: URL has no host and counts as foreign)."""
        return [url for url in self.requests if _host(url) != self.allowed_host]

    def assert_clean(self) -> None:
        """Let the page settle, then fail on any foreign request, console error, page error or failed request."""
        self.page.wait_for_load_state("networkidle")
        assert self.requests, "the monitor saw no request at all"
        problems = {
            f"requests to hosts other than {self.allowed_host}": self.foreign_requests(),
            "console errors (CSP violations show up here)": self.console_errors,
            "uncaught exceptions": self.page_errors,
            "failed requests": self.failed_requests,
            "requests blocked by the CSP": self.blocked_by_csp,
        }
        report = "\n".join(
            f"{title}:\n" + "\n".join(f"  - {item}" for item in items) for title, items in problems.items() if items
        )
        assert not report, f"the page at {self.page.url} misbehaved:\n{report}"


@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[Playwright]:
    """Playwright, for the browser tests only.

    Its sync API keeps an asyncio loop running in the test thread for as long as it is started, and Django then refuses
    ORM calls (SynchronousOnlyOperation) from fixtures and from the transactional flush. DJANGO_ALLOW_ASYNC_UNSAFE
    allows them, so it is set exactly while Playwright runs: package scope stops both when the last browser test is
    done, and the tests after them (and the subprocesses they start, such as ``manage.py check --deploy``, which warns
    about that variable) see neither.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Berlin")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    context.add_init_script(CSP_VIOLATION_REPORTER)
    yield context
    context.close()


@pytest.fixture
def monitor(request: pytest.FixtureRequest, context: BrowserContext, live_server: LiveServer) -> Iterator[PageMonitor]:
    """A fresh page on the live server, watched for foreign requests and console errors; checked at teardown too."""
    page = context.new_page()
    page_monitor = PageMonitor(page=page, origin=live_server.url)
    page_monitor.attach()
    yield page_monitor
    if request.node.stash.get(_CALL_FAILED, True) is False:
        page_monitor.assert_clean()


@pytest.fixture
def page(monitor: PageMonitor) -> Page:
    return monitor.page


@pytest.fixture
def customer(transactional_db: None) -> User:
    """A verified customer (not staff) who owns one organization."""
    from allauth.account.models import EmailAddress

    from tenants.audit import Actor
    from tenants.models import User
    from tenants.services import organization_create

    user = User.objects.create_user("owner@example.de", PASSWORD, full_name="Jonas Owner")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    organization_create(actor=Actor.system(), legal_name="Rheinwerk Robotics GmbH", country="DE", owner=user)
    return user


@pytest.fixture
def login_as(context: BrowserContext, live_server: LiveServer) -> Callable[[User], None]:
    """Sign a user in by handing the browser a session made on the server side (no login form round trip)."""
    from django.conf import settings
    from django.test import Client

    def login(user: User) -> None:
        client = Client()
        client.force_login(user)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                    "httpOnly": True,
                    "sameSite": "Lax",
                }
            ]
        )

    return login


@pytest.fixture(autouse=True)
def _site_url_is_the_live_server(settings: Any, live_server: LiveServer) -> None:
    """E-mail links are built from the site URL: in browser tests that is the live server."""
    settings.SITE_URL = live_server.url
