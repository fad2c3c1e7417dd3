"""Onboarding in Chromium: a company signs up through the wizard, confirms its e-mail address, is approved in the
operator console and activated; an owner invites a colleague, who creates an account from the invitation and joins."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import TIMEOUT_MS, PageMonitor

if TYPE_CHECKING:
    from tenants.models import LegalDocument, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSPHRASE = "a long passphrase 2026"


@pytest.fixture
def documents_in_force(transactional_db: None) -> list[LegalDocument]:
    """The Terms of Service, the DPA and the Privacy Notice, in force since yesterday."""
    from tenants.choices import LegalDocumentKind
    from tenants.models import LegalDocument

    yesterday = timezone.now() - timedelta(days=1)
    return [
        LegalDocument.objects.create(
            kind=kind,
            version="2026-01",
            title=f"{kind.label} 2026-01",
            body=f"The {kind} text.",
            effective_at=yesterday,
        )
        for kind in LegalDocumentKind
    ]


@pytest.fixture
def second_page(browser: Browser, live_server: LiveServer) -> Iterator[tuple[BrowserContext, PageMonitor]]:
    """Another person's browser: its own cookies, watched like the main page."""
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Berlin")
    context.set_default_timeout(TIMEOUT_MS)
    page_monitor = PageMonitor(page=context.new_page(), origin=live_server.url)
    page_monitor.attach()
    yield context, page_monitor
    context.close()


def operator_session(context: BrowserContext, live_server: LiveServer, operator: User) -> None:
    """Hand the browser the session of an operator who signed in with a password and a second factor."""
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
    from django.conf import settings

    client = Client()
    client.force_login(operator)
    session = client.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": operator.email},
        {"method": "mfa", "at": now, "id": 1, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(operator.pk)
    session.save()
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": str(session.session_key),
                "url": live_server.url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )


def link_in_last_mail(pattern: str) -> str:
    body = str(mail.outbox[-1].body)
    match = re.search(pattern, body)
    assert match, body
    return match.group(0)


def test_a_company_signs_up_is_approved_and_becomes_active(
    live_server: LiveServer,
    page: Page,
    monitor: PageMonitor,
    documents_in_force: list[LegalDocument],
    second_page: tuple[BrowserContext, PageMonitor],
) -> None:
    from provisioning.organizations import organization_activate
    from tenants.choices import OrganizationStatus
    from tenants.models import Organization
    from tests.factories import OperatorFactory

    # Step 1: the company.
    page.goto(f"{live_server.url}/signup/")
    expect(page.locator("h1")).to_have_text("Sign up your company")
    monitor.assert_clean()
    page.get_by_label("Legal name").fill("Rheinwerk Robotics GmbH")
    page.get_by_label("Country").select_option(label="Germany")
    page.get_by_label("Street and number").fill("Werkstraße 1")
    page.get_by_label("Postal code").fill("50667")
    page.get_by_label("City").fill("Köln")
    page.get_by_label("VAT ID").fill("DE 136 695 976")
    page.get_by_label("Billing e-mail").fill("invoices@rheinwerk.example")
    with page.expect_navigation(url=f"{live_server.url}/signup/account/"):
        page.get_by_role("button", name="Continue").click()

    # Step 2: the owner's account and the legal documents.
    expect(page.locator(".summary")).to_contain_text("Werkstraße 1, 50667 Köln, Germany")
    expect(page.get_by_role("link", name="Data Processing Agreement (GDPR Art. 28)")).to_have_attribute(
        "href", "/legal/dpa/"
    )
    monitor.assert_clean()
    page.get_by_label("Your name").fill("Jonas Weber")
    page.get_by_label("Your e-mail address").fill("jonas@rheinwerk.example")
    page.locator("#id_password").fill(PASSPHRASE)
    page.locator("#id_password_confirm").fill(PASSPHRASE)
    page.get_by_label("Preferred language").select_option("en")
    page.get_by_label("On behalf of the company I accept").check()
    with page.expect_navigation(url=f"{live_server.url}/signup/done/"):
        page.get_by_role("button", name="Sign up").click()
    expect(page.locator("main")).to_contain_text("We sent a link to jonas@rheinwerk.example.")
    monitor.assert_clean()
    organization = Organization.objects.get()
    assert organization.status == OrganizationStatus.PENDING_VERIFICATION

    # The verification e-mail: confirm the address.
    confirm_url = link_in_last_mail(r"http://[^\s]+/accounts/confirm-email/[^\s]+/")
    page.goto(confirm_url)
    monitor.assert_clean()
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()
    monitor.assert_clean()
    organization.refresh_from_db()
    assert organization.status == OrganizationStatus.PENDING_APPROVAL

    # An operator approves the sign-up in the console.
    operator_context, operator_monitor = second_page
    operator_session(operator_context, live_server, OperatorFactory.create(email="operator@kontor.example"))
    console = operator_monitor.page
    console.goto(f"{live_server.url}/ops/tenants/organization/?status__exact=pending_approval")
    row = console.locator("#result_list tbody tr", has_text="Rheinwerk Robotics GmbH")
    expect(row).to_have_count(1)
    operator_monitor.assert_clean()
    with console.expect_navigation():
        row.get_by_role("link", name="Review and decide").click()
    with console.expect_navigation():
        console.get_by_role("link", name="Approve", exact=True).click()
    # No worker ran the VIES check: the confirmation says so and asks the operator to acknowledge it.
    console.get_by_label("I approve although VIES did not confirm the VAT ID.").check()
    with console.expect_navigation():
        console.get_by_role("button", name="Confirm: Approve").click()
    expect(console.locator(".messagelist li.success")).to_have_text(
        "Rheinwerk Robotics GmbH is approved; its cloud project is being created."
    )
    operator_monitor.assert_clean()
    organization.refresh_from_db()
    assert organization.status == OrganizationStatus.PROVISIONING

    # No worker runs in browser tests: activate as the task would.
    organization_activate(organization_id=organization.pk)

    # The owner signs in and sees the organization active.
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=login]").fill("jonas@rheinwerk.example")
    page.locator("input[name=password]").fill(PASSPHRASE)
    with page.expect_navigation(url=f"{live_server.url}/dashboard/"):
        page.locator("input[name=password]").press("Enter")
    card = page.locator("#organization-rheinwerk-robotics-gmbh")
    expect(card).to_contain_text("Rheinwerk Robotics GmbH")
    expect(card.locator(".badge")).to_have_text("Active")
    expect(card.get_by_role("link", name="API keys")).to_be_visible()
    monitor.assert_clean()


