"""An operator approves a sign-up from its review page in Chromium: the evidence in words (a failed VIES check
included), a confirmation that warns about it, the new status; the console's lists fit a 1,366-pixel screen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import PageMonitor
from tests.browser.test_onboarding import operator_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_approves_a_sign_up_with_the_evidence_in_front_of_them(
    live_server: LiveServer, page: Page, monitor: PageMonitor, context: BrowserContext, monkeypatch: Any
) -> None:
    from tenants.choices import LegalDocumentKind, OrganizationStatus, VatCheckResult
    from tenants.models import Consent, LegalDocument, Organization
    from tenants.services import vat_check_run
    from tests.factories import MembershipFactory, OperatorFactory, OrganizationFactory

    monkeypatch.setattr("provisioning.tasks.organization_activate_task.apply_async", lambda args, **kw: None)
    organization = OrganizationFactory.create(
        legal_name="Rheinwerk Robotics GmbH", status=OrganizationStatus.PENDING_APPROVAL, vat_id="DE136695976"
    )
    owner = MembershipFactory.create(organization=organization, user__email="jonas@rheinwerk.example").user
    terms = LegalDocument.objects.create(
        kind=LegalDocumentKind.TERMS,
        version="2026-01",
        title="Terms",
        body="…",
        effective_at=timezone.now() - timedelta(days=1),
    )
    Consent.objects.create(organization=organization, document=terms, user=owner)
    # The test settings point VIES at a closed port on loopback: the check really fails with a ConnectionError.
    check = vat_check_run(organization_id=organization.pk)
    assert check is not None
    assert check.result == VatCheckResult.UNAVAILABLE
    assert check.error.startswith("ConnectionError")
    operator_session(context, live_server, OperatorFactory.create(email="operator@kontor.example"))
    page.set_viewport_size({"width": 1366, "height": 768})

    # From the dashboard, as an operator starts the day. The first page of a cold live server loads every admin
    # asset: wait for the document, then for what matters.
    page.goto(f"{live_server.url}/ops/", wait_until="domcontentloaded", timeout=30_000)
    expect(page.locator("#ops-approvals-count")).to_have_text("1")
    with page.expect_navigation():
        page.locator("#ops-approvals-count").click()
    expect(page).to_have_url(f"{live_server.url}/ops/tenants/organization/?status__exact=pending_approval")
    row = page.locator("#result_list tbody tr", has_text="Rheinwerk Robotics GmbH")
    expect(row).to_have_count(1)
    expect(page.locator("select[name=action] option[value=approve]")).to_have_count(0)
    page.wait_for_load_state("load", timeout=30_000)  # the style sheets decide the width
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # no column cut off
    with page.expect_navigation():
        row.get_by_role("link", name="Review and decide").click()

    expect(page.locator("h1")).to_have_text("Review Rheinwerk Robotics GmbH")
    expect(page.locator("#vies-status")).to_have_text("VIES service unavailable — the number could not be checked")
    expect(page.locator("#evidence-country")).to_have_text("Germany (DE)")
    expect(page.locator("#evidence-consents tbody")).to_contain_text("Terms of Service")
    expect(page.locator("#content")).not_to_contain_text("ConnectionError")
    with page.expect_navigation():
        page.get_by_role("link", name="Approve", exact=True).click()

    expect(page.locator("#vat-warning")).to_contain_text(
        "Warning: VIES did not confirm the VAT ID. VIES service unavailable — the number could not be checked."
    )
    page.get_by_label("I approve although VIES did not confirm the VAT ID.").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm: Approve").click()

    expect(page.locator(".messagelist li.success")).to_have_text(
        "Rheinwerk Robotics GmbH is approved; its cloud project is being created."
    )
    expect(page.locator("#review-status")).to_contain_text("Status: Provisioning")
    organization.refresh_from_db()
    assert organization.status == OrganizationStatus.PROVISIONING

    # The audit log fits the screen next to its filters, and seeding is kept apart.
    page.goto(f"{live_server.url}/ops/tenants/auditevent/")
    expect(page.locator("#changelist-filter")).to_contain_text("All but seeding")
    expect(page.locator("#result_list tbody tr").first).to_contain_text("organization.provisioning")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    # The monitor records every page's requests and errors: one check at the end covers them all.
    monitor.assert_clean()
    assert Organization.objects.get().status == OrganizationStatus.PROVISIONING
