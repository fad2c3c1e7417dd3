"""From a quote to a valid e-invoice, once per VAT treatment: book, provision through the simulator, run in October
2026, release, meter, draft, finalize and render; the stored XML passes the EN 16931 XSD and schematron."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.choices import InvoiceStatus
from billing.documents.validation import e_invoice_problems, schematron_report, xrechnung_report, xsd_errors
from billing.invoices.rendering import invoice_files_render
from billing.invoices.services import credit_note_create, invoice_draft_for_month, invoice_finalize
from billing.models import InvoiceFile, InvoiceFileKind, InvoiceLine
from metering.models import UsageCorrection, UsageRecord
from metering.services import metering_run
from provisioning import services as provisioning
from provisioning.drivers.simulator import simulator_reset_failures
from provisioning.models import Instance, InstanceState
from provisioning.tasks import provision_instance_task
from reservations.choices import ReservationState
from reservations.services import reservation_create, reservation_release, reservation_transition
from tenants.choices import Role
from tenants.models import Consent, LegalDocument, Organization
from tests.billing.invoice_files import seller_bank
from tests.billing.usage import ACTOR
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
__all__ = ["seller_bank"]
STARTED = datetime(2026, 10, 12, 8, 15, 30, tzinfo=UTC)
STOPPED = datetime(2026, 10, 12, 11, 45, 0, tzinfo=UTC)  # 3 h 29 min 30 s on 4 GPUs: 50,280 GPU-seconds


@pytest.fixture(autouse=True)
def _fresh_simulator():
    simulator_reset_failures()
    yield
    simulator_reset_failures()


def buyer(country: str, vat_id: str, confirmed: bool) -> Organization:
    organization = OrganizationFactory.create(
        legal_name=f"Kunde {country}",
        slug=f"kunde-{country.lower()}",
        country=country,
        street="Hauptstraße 1",
        postal_code="1000",
        city="Stadt",
        vat_id=vat_id,
        vat_id_verified_at=timezone.now() if confirmed else None,
    )
    owner = MembershipFactory.create(organization=organization, role=Role.OWNER).user
    for document in LegalDocument.objects.all():
        Consent.objects.create(organization=organization, document=document, user=owner)
    return organization


@pytest.mark.parametrize(
    ("country", "vat_id", "confirmed", "category", "rate", "vat"),
    [
        ("DE", "DE811907980", False, "S", Decimal("19.00"), "19"),
        ("NL", "NL004495445B01", True, "AE", Decimal("0.00"), "0"),
        ("CH", "CHE-116.281.710", False, "O", Decimal("0.00"), "0"),
    ],
    ids=["german-standard-rate", "dutch-reverse-charge", "swiss-not-subject"],
)
def test_a_month_of_use_becomes_a_valid_e_invoice(
    small_inventory, customer, make_quote, seller_bank, country, vat_id, confirmed, category, rate, vat
):
    organization = buyer(country, vat_id, confirmed)
    quote = make_quote(flavor="b200-x4", commitment="on_demand", hours=24, organization=organization)
    reservation = reservation_create(actor=ACTOR, organization=organization, quote=quote).reservation
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)
    for instance_id in provisioning.reservation_start_provisioning(reservation_id=reservation.pk):
        provision_instance_task.apply(args=[instance_id])
    reservation.refresh_from_db()
    assert reservation.state == ReservationState.ACTIVE
    Instance.objects.unscoped().filter(reservation=reservation).update(started_at=STARTED, stopped_at=STOPPED)
    reservation_release(actor=ACTOR, reservation=reservation)
    for instance_id in provisioning.reservation_instances_to_stop(reservation_id=reservation.pk):
        provisioning.instance_deprovision_step(instance_id=instance_id)
        provisioning.instance_deprovision_step(instance_id=instance_id)
    reservation.refresh_from_db()
    assert reservation.state == ReservationState.ENDED
    assert list(Instance.objects.unscoped().values_list("state", "started_at", "stopped_at")) == [
        (InstanceState.STOPPED, STARTED, STOPPED)
    ]

    metering_run(now=timezone.now())
    assert metering_run(now=timezone.now()).writes == 0
    assert list(UsageRecord.objects.unscoped().order_by("hour").values_list("hour", "quantity")) == [
        (datetime(2026, 10, 12, 8, tzinfo=UTC), 4 * 2670),
        (datetime(2026, 10, 12, 9, tzinfo=UTC), 4 * 3600),
        (datetime(2026, 10, 12, 10, tzinfo=UTC), 4 * 3600),
        (datetime(2026, 10, 12, 11, tzinfo=UTC), 4 * 2700),
    ]

    draft = invoice_draft_for_month(organization=organization, year=2026, month=10)
    assert draft is not None
    invoice = invoice_finalize(actor=ACTOR, invoice=draft)
    rendered = invoice_files_render(invoice_id=invoice.pk)

    price = quote.compute_unit_price
    net = (Decimal(50280) * price / 3600).quantize(Decimal("0.01"))
    vat_amount = (net * Decimal(vat) / 100).quantize(Decimal("0.01"))
    assert invoice.status == InvoiceStatus.FINALIZED
    assert (invoice.vat_category, invoice.vat_rate) == (category, rate)
    assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (net, vat_amount, net + vat_amount)
    assert list(
        InvoiceLine.objects.unscoped()
        .filter(invoice=invoice)
        .values_list("meter", "flavor_slug", "quantity", "unit_price", "net_amount", "vat_category", "vat_rate")
    ) == [("gpu_seconds", "b200-x4", Decimal("13.966667"), price, net, category, rate)]
    assert sorted(file.kind for file in rendered) == ["pdf", "xml", "xrechnung"]
    stored = InvoiceFile.objects.unscoped().get(invoice=invoice, kind=InvoiceFileKind.XML)
    with stored.file.open("rb") as handle:
        xml = handle.read()
    assert xsd_errors(xml) == []
    report = schematron_report(xml)
    assert (report.errors, report.warnings) == ((), ())
    assert f"<ram:CategoryCode>{category}</ram:CategoryCode>".encode() in xml
    stored = InvoiceFile.objects.unscoped().get(invoice=invoice, kind=InvoiceFileKind.XRECHNUNG)
    with stored.file.open("rb") as handle:
        xrechnung = handle.read()
    assert e_invoice_problems(xrechnung, xrechnung=True) == []
    kosit = xrechnung_report(xrechnung)
    assert (kosit.errors, kosit.warnings) == ((), ())
    # The lines name the invoiced month in Berlin time (the owner's language is English).
    assert list(InvoiceLine.objects.unscoped().filter(invoice=invoice).values_list("description", flat=True)) == [
        "GPU time used, b200-x4, October 2026: 4 GPUs × 3.491667 hours"
    ]

    # An hour found billed too many becomes a credit note: its XRechnung is as valid, its line names October too.
    record = invoice.usages.order_by("record__hour").last().record
    UsageCorrection.objects.create(
        organization=organization, record=record, quantity_delta=-4 * 900, unit_price=record.unit_price
    )
    note = credit_note_create(actor=ACTOR, invoice=invoice, reason="Instance stopped late")
    assert sorted(file.kind for file in invoice_files_render(invoice_id=note.pk)) == ["pdf", "xml", "xrechnung"]
    for kind in (InvoiceFileKind.XML, InvoiceFileKind.XRECHNUNG):
        with InvoiceFile.objects.unscoped().get(invoice=note, kind=kind).file.open("rb") as handle:
            assert e_invoice_problems(handle.read(), xrechnung=kind == InvoiceFileKind.XRECHNUNG) == []
    assert list(InvoiceLine.objects.unscoped().filter(invoice=note).values_list("description", "net_amount")) == [
        (
            "GPU time used, b200-x4, October 2026: 4 GPUs × 0.25 hours",
            (Decimal(3600) * price / 3600).quantize(Decimal("0.01")),
        )
    ]
