"""Accessibility in Chromium: axe-core (WCAG 2.1 A/AA, serious and critical findings) on every portal page and every
operator console page, and the reservation page's status region, which announces changes without being replaced.

The pages are not listed by hand. The portal walk takes every route of the portal's URL namespaces (and allauth's
account pages), fills its URL arguments from the demo data (``seed_demo``, so the pages show what a newcomer sees),
and asks each URL once per user (anonymous, then the demo owner): an HTML page is checked with axe; a route that
answers 405 to GET is a form action, not a page. The console walk takes every model the admin site registers: its
list, one object's change page, its add page (when operators may add), and every custom admin view of the model.
One browser context per user keeps the walk fast.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from playwright.sync_api import APIResponse, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.axe import format_violations, serious_violations
from tests.browser.conftest import PageMonitor
from tests.browser.test_onboarding import operator_session

if TYPE_CHECKING:
    from reservations.models import Reservation
    from tenants.models import Organization

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The portal's page namespaces, and allauth's pages (named without a namespace) by their prefixes.
PORTAL_NAMESPACES = ("portal", "catalog", "identity")
ACCOUNT_PREFIXES = ("account_", "mfa_", "socialaccount_")

# Routes that are neither pages nor form actions, and why the walk does not open them.
NOT_PAGES = {
    "portal:invoice-file": "a PDF or XML download",
    "portal:reservation-instances": "the fragment the reservation page polls (checked inside that page)",
    "account_confirm_email": "needs a key from a confirmation e-mail (the page is checked by the onboarding test)",
    "account_reset_password_from_key": "needs a key from a password-reset e-mail",
    "mfa_download_recovery_codes": "a text file download",
}
# What the routes that are neither a page nor an action for any user of the walk answer them, and why.
ELSEWHERE = {
    "portal:signup-account": ("redirect", "to the first sign-up step: no company entered in this session"),
    "portal:signup-done": ("redirect", "to the first sign-up step: no sign-up in this session"),
    "account_signup": ("redirect", "allauth's own sign-up is closed: to the company sign-up"),
    "account_confirm_login_code": ("redirect", "no login code requested"),
    "account_set_password": ("redirect", "to changing the password: the owner has one"),
    "mfa_authenticate": ("redirect", "no sign-in in progress"),
    "mfa_reauthenticate": ("redirect", "recently signed in"),
    "mfa_generate_recovery_codes": ("redirect", "to two-factor set-up: the owner has none"),
    "mfa_activate_totp": ("redirect", "asks to sign in again first (that page is checked)"),
    "mfa_deactivate_totp": ("404", "the owner has no authenticator app"),
    "mfa_view_recovery_codes": ("404", "the owner has no recovery codes"),
    "socialaccount_signup": ("redirect", "no social sign-up in progress"),
    "socialaccount_login_error": ("401", "allauth's error page, shown only during a provider sign-in"),
}
# Not checked at all: machine endpoints that share the portal's namespaces.
MACHINE_ROUTES = {"account_inactive"}


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: tuple[str, ...]


def _routes(patterns: list[Any], namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
            for route in _routes(pattern.url_patterns, inner):
                yield Route(route.name, tuple(pattern.pattern.regex.groupindex) + route.kwargs)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield Route(name, tuple(pattern.pattern.regex.groupindex))


def portal_routes() -> list[Route]:
    """Every named web route of the portal's namespaces and allauth's account pages, each once."""
    found: dict[str, Route] = {}
    for route in _routes(get_resolver().url_patterns):
        namespace, _, name = route.name.rpartition(":")
        if namespace in PORTAL_NAMESPACES or (not namespace and name.startswith(ACCOUNT_PREFIXES)):
            found.setdefault(route.name, route)
    return [route for name, route in sorted(found.items()) if name not in MACHINE_ROUTES]


@dataclass
class Walk:
    """What one user's walk met: the pages axe checked and what it found, the actions and the redirects."""

    live_server: LiveServer
    page: Page
    checked: dict[str, str]
    violations: list[str]
    started: float

    def get(self, path: str) -> APIResponse:
        return self.page.context.request.get(f"{self.live_server.url}{path}", max_redirects=0)

    def check(self, label: str, path: str) -> None:
        """Open the page, wait for it to settle and run axe; serious findings are collected for one report."""
        response = self.page.goto(f"{self.live_server.url}{path}")
        assert response is not None
        assert response.status == 200, f"{label} ({path}) answered {response.status}"
        found = serious_violations(self.page)
        if found:
            self.violations.append(format_violations(f"{label} ({path})", found))
        self.checked[label] = path


