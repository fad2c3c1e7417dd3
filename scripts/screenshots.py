"""Screenshots for the README: the operator dashboard, an organization's approval review and a customer's spend page,
in German and English, taken from a running Kontor with the demo data.

    make run                                   # in another shell: migrate, seed_demo, serve on :8000 (DJANGO_DEBUG)
    .venv/bin/python scripts/screenshots.py    # or: scripts/screenshots.py http://127.0.0.1:8000 --out docs/screenshots

It signs in as the demo operator (``operator@kontor.example``, second factor with the demo code ``000000``, which only
a DEBUG server accepts) and the demo owner (``owner@example.de``), in Debian's Chromium at 1366 x 900, and writes
``ops-dashboard-{de,en}.png``, ``ops-approval-review-{de,en}.png`` and ``portal-spend-{de,en}.png``. A page that is
missing or refuses (no pending organization, a page not built yet, the server not in DEBUG) stops it with a message
that says which and why; then nothing is written.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"]
VIEWPORT: ViewportSize = {"width": 1366, "height": 900}
LANGUAGES = ("de", "en")
OPERATOR = "operator@kontor.example"
OWNER = "owner@example.de"
DEMO_PASSWORD = "kontor-demo-2026"  # the documented demo password (seed_demo)
DEMO_MFA_CODE = "000000"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
TIMEOUT_MS = 20_000


class ScreenshotError(Exception):
    """A page could not be opened as the screenshot needs it; the message says which and why."""


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    what: str


def open_page(page: Page, base: str, path: str, what: str, *, signed_in: bool = True, exact: bool = True) -> None:
    response = page.goto(f"{base}{path}", wait_until="networkidle")
    if response is None or response.status != 200:
        status = response.status if response is not None else "no answer"
        raise ScreenshotError(f"{what}: {base}{path} answered {status}; is that page built and the demo data seeded?")
    if exact and urlsplit(page.url).path != urlsplit(path).path:
        if "/accounts/login/" in page.url or "/accounts/2fa/" in page.url:
            raise ScreenshotError(f"{what}: {base}{path} sent the browser to sign in ({page.url}); the session is gone")
        raise ScreenshotError(f"{what}: {base}{path} redirected to {page.url}; is that page built (issue 15)?")
    if signed_in and ("/accounts/login/" in page.url or "/accounts/2fa/" in page.url):
        raise ScreenshotError(f"{what}: {base}{path} sent the browser to sign in ({page.url}); the session is gone")


def sign_in(page: Page, base: str, email: str, *, second_factor: bool) -> None:
    open_page(page, base, "/accounts/login/", "the sign-in page", signed_in=False)
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    if "/accounts/login/" in page.url:
        raise ScreenshotError(f"signing in as {email} failed: has `seed_demo` run on this database?")
    if second_factor:
        if "/accounts/2fa/authenticate/" not in page.url:
            raise ScreenshotError(f"{email}: expected the second-factor step after the password, got {page.url}")
        page.locator("input[name=code]").fill(DEMO_MFA_CODE)
        with page.expect_navigation():
            page.locator("input[name=code]").press("Enter")
        if "/accounts/2fa/" in page.url:
            raise ScreenshotError(
                f"the demo code {DEMO_MFA_CODE} was refused: start the server with DJANGO_DEBUG=1 and "
                f"KONTOR_DEMO_MFA_CODE={DEMO_MFA_CODE} (`make run` does)"
            )


def switch_language(page: Page, base: str, language: str) -> None:
    """Use the portal's language switcher (it also remembers the choice for a signed-in user)."""
    open_page(page, base, "/", "the home page", exact=False)
    select = page.locator("#language-select")
    if select.input_value() != language:
        with page.expect_navigation():
            select.select_option(language)
    lang = page.locator("html").get_attribute("lang")
    if lang != language:
        raise ScreenshotError(f"switching the language to {language} left the page in {lang}")


def pending_review_path(page: Page, base: str) -> str:
    """The approval review page of the oldest organization waiting for approval (seed_demo makes one)."""
    open_page(page, base, "/ops/tenants/organization/?status__exact=pending_approval&o=1", "the organizations list")
    links = page.locator("#result_list tbody tr th a, #result_list tbody tr td a[href*='/change/']")
    hrefs = [href for href in links.evaluate_all("links => links.map((link) => link.getAttribute('href'))") if href]
    match = next((m for href in hrefs if (m := re.search(r"/ops/tenants/organization/(\d+)/", href))), None)
    if match is None:
        raise ScreenshotError("no organization is waiting for approval: seed_demo should make one (issue 15, part 5)")
    return f"/ops/tenants/organization/{match.group(1)}/review/"


def customer_spend_path(page: Page, base: str, organization: str | None) -> str:
    """The spend page of ``organization`` (a slug), or of the organization the dashboard opens on."""
    if organization:
        return f"/orgs/{organization}/spend/"
    open_page(page, base, "/dashboard/", "the customer dashboard")
    spend = page.locator("a[href$='/spend/']").first
    if spend.count() == 0:
        raise ScreenshotError("the customer dashboard has no link to a spend page (navigation, issue 15 part 4)")
    href = spend.get_attribute("href") or ""
    if not re.fullmatch(r"/orgs/[\w-]+/spend/", href):
        raise ScreenshotError(f"unexpected spend link {href!r}")
    return href


def take(page: Page, base: str, shot: Shot, language: str, *, full_page: bool) -> tuple[str, bytes]:
    open_page(page, base, shot.path, shot.what)
    return f"{shot.name}-{language}.png", page.screenshot(full_page=full_page)


def new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/Berlin")
    context.set_default_timeout(TIMEOUT_MS)
    return context


def run(base: str, out: Path, *, full_page: bool, organization: str | None = None) -> list[Path]:
    taken: list[tuple[str, bytes]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            operator = new_context(browser).new_page()
            sign_in(operator, base, OPERATOR, second_factor=True)
            customer = new_context(browser).new_page()
            sign_in(customer, base, OWNER, second_factor=False)
            shots = [
                (operator, Shot("ops-dashboard", "/ops/", "the operator dashboard")),
                (operator, Shot("ops-approval-review", pending_review_path(operator, base), "the approval review")),
                (customer, Shot("portal-spend", customer_spend_path(customer, base, organization), "the spend page")),
            ]
            for language in LANGUAGES:
                for page in {id(page): page for page, _shot in shots}.values():
                    switch_language(page, base, language)
                for page, shot in shots:
                    taken.append(take(page, base, shot, language, full_page=full_page))
        finally:
            browser.close()
    # Written only once every page opened: a failed run leaves the previous screenshots as they were.
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, png in taken:
        (out / name).write_bytes(png)
        written.append(out / name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "url", nargs="?", default="http://127.0.0.1:8000", help="a running Kontor (default: %(default)s)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the PNGs (default: %(default)s)")
    parser.add_argument("--full-page", action="store_true", help="the whole page, not only the first 900 px")
    parser.add_argument(
        "--organization",
        default="rheinwerk-robotics-gmbh",
        help="whose spend page (a slug; default: the demo organization with a budget, %(default)s; '' for the "
        "organization the dashboard opens on)",
    )
    args = parser.parse_args(argv)
    try:
        written = run(args.url.rstrip("/"), args.out, full_page=args.full_page, organization=args.organization or None)
    except ScreenshotError as exc:
        print(f"screenshots: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
