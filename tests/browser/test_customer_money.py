"""A customer in Chromium finds their money through the navigation: Invoices, an invoice's PDF (a real PDF), and Spend,
whose forecast counts a reserved window the moment it is booked — before any metering run."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import PageMonitor

if TYPE_CHECKING:
    from billing.models import Invoice
    from catalog.models import Quote
    from tenants.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORGANIZATION = "rheinwerk-robotics-gmbh"
BERLIN = ZoneInfo("Europe/Berlin")
PRICE = Decimal("5.90")  # B200 x1, reserved for a month, per GPU-hour (the seeded launch prices)


@pytest.fixture
def organization_with_an_invoice(transactional_db: None, customer: User, settings) -> Invoice:
    """The seeded catalog, a DGX B200 node per zone and pool, the customer's organization active, and its October
    2026 invoice finalized with its PDF stored."""
    import time_machine
    from django.core.files.base import ContentFile

    from billing.documents.mapping import invoice_document
    from billing.documents.pdf import facturx_pdf
    from billing.invoices.models import InvoiceFile, InvoiceFileKind
    from billing.invoices.services import invoice_draft_for_month, invoice_finalize
    from catalog.models import AvailabilityZone, CatalogItem, Flavor, NodeType
    from catalog.seeding import catalog_seed
    from catalog.services import quote_create
    from metering.choices import Meter
    from metering.models import UsageRecord
    from reservations.choices import Pool
    from reservations.models import CapacityPool, Node
    from reservations.services import reservation_create
    from tenants.audit import Actor
    from tenants.choices import OrganizationStatus
    from tenants.models import Organization

    settings.KONTOR_SELLER = {
        **settings.KONTOR_SELLER,
        "vat_id": "DE123456788",
        "iban": "DE02120300000000202051",
        "bic": "BYLADEM1001",
        "registration_id": "HRB 123456, Amtsgericht München",
    }
    actor = Actor.system("browser-tests")
    catalog_seed(actor=actor)
    node_type = NodeType.objects.get(slug="dgx-b200")
    for zone in AvailabilityZone.objects.order_by("slug"):
        for kind in (Pool.RESERVABLE, Pool.ON_DEMAND):
            pool = CapacityPool.objects.create(zone=zone, node_type=node_type, pool=kind)
            Node.objects.create(hostname=f"{zone.slug}-{kind}-0", pool=pool)
    Organization.objects.filter(slug=ORGANIZATION).update(
        status=OrganizationStatus.ACTIVE, street="Rheinallee 1", postal_code="55116", city="Mainz"
    )
    organization = Organization.objects.get(slug=ORGANIZATION)
    version = CatalogItem.objects.get(slug="pytorch").versions.order_by("-released_on")[0]
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    on_demand = quote_create(
        actor=actor,
        organization=organization,
        version=version,
        flavor=Flavor.objects.get(slug="b200-x4"),
        instance_count=1,
        commitment="on_demand",
        starts_at=start,
        ends_at=start + timedelta(hours=24),
    )
    reservation = reservation_create(actor=actor, organization=organization, quote=on_demand).reservation
    UsageRecord.objects.create(  # ten GPU-hours in October 2026 (a window record, as the billing tests write)
        organization=organization,
        reservation=reservation,
        instance=None,
        meter=Meter.COMMITTED_GPU_SECONDS,
        hour=datetime(2026, 10, 5, 10, tzinfo=UTC),
        quantity=36000,
        flavor_id=reservation.flavor_id,
        item_version_id=reservation.item_version_id,
        unit_price=Decimal("6.9000"),
    )
    with time_machine.travel(datetime(2026, 11, 5, 9, tzinfo=UTC), tick=False):
        draft = invoice_draft_for_month(organization=organization, year=2026, month=10)
        assert draft is not None
        invoice = invoice_finalize(actor=actor, invoice=draft)
    # The Factur-X PDF as the render task makes it; the task's schematron checks of the XML (tested in
    # tests/billing/) take longer than this whole test may.
    pdf = facturx_pdf(invoice_document(invoice))
    InvoiceFile.objects.create(
        organization=organization,
        invoice=invoice,
        kind=InvoiceFileKind.PDF,
        file=ContentFile(pdf, name=f"{invoice.number}.pdf"),
        sha256=hashlib.sha256(pdf).hexdigest(),
    )
    return invoice


@pytest.fixture
def window_quote(organization_with_an_invoice: Invoice) -> Quote:
    """A quote for one B200 x1 reserved for 720 hours from the next hour but one."""
    from catalog.models import CatalogItem, Flavor
    from catalog.services import quote_create
    from tenants.audit import Actor

    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    return quote_create(
        actor=Actor.system("browser-tests"),
        organization=organization_with_an_invoice.organization,
        version=CatalogItem.objects.get(slug="pytorch").versions.order_by("-released_on")[0],
        flavor=Flavor.objects.get(slug="b200-x1"),
        instance_count=1,
        commitment="reserved_1m",
        starts_at=start,
        ends_at=start + timedelta(hours=720),
    )


def this_months_share(quote: Quote) -> str:
    """The window's cost inside the current Berlin month, worked out here from the calendar, as the page shows it."""
    local = datetime.now(BERLIN)
    next_month = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=BERLIN)
    hours = max(0, (min(quote.ends_at, next_month) - quote.starts_at) // timedelta(hours=1))
    return f"€{hours * PRICE:,.2f}"


def test_a_customer_reaches_an_invoice_pdf_and_sees_a_booked_window_in_the_forecast(
    live_server: LiveServer,
    organization_with_an_invoice: Invoice,
    window_quote: Quote,
    customer: User,
    login_as: Callable[[User], None],
    page: Page,
    monitor: PageMonitor,
) -> None:
    invoice = organization_with_an_invoice
    navigation = page.get_by_role("navigation", name="Main")
    login_as(customer)
    page.goto(f"{live_server.url}/dashboard/")

    navigation.get_by_role("link", name="Invoices").click()
    expect(page).to_have_url(f"{live_server.url}/orgs/{ORGANIZATION}/invoices/")
    expect(navigation.get_by_role("link", name="Invoices")).to_have_attribute("aria-current", "page")
    row = page.locator(f"#invoice-{invoice.pk}")
    expect(row).to_contain_text(invoice.number)
    with page.expect_download() as download_info:
        row.get_by_role("link", name="PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"{invoice.number}.pdf"
    assert Path(download.path()).read_bytes()[:5] == b"%PDF-"
    response = page.request.get(f"{live_server.url}/orgs/{ORGANIZATION}/invoices/{invoice.pk}/pdf/")
    assert (response.status, response.headers["content-type"], response.body()[:5]) == (
        200,
        "application/pdf",
        b"%PDF-",
    )

    navigation.get_by_role("link", name="Spend").click()
    expect(navigation.get_by_role("link", name="Spend")).to_have_attribute("aria-current", "page")
    expect(page.locator("#spend-forecast")).to_have_text("€0.00")

    page.goto(f"{live_server.url}/orgs/{ORGANIZATION}/quotes/{window_quote.pk}/")
    page.get_by_role("button", name="Confirm and book").click()
    expect(page).to_have_url(re.compile(rf"/orgs/{ORGANIZATION}/reservations/\d+/$"))
    navigation.get_by_role("link", name="Spend").click()

    expected = this_months_share(window_quote)
    expect(page.locator("#spend-committed")).to_have_text(expected)
    expect(page.locator("#spend-forecast")).to_have_text(expected)
    expect(page.locator("#spend-month-to-date")).to_have_text("€0.00")
    monitor.assert_clean()