def _is_page(response: APIResponse) -> bool:
    content_type = response.headers.get("content-type", "")
    return content_type.startswith("text/html") and b"<html" in response.body()


def _walk_portal(walk: Walk, samples: dict[str, Any], outcome: dict[str, str]) -> None:
    """Ask every portal route the current user may reach; check each HTML page not yet checked."""
    for route in portal_routes():
        if route.name in NOT_PAGES or outcome.get(route.name) in ("page", "action"):
            continue
        missing = [kwarg for kwarg in route.kwargs if kwarg not in samples]
        assert not missing, f"{route.name}: the walk has no sample for {missing}; add one to `portal_samples`"
        path = reverse(route.name, kwargs={kwarg: samples[kwarg] for kwarg in route.kwargs})
        response = walk.get(path)
        if response.status == 405:
            outcome[route.name] = "action"
        elif 300 <= response.status < 400:
            outcome[route.name] = "redirect"
        elif response.status == 200 and _is_page(response):
            walk.check(route.name, path)
            outcome[route.name] = "page"
        else:
            outcome[route.name] = str(response.status)


@pytest.fixture
def demo(transactional_db: None, settings: Any) -> dict[str, Any]:
    """The demo data (``seed_demo``), plus whatever a page needs that the demo does not hold yet: an open quote and a
    booked reservation, a webhook endpoint and a pending invitation of the owner's first organization."""
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from billing.models import Invoice
    from catalog.models import CatalogItem, Flavor, Quote
    from catalog.services import quote_create
    from reservations.models import Reservation
    from reservations.services import reservation_create
    from tenants.audit import Actor
    from tenants.choices import InvitationStatus, LegalDocumentKind, Role
    from tenants.models import Invitation, Organization, User
    from tenants.services.members import invitation_create, invitation_token
    from webhooks.models import WebhookEndpoint
    from webhooks.services import endpoint_create

    settings.KONTOR_WEBHOOKS_ALLOW_LOOPBACK = True
    call_command("seed_demo", verbosity=0)
    actor = Actor.system("browser-tests")
    owner = User.objects.get(email="owner@example.de")
    organization = Organization.objects.filter(memberships__user=owner).order_by("pk").first()
    assert organization is not None

    def quote() -> Quote:
        start = (timezone.now() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
        return quote_create(
            actor=actor,
            organization=organization,
            version=CatalogItem.objects.get(slug="pytorch").versions.latest("released_on"),
            flavor=Flavor.objects.get(slug="b200-x1"),
            instance_count=1,
            commitment="on_demand",
            starts_at=start,
            ends_at=start + timedelta(days=2),
        )

    reservation = Reservation.objects.for_organization(organization).order_by("pk").first()
    if reservation is None:
        reservation = reservation_create(actor=actor, organization=organization, quote=quote()).reservation
    open_quote = quote()
    endpoint = WebhookEndpoint.objects.for_organization(organization).order_by("pk").first()
    if endpoint is None:
        endpoint, _secret = endpoint_create(
            actor=actor,
            organization=organization,
            url="http://127.0.0.1:9/kontor-hooks",
            event_types=["budget.threshold_reached"],
        )
    invitation = Invitation.objects.for_organization(organization).filter(status=InvitationStatus.PENDING).first()
    if invitation is None:
        invitation = invitation_create(
            actor=Actor.for_user(owner),
            organization=organization,
            email="new.colleague@example.de",
            role=Role.MEMBER,
            may_manage_owners=True,
        )
    invoice = Invoice.objects.for_organization(organization).order_by("pk").first()
    return {
        "owner": owner,
        "operator": User.objects.get(email="operator@kontor.example"),
        "organization": organization,
        "reservation": reservation,
        "quote": quote,
        "samples": {
            "organization_slug": organization.slug,
            "item_slug": "pytorch",
            "kind": LegalDocumentKind.TERMS.value,
            "token": invitation_token(invitation),
            "quote_id": open_quote.pk,
            "reservation_id": reservation.pk,
            "endpoint_id": endpoint.pk,
            # Only form actions take these (they answer 405 to GET before looking at them).
            "membership_id": 1,
            "invitation_id": invitation.pk,
            "api_key_id": 1,
            "key_id": 1,
            "cidr_id": 1,
            "index": 0,
            "verb": "test",
            "delivery_id": 1,
            "invoice_id": invoice.pk if invoice is not None else 1,
            "provider_id": "none",
        },
    }


def test_every_portal_page_passes_axe(
    live_server: LiveServer,
    demo: dict[str, Any],
    context: BrowserContext,
    login_as: Any,
    page: Page,
    monitor: PageMonitor,
) -> None:
    walk = Walk(live_server=live_server, page=page, checked={}, violations=[], started=time.monotonic())
    anonymous: dict[str, str] = {}
    _walk_portal(walk, demo["samples"], anonymous)
    login_as(demo["owner"])
    owner: dict[str, str] = dict(anonymous)
    for name, result in anonymous.items():
        if result == "redirect":
            del owner[name]
    _walk_portal(walk, demo["samples"], owner)
    elapsed = time.monotonic() - walk.started

    assert not walk.violations, "\n".join(walk.violations)
    elsewhere = {name: result for name, result in owner.items() if result not in ("page", "action")}
    assert elsewhere == {name: outcome for name, (outcome, _why) in ELSEWHERE.items()}, (
        "routes that are neither a page nor a form action for the anonymous visitor or the owner changed: "
        "a new page needs sample data (`demo`), else update ELSEWHERE"
    )
    pages = sorted(walk.checked)
    assert len(pages) >= 30, pages
    assert {
        "portal:dashboard",
        "portal:reservation-detail",
        "portal:organization-spend",
        "catalog:quote-detail",
    } <= set(pages)
    print(f"axe checked {len(pages)} portal pages in {elapsed:.1f} s")
    monitor.assert_clean()


# The admin's own views that are not about one model, and the per-model views the walk opens for one model only.
ADMIN_SITE_PAGES = ["admin:index", "admin:password_change"]
STANDARD_SUFFIXES = ("changelist", "add", "change", "delete", "history")
ONE_MODEL_ONLY = "tenants_organization"  # its delete and history pages stand for every model's


def decision_pages() -> list[tuple[str, str]]:
    """Each confirmation page of an organization's review (approve, reject, suspend...), for an organization whose
    status allows it."""
    from tenants.admin import DECISIONS
    from tenants.models import Organization

    pages = []
    for decision in DECISIONS.values():
        organization = Organization.objects.filter(status__in=decision.allowed_from).order_by("pk").first()
        if organization is not None:
            kwargs = {"object_id": organization.pk, "decision": decision.slug}
            pages.append((f"admin:tenants_organization_decide[{decision.slug}]", reverse_decide(kwargs)))
    return pages


def reverse_decide(kwargs: dict[str, object]) -> str:
    return reverse("admin:tenants_organization_decide", kwargs=kwargs)


# Custom console views with more than one argument, and the pages they stand for.
MULTI_ARGUMENT_PAGES = {"admin:tenants_organization_decide": decision_pages}


def console_pages() -> list[tuple[str, str]]:
    """(label, path) of every console page: the index, one app index, and per registered model its list, its add page,
    one object's change page and every custom view of the model (e.g. approval review, maintenance, credit note)."""
    from django.contrib import admin

    pages = [(name, reverse(name)) for name in ADMIN_SITE_PAGES]
    pages.append(("admin:app_list", reverse("admin:app_list", kwargs={"app_label": "tenants"})))
    admin_routes = [route for route in _routes(get_resolver().url_patterns) if route.name.startswith("admin:")]
    for model in admin.site._registry:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}"
        first = model._base_manager.order_by("pk").first()
        for route in admin_routes:
            name = route.name.removeprefix("admin:")
            if not name.startswith(f"{prefix}_"):
                continue
            suffix = name.removeprefix(f"{prefix}_")
            if suffix in ("delete", "history") and prefix != ONE_MODEL_ONLY:
                continue
            if not route.kwargs:
                pages.append((route.name, reverse(route.name)))
            elif first is not None and len(route.kwargs) == 1:
                pages.append((route.name, reverse(route.name, kwargs={route.kwargs[0]: first.pk})))
            elif route.name in MULTI_ARGUMENT_PAGES:
                pages += MULTI_ARGUMENT_PAGES[route.name]()
            elif first is not None and suffix not in STANDARD_SUFFIXES:
                raise AssertionError(f"{route.name} takes {route.kwargs}: teach console_pages its arguments")
    return pages


