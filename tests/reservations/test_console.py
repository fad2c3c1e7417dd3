"""Operators in the console: maintenance with its impact shown first, and quota decisions."""

from __future__ import annotations

import pytest

from catalog.models import AvailabilityZone, GpuModel
from reservations.choices import NodeState, QuotaRequestStatus
from reservations.models import Allocation, Node, QuotaLimit, QuotaRequest
from reservations.services import quota_request_create, reservation_create
from tenants.audit import Actor

pytestmark = pytest.mark.django_db


def test_maintenance_shows_the_impact_then_moves_the_reservation(small_inventory, customer, make_quote, console_client):
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    reservation = reservation_create(
        actor=Actor.system("t"), organization=customer, quote=make_quote(), zone=zone
    ).reservation
    node = Node.objects.get(hostname="de-muc-1a-reservable-0")
    changelist = "/ops/reservations/node/"

    preview = console_client.post(changelist, {"action": "put_into_maintenance", "_selected_action": [node.pk]})
    applied = console_client.post(
        changelist,
        {"action": "put_into_maintenance", "_selected_action": [node.pk], "apply": "1", "reason": "BMC firmware"},
    )

    assert preview.status_code == 200
    content = preview.content.decode()
    assert str(reservation.pk) in content
    assert "de-muc-1a-reservable-1 GPU 0-3" in content
    assert applied.status_code == 302
    node.refresh_from_db()
    assert (node.state, node.state_reason) == (NodeState.MAINTENANCE, "BMC firmware")
    assert list(Allocation.objects.for_organization(customer).values_list("node__hostname", flat=True)) == [
        "de-muc-1a-reservable-1"
    ]


def test_operator_approves_a_quota_request(small_inventory, customer, console_client):
    b200 = GpuModel.objects.get(slug="b200")
    request = quota_request_create(
        actor=Actor.system("owner"), organization=customer, gpu_model_id=b200.pk, requested_gpus=256, reason="Training"
    )

    response = console_client.post(
        "/ops/reservations/quotarequest/", {"action": "approve", "_selected_action": [request.pk]}
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == QuotaRequestStatus.APPROVED
    assert QuotaLimit.objects.for_organization(customer).get(gpu_model=b200).max_gpus == 256


def test_a_decided_quota_request_is_not_decided_again(small_inventory, customer, console_client):
    b200 = GpuModel.objects.get(slug="b200")
    request = quota_request_create(
        actor=Actor.system("owner"), organization=customer, gpu_model_id=b200.pk, requested_gpus=256, reason=""
    )
    console_client.post("/ops/reservations/quotarequest/", {"action": "reject", "_selected_action": [request.pk]})

    console_client.post("/ops/reservations/quotarequest/", {"action": "approve", "_selected_action": [request.pk]})

    request.refresh_from_db()
    assert request.status == QuotaRequestStatus.REJECTED
    assert not QuotaLimit.objects.for_organization(customer).exists()
    assert QuotaRequest.objects.for_organization(customer).count() == 1


def test_console_shows_capacity_per_zone_and_gpu_model(small_inventory, customer, make_quote, console_client):
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    reservation = reservation_create(
        actor=Actor.system("t"),
        organization=customer,
        quote=make_quote(flavor="b200-x8-metal", commitment="on_demand", hours=24),
        zone=zone,
    ).reservation

    content = console_client.get(f"/ops/reservations/capacitypool/?zone__id__exact={zone.pk}").content.decode()

    assert reservation.kind == "on_demand"
    assert content.count('class="field-gpus_free_now"') == 2
    assert '<td class="field-gpus_free_now">0</td>' in content  # the on-demand node is taken
    assert '<td class="field-gpus_free_now">16</td>' in content  # two reservable nodes free
