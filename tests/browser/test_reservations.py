"""Reservations in Chromium: an owner books an open quote and sees its GPUs, cancels it in two steps, and the capacity
chart renders and follows the form through htmx."""

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
    from catalog.models import Quote
    from tenants.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORGANIZATION = "rheinwerk-robotics-gmbh"


@pytest.fixture
def inventory(transactional_db: None) -> None:
    """The seeded catalog and two DGX B200 nodes per zone for reserved windows (16 GPUs per zone)."""
    from catalog.models import AvailabilityZone, NodeType
    from catalog.seeding import catalog_seed
    from reservations.choices import Pool
    from reservations.models import CapacityPool, Node
    from tenants.audit import Actor

    catalog_seed(actor=Actor.system("browser-tests"))
    node_type = NodeType.objects.get(slug="dgx-b200")
    for zone in AvailabilityZone.objects.order_by("slug"):
        pool = CapacityPool.objects.create(zone=zone, node_type=node_type, pool=Pool.RESERVABLE)
        for number in range(2):
            Node.objects.create(hostname=f"{zone.slug}-node-{number}", pool=pool)


@pytest.fixture
def open_quote(inventory: None, customer: User) -> Quote:
    """The customer's organization, active, with an open quote for two b200-x4 instances for a month."""
    from django.utils import timezone

    from catalog.models import CatalogItem, Flavor
    from catalog.services import quote_create
    from tenants.audit import Actor
    from tenants.choices import OrganizationStatus
    from tenants.models import Organization

    Organization.objects.filter(slug=ORGANIZATION).update(status=OrganizationStatus.ACTIVE)
    start = (timezone.now() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    return quote_create(
        actor=Actor.system("browser-tests"),
        organization=Organization.objects.get(slug=ORGANIZATION),
        version=CatalogItem.objects.get(slug="pytorch").versions.latest("released_on"),
        flavor=Flavor.objects.get(slug="b200-x4"),
        instance_count=2,
        commitment="reserved_1m",
        starts_at=start,
        ends_at=start + timedelta(days=30),
    )


def test_an_owner_books_an_open_quote_sees_its_gpus_and_cancels_it_in_two_steps(
    live_server: LiveServer,
    open_quote: Quote,
    customer: User,
    login_as: Callable[[User], None],
    page: Page,
    monitor: PageMonitor,
) -> None:
    login_as(customer)
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_role("link", name="Reservations", exact=True).click()

    expect(page.locator("h1")).to_have_text("Reservations of Rheinwerk Robotics GmbH")
    offer = page.locator(f"#quote-{open_quote.pk}")
    expect(offer).to_contain_text("2 × B200 ×4")
    offer.get_by_label("Zone").select_option(label="Munich 1b")
    offer.get_by_role("button", name=f"Book quote {open_quote.pk}").click()

    expect(page).to_have_url(re.compile(rf"/orgs/{ORGANIZATION}/reservations/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("is booked: 8 GPUs in Munich 1b.")
    expect(page.locator("#reservation-state")).to_have_text("Scheduled")
    expect(page.locator("#allocations tbody tr")).to_have_count(2)
    expect(page.locator("#allocations tbody tr td:nth-child(2)")).to_have_text(["de-muc-1b-node-0", "de-muc-1b-node-0"])
    expect(page.locator("#allocations tbody tr td:nth-child(3)")).to_have_text(["0, 1, 2, 3", "4, 5, 6, 7"])

    page.get_by_role("button", name="Cancel the reservation…").click()
    expect(page.locator("#confirm-consequences")).to_contain_text("cancelling is free")
    page.get_by_role("button", name=re.compile(r"^Yes, cancel reservation \d+$")).click()

    expect(page.locator("#reservation-state")).to_have_text("Cancelled")
    expect(page.locator("#no-allocations")).to_be_visible()
    monitor.assert_clean()


def test_the_capacity_chart_renders_and_follows_the_form(
    live_server: LiveServer,
    inventory: None,
    customer: User,
    login_as: Callable[[User], None],
    page: Page,
    monitor: PageMonitor,
) -> None:
    login_as(customer)
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_role("link", name="Capacity", exact=True).click()

    chart = page.locator("#capacity-chart")
    expect(chart.locator("h2")).to_have_text("Free NVIDIA B200 GPUs in Munich 1a, by hour")
    expect(chart.locator("svg[role=img] g.capacity-step")).to_have_count(168)
    expect(chart.locator("svg[role=img] g.capacity-step").first).to_have_attribute("data-free", "16")
    expect(chart.locator("#capacity-table tbody tr")).to_have_count(168)

    page.get_by_label("Range").select_option(label="Next 30 days, by day")

    expect(chart.locator("h2")).to_have_text("Free NVIDIA B200 GPUs in Munich 1a, by day")
    expect(chart.locator("svg[role=img] g.capacity-step")).to_have_count(30)
    expect(page).to_have_url(re.compile(r"/capacity/\?zone=de-muc-1a&gpu_model=b200&period=30d$"))

    page.get_by_label("GPU model").select_option(label="NVIDIA RTX PRO 6000 Blackwell Server Edition")

    expect(chart.locator("#capacity-none")).to_have_text("This zone has no GPUs of this model for reserved windows.")
    monitor.assert_clean()