def test_every_console_page_passes_axe(
    live_server: LiveServer, demo: dict[str, Any], context: BrowserContext, page: Page, monitor: PageMonitor
) -> None:
    operator_session(context, live_server, demo["operator"])
    walk = Walk(live_server=live_server, page=page, checked={}, violations=[], started=time.monotonic())
    actions: list[str] = []
    refused: list[str] = []
    for label, path in console_pages():
        response = walk.get(path)
        if response.status == 405:
            actions.append(label)
        elif response.status == 403 and label.endswith(("_add", "_delete")):
            refused.append(label)  # records operators may not add or delete by hand (audit, invoices, ...)
        else:
            assert response.status == 200, f"{label} ({path}) answered {response.status}"
            assert _is_page(response), f"{label} ({path}) is no HTML page"
            walk.check(label, path)
            if monitor.console_errors:
                raise AssertionError(f"{label}: {monitor.console_errors}")
    elapsed = time.monotonic() - walk.started

    assert not walk.violations, "\n".join(walk.violations)
    checked = set(walk.checked)
    assert {"admin:index", "admin:tenants_organization_changelist", "admin:tenants_organization_change"} <= checked
    assert len(checked) >= 60, sorted(checked)
    print(f"axe checked {len(checked)} console pages in {elapsed:.1f} s; add refused: {len(refused)}")
    monitor.assert_clean()