def test_an_owner_invites_a_colleague_who_joins_with_a_new_account(
    live_server: LiveServer,
    page: Page,
    monitor: PageMonitor,
    customer: User,
    login_as: Callable[[User], None],
    second_page: tuple[BrowserContext, PageMonitor],
) -> None:
    from tenants.choices import Role
    from tenants.models import Membership, Organization

    organization = Organization.objects.get()
    login_as(customer)

    # The owner invites a colleague from the team page (the form is sent by htmx; it works without it too).
    page.goto(f"{live_server.url}/orgs/{organization.slug}/members/")
    expect(page.locator("h1")).to_have_text("Team of Rheinwerk Robotics GmbH")
    monitor.assert_clean()
    page.locator("#id_email").fill("anna@example.de")
    page.locator("#id_role").select_option("member")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".messages")).to_have_text("We sent an invitation to anna@example.de.")
    expect(page.locator("#invitations")).to_contain_text("anna@example.de")
    monitor.assert_clean()

    # The colleague opens the link from the e-mail in their own browser and creates an account.
    path = link_in_last_mail(r"/invitations/[^\s/]+/")
    _invitee_context, invitee_monitor = second_page
    invitee = invitee_monitor.page
    invitee.goto(f"{live_server.url}{path}")
    expect(invitee.locator("main")).to_contain_text("This invitation is for anna@example.de, with the role Member.")
    invitee_monitor.assert_clean()
    invitee.get_by_label("Your name").fill("Anna Schmidt")
    invitee.locator("#id_password").fill(PASSPHRASE)
    invitee.locator("#id_password_confirm").fill(PASSPHRASE)
    with invitee.expect_navigation(url=f"{live_server.url}/orgs/{organization.slug}/members/"):
        invitee.get_by_role("button", name="Create my account and join").click()
    expect(invitee.locator(".messages")).to_have_text("Welcome to Rheinwerk Robotics GmbH.")
    expect(invitee.locator("#members")).to_contain_text("anna@example.de")
    invitee_monitor.assert_clean()
    anna = Membership.objects.for_organization(organization).get(user__email="anna@example.de")
    assert anna.role == Role.MEMBER

    # Back on the owner's page: Anna becomes a viewer (htmx swaps the page's main region).
    page.reload()
    expect(page.locator("#invitations")).to_have_count(0)
    page.locator(f"#role-{anna.pk}").select_option("viewer")
    page.locator(f"#member-{anna.pk}").get_by_role("button", name="Change role").click()
    expect(page.locator(".messages")).to_have_text("anna@example.de is now Viewer.")
    expect(page.locator(f"#role-{anna.pk}")).to_have_value("viewer")
    monitor.assert_clean()
    anna.refresh_from_db()
    assert anna.role == Role.VIEWER
