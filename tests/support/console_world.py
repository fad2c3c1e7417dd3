"""A console with something in every list of the business apps: the demo data (``seed_demo``) plus one booked
reservation with a failed instance, a drift finding, usage with a correction, an invoice draft and quotas.

Long texts on purpose (a long error, a long reason): the lists must still fit the screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import time_machine
from django.core.management import call_command
from django.utils import timezone

from billing.invoices.services import invoice_draft_for_month
from billing.models import InvoiceNumberSeries
from catalog.choices import Commitment, License
from catalog.models import CatalogItemVersion, Flavor, GpuModel
from catalog.services import quote_create
from metering.choices import Meter
from metering.models import UsageCorrection, UsageRecord
from provisioning.models import DriftFinding, DriftKind, Instance, InstanceState
from reservations.models import QuotaLimit, QuotaRequest, Reservation
from reservations.services import reservation_create
from tenants.audit import Actor
from tenants.models import Organization

LONG_ERROR = (
    "create server kontor-instance-1: HTTP 503: ServiceUnavailable: The server is currently unavailable. Please try "
    "again at a later time.<br /><br />\nThe Keystone service is temporarily unavailable. "
    "(HTTP 503) (Request-ID: req-5f0c9a3e-8f7b-4a57-9e0d-2c1b8f6a7d41)"
)


def console_world() -> Reservation:
    call_command("seed_demo", stdout=StringIO())
    actor = Actor.system("tests")
    organization = Organization.objects.get(legal_name="Rheinwerk Robotics GmbH")
    version = (
        CatalogItemVersion.objects.filter(item__is_published=True, item__license=License.NGC_FREE)
        .order_by("item__slug", "-released_on")
        .first()
    )
    assert version is not None
    flavor = Flavor.objects.filter(is_active=True, gpu_count=1).order_by("slug").first()
    assert flavor is not None
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    quote = quote_create(
        actor=actor,
        organization=organization,
        version=version,
        flavor=flavor,
        instance_count=1,
        commitment=Commitment.ON_DEMAND,
        starts_at=start,
        ends_at=start + timedelta(hours=24),
    )
    reservation = reservation_create(
        actor=actor, organization=organization, quote=quote, purchase_order_reference="PO-2026-0042"
    ).reservation
    instance = Instance.objects.create(
        organization=organization,
        reservation=reservation,
        index=0,
        name=f"{reservation.pk}-1",
        state=InstanceState.FAILED,
        cloud_server_id="3f1c2b7e-9d8a-4c6f-b5e4-1a2b3c4d5e6f",
        status_polls=11,
        last_error=LONG_ERROR,
    )
    DriftFinding.objects.create(
        kind=DriftKind.ORPHAN_SERVER,
        server_id="9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        instance=instance,
        detail=f"kontor-instance-{instance.pk}-with-a-rather-long-server-name-from-the-cloud: no live reservation",
        repaired=True,
    )
    record = UsageRecord.objects.create(
        organization=organization,
        reservation=reservation,
        instance=None,
        meter=Meter.COMMITTED_GPU_SECONDS,
        hour=datetime(2026, 10, 5, 10, tzinfo=UTC),
        quantity=5400,
        flavor=flavor,
        item_version=version,
        unit_price=Decimal("6.9000"),
    )
    UsageCorrection.objects.create(
        organization=organization, record=record, quantity_delta=-1800, unit_price=Decimal("6.9000")
    )
    with time_machine.travel(datetime(2026, 11, 5, 9, tzinfo=UTC), tick=False):
        invoice_draft_for_month(organization=organization, year=2026, month=10)
    InvoiceNumberSeries.objects.get_or_create(year=2026, defaults={"last_sequence": 41})
    gpu_model = GpuModel.objects.order_by("slug").first()
    if not QuotaLimit.objects.for_organization(organization).filter(gpu_model=gpu_model).exists():
        QuotaLimit.objects.create(organization=organization, gpu_model=gpu_model, max_gpus=16)
    QuotaRequest.objects.create(
        organization=organization,
        gpu_model=gpu_model,
        requested_gpus=64,
        reason="A four-week pre-training run of our foundation model for warehouse robots, starting in January.",
        created_by_label="Jonas Owner <owner@example.de>",
    )
    return reservation