def test_the_axe_check_reports_what_it_should(live_server: LiveServer, page: Page, monitor: PageMonitor) -> None:
    page.goto(f"{live_server.url}/")
    assert serious_violations(page) == []

    # Break the page as a careless template would: no language, an unlabelled field, grey on white.
    page.evaluate(
        """() => {
          document.documentElement.removeAttribute("lang");
          const input = document.createElement("input");
          input.id = "unlabelled";
          document.querySelector("main").append(input);
          document.querySelector("h1").style.color = "#bbbbbb";
        }"""
    )
    found = serious_violations(page)

    assert sorted(violation["id"] for violation in found) == ["color-contrast", "html-has-lang", "label"]
    report = format_violations("home", found)
    assert "[critical] label: Form elements must have labels" in report
    assert "#unlabelled" in report
    monitor.assert_clean()


def test_the_reservation_status_region_stays_and_announces_only_changes(
    live_server: LiveServer, demo: dict[str, Any], login_as: Any, page: Page, monitor: PageMonitor
) -> None:
    from reservations.choices import ReservationState
    from reservations.services import reservation_create, reservation_transition
    from tenants.audit import Actor

    organization: Organization = demo["organization"]
    actor = Actor.system("browser-tests")
    reservation: Reservation = reservation_create(
        actor=actor, organization=organization, quote=demo["quote"]()
    ).reservation
    reservation_transition(actor=actor, reservation=reservation, to_state=ReservationState.PROVISIONING)
    polls: list[int] = []
    page.on(
        "response",
        lambda response: polls.append(response.status) if "/instances/?seen=" in response.url else None,
    )
    login_as(demo["owner"])
    page.add_init_script(
        "document.addEventListener('htmx:afterRequest', () => { window.kontorPolls = (window.kontorPolls || 0) + 1; });"
    )
    page.goto(f"{live_server.url}/orgs/{organization.slug}/reservations/{reservation.pk}/")
    status = page.locator("#instances-status")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(page.locator("#instances-reservation-state")).to_have_text("Provisioning")
    page.evaluate("document.getElementById('instances-status').kontorTag = 'the first node'")

    # Two polls while nothing changes: 204, nothing swapped, the same node with the same text.
    page.wait_for_function("() => window.kontorPolls >= 2", timeout=15_000)
    assert polls[:2] == [204, 204]
    assert page.evaluate("document.getElementById('instances-status').kontorTag") == "the first node"
    expect(status).to_contain_text("Provisioning")

    reservation_transition(actor=actor, reservation=reservation, to_state=ReservationState.ACTIVE)

    # The next poll brings the change: the text of the same node changes, and polling stops (active is at rest).
    expect(page.locator("#instances-reservation-state")).to_have_text("Active", timeout=10_000)
    assert page.evaluate("document.getElementById('instances-status').kontorTag") == "the first node"
    assert polls[-1] == 200
    expect(page.locator("#instances-body")).not_to_have_attribute("hx-trigger", "every 3s")
    assert serious_violations(page) == []
    monitor.assert_clean()
