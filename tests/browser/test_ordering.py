"""The ordering wizard in Chromium: item → compatible flavor → count → a reserved window → the quote with its price and
live availability → confirm, and the reservation is scheduled on concrete GPUs."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import PageMonitor

if TYPE_CHECKING:
    from tenants.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORGANIZATION = "rheinwerk-robotics-gmbh"


@pytest.fixture
def inventory(transactional_db: None, customer: User) -> None:
    """The seeded catalog, two DGX B200 nodes per zone for reserved windows, and the customer's organization active."""
    from catalog.models import AvailabilityZone, NodeType
    from catalog.seeding import catalog_seed
    from reservations.choices import Pool
    from reservations.models import CapacityPool, Node
    from tenants.audit import Actor
    from tenants.choices import OrganizationStatus
    from tenants.models import Organization

    catalog_seed(actor=Actor.system("browser-tests"))
    node_type = NodeType.objects.get(slug="dgx-b200")
    for zone in AvailabilityZone.objects.order_by("slug"):
        pool = CapacityPool.objects.create(zone=zone, node_type=node_type, pool=Pool.RESERVABLE)
        for number in range(2):
            Node.objects.create(hostname=f"{zone.slug}-node-{number}", pool=pool)
    Organization.objects.filter(slug=ORGANIZATION).update(status=OrganizationStatus.ACTIVE)


def test_the_wizard_quotes_checks_availability_and_books_a_reserved_window(
    live_server: LiveServer,
    inventory: None,
    customer: User,
    login_as: Callable[[User], None],
    page: Page,
    monitor: PageMonitor,
) -> None:
    from django.utils import timezone

    start = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    login_as(customer)
    page.goto(f"{live_server.url}/catalog/pytorch/")

    steps = page.locator(".quote-form ol.wizard-steps > li > fieldset > legend")
    expect(steps).to_have_text(
        [
            "Step 1: flavor",
            "Step 2: how many instances",
            "Step 3: on demand or a reserved window",
            "Step 4: get the quote and check availability",
        ]
    )
    page.get_by_label("Flavor", exact=True).select_option(label="B200 ×4")
    page.get_by_label("Instances", exact=True).fill("2")
    page.get_by_label("Commitment", exact=True).select_option(label="Reserved, 1 month")
    page.get_by_label("Start", exact=True).fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Length", exact=True).fill("30")
    page.get_by_label("Unit", exact=True).select_option("days")
    page.get_by_role("button", name="Calculate quote and check availability").click()

    expect(page).to_have_url(re.compile(rf"/orgs/{ORGANIZATION}/quotes/\d+/$"))
    expect(page.locator("#quote-status")).to_have_text("Open")
    expect(page.locator('#quote-lines tr[data-kind="compute"]')).to_contain_text("2 × 4 GPUs × 720 h")
    expect(page.locator("#quote-gross")).to_have_text(re.compile(r"^€[\d,]+\.\d\d$"))
    expect(page.locator("#quote-availability")).to_have_text("Available in Munich 1a for this window.")
    page.get_by_label("Zone").select_option(label="Any zone")
    page.get_by_role("button", name="Confirm and book").click()

    expect(page).to_have_url(re.compile(rf"/orgs/{ORGANIZATION}/reservations/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("is booked: 8 GPUs in Munich 1a.")
    expect(page.locator("#reservation-state")).to_have_text("Scheduled")
    expect(page.locator("#allocations tbody tr")).to_have_count(2)
    expect(page.locator("#allocations tbody tr td:nth-child(2)")).to_have_text(["de-muc-1a-node-0", "de-muc-1a-node-0"])
    expect(page.locator("#allocations tbody tr td:nth-child(3)")).to_have_text(["0, 1, 2, 3", "4, 5, 6, 7"])
    monitor.assert_clean()
