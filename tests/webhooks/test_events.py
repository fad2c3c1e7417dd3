"""The other domain events reach webhooks with the API's representation of their subject."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from billing.invoices.services import invoice_draft_for_month, invoice_finalize
from catalog.models import GpuModel
from reservations.services import quota_request_create, quota_request_decide
from tenants.audit import Actor
from tenants.choices import OrganizationStatus
from tenants.services import organization_transition
from tests.billing.usage import reservation, usage
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db
__all__ = ["reservation"]
ACTOR = Actor.system("test")


def subscribe(organization, url, *event_types):
    return endpoint_create(actor=ACTOR, organization=organization, url=url, event_types=list(event_types))[0]


def test_a_status_change_of_the_organization(organization, receiver, no_worker):
    subscribe(organization, receiver.url, "organization.status_changed")

    organization_transition(actor=ACTOR, organization=organization, to_status=OrganizationStatus.SUSPENDED)

    delivery = WebhookDelivery.objects.for_organization(organization).get()
    assert delivery.event_type == "organization.status_changed"
    assert delivery.payload["subject"] == f"organization:{organization.pk}"
    assert {k: delivery.payload["data"][k] for k in ("slug", "status", "previous_status")} == {
        "slug": "rheinwerk",
        "status": "suspended",
        "previous_status": "active",
    }


def test_a_decided_quota_request(customer, receiver, no_worker):
    subscribe(customer, receiver.url, "quota_request.decided")
    gpu_model = GpuModel.objects.get(slug="b200")
    request = quota_request_create(
        actor=ACTOR, organization=customer, gpu_model_id=gpu_model.pk, requested_gpus=10_000, reason="training"
    )

    quota_request_decide(actor=ACTOR, request=request, approve=False, note="not this quarter")

    delivery = WebhookDelivery.objects.for_organization(customer).get()
    data = delivery.payload["data"]
    assert (delivery.event_type, delivery.payload["subject"], delivery.payload["sequence"]) == (
        "quota_request.decided",
        f"quota_request:{request.pk}",
        1,
    )
    assert {k: data[k] for k in ("id", "gpu_model", "requested_gpus", "status", "decision_note")} == {
        "id": request.pk,
        "gpu_model": "b200",
        "requested_gpus": 10_000,
        "status": "rejected",
        "decision_note": "not this quarter",
    }


def test_a_finalized_invoice(customer, reservation, receiver, no_worker):
    subscribe(customer, receiver.url, "invoice.finalized", "credit_note.issued")
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 7200, "2.5000")
    with time_machine.travel(datetime(2026, 11, 5, 9, 0, tzinfo=UTC), tick=False):
        invoice = invoice_draft_for_month(organization=customer, year=2026, month=10)
        assert invoice is not None
        invoice_finalize(actor=ACTOR, invoice=invoice)

    delivery = WebhookDelivery.objects.for_organization(customer).get()
    data = delivery.payload["data"]
    assert (delivery.event_type, delivery.payload["subject"]) == ("invoice.finalized", f"invoice:{invoice.pk}")
    assert {k: data[k] for k in ("id", "number", "kind", "net_amount", "gross_amount")} == {
        "id": invoice.pk,
        "number": "KON-2026-000001",
        "kind": "380",
        "net_amount": "5.00",
        "gross_amount": "5.95",
    }
