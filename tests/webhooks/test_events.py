"""The other domain events reach webhooks with the API's representation of their subject."""

from __future__ import annotations

import pytest

from catalog.models import GpuModel
from reservations.services import quota_request_create, quota_request_decide
from tenants.audit import Actor
from tenants.choices import OrganizationStatus
from tenants.services import organization_transition
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db
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
