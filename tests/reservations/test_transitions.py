"""Nodes and quota requests change state only through their transitions: compare-and-set, audited, refusals change
nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from catalog.models import AvailabilityZone, GpuModel
from reservations.choices import NodeState, QuotaRequestStatus
from reservations.models import Allocation, Node, QuotaLimit, QuotaRequest
from reservations.services import (
    node_set_state,
    node_transition,
    quota_request_create,
    quota_request_decide,
    quota_request_transition,
    reservation_create,
)
from tenants.audit import Actor
from tenants.models import AuditEvent
from tenants.services import InvalidTransitionError

ACTOR = Actor.system("test")
N = NodeState
QR = QuotaRequestStatus


def node_row(node):
    return Node.objects.values("state", "state_reason").get(pk=node.pk)


def audit_of(model_label, pk):
    return list(
        AuditEvent.objects.unscoped()
        .filter(target_type=model_label, target_id=str(pk))
        .order_by("pk")
        .values_list("action", "data")
    )


@pytest.fixture
def node(small_inventory):
    return Node.objects.get(hostname="de-muc-1a-reservable-0")


@pytest.fixture
def quota_request(small_inventory, customer):
    return quota_request_create(
        actor=Actor.system("owner"),
        organization=customer,
        gpu_model_id=GpuModel.objects.get(slug="b200").pk,
        requested_gpus=256,
        reason="Training",
    )


# --- Nodes ----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_node_goes_into_maintenance_and_back_with_one_audit_row_each(node):
    node_set_state(actor=ACTOR, node=node, state=N.MAINTENANCE, reason="BMC firmware")
    node_set_state(actor=ACTOR, node=node, state=N.AVAILABLE, reason="returned to service")

    assert node_row(node) == {"state": N.AVAILABLE, "state_reason": "returned to service"}
    assert audit_of("reservations.node", node.pk) == [
        ("node.maintenance", {"reason": "BMC firmware", "moved": []}),
        ("node.available", {"reason": "returned to service", "moved": []}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("from_state", "to_state"),
    [(N.AVAILABLE, N.AVAILABLE), (N.MAINTENANCE, N.MAINTENANCE), (N.RETIRED, N.AVAILABLE), (N.RETIRED, N.MAINTENANCE)],
)
def test_a_node_move_the_table_does_not_allow_is_refused_and_changes_nothing(
    node, customer, make_quote, from_state, to_state
):
    reservation_create(
        actor=ACTOR,
        organization=customer,
        quote=make_quote(flavor="b200-x4", count=1),
        zone=AvailabilityZone.objects.get(slug="de-muc-1a"),
    )
    Node.objects.filter(pk=node.pk).update(state=from_state, state_reason="before")
    allocations = list(Allocation.objects.unscoped().values_list("pk", "node_id", "gpu_first"))

    with pytest.raises(InvalidTransitionError) as refusal:
        node_set_state(actor=ACTOR, node=node, state=to_state, reason="try")

    assert refusal.value.code == "invalid_transition"
    assert node_row(node) == {"state": from_state, "state_reason": "before"}
    assert list(Allocation.objects.unscoped().values_list("pk", "node_id", "gpu_first")) == allocations
    assert AuditEvent.objects.unscoped().filter(action__in=["reservation.moved", f"node.{to_state}"]).count() == 0


@pytest.mark.django_db
def test_a_node_transition_from_a_state_the_node_has_left_changes_nothing(node):
    Node.objects.filter(pk=node.pk).update(state=N.RETIRED, state_reason="decommissioned")

    moved = node_transition(
        actor=ACTOR, node=node, from_state=N.AVAILABLE, to_state=N.MAINTENANCE, reason="stale", data={}
    )

    assert moved is False
    assert node_row(node) == {"state": N.RETIRED, "state_reason": "decommissioned"}
    assert audit_of("reservations.node", node.pk) == []


# --- Quota requests -------------------------------------------------------------------------------------------------


def quota_row(request):
    return QuotaRequest.objects.unscoped().values("status", "decision_note", "decided_at").get(pk=request.pk)


@pytest.mark.django_db
def test_deciding_a_quota_request_writes_the_decision_and_one_audit_row(quota_request, customer):
    decided = quota_request_decide(actor=ACTOR, request=quota_request, approve=True, note="fine")

    assert (decided.status, decided.decision_note) == (QR.APPROVED, "fine")
    assert decided.decided_at is not None
    assert QuotaLimit.objects.for_organization(customer).get().max_gpus == 256
    assert [action for action, _data in audit_of("reservations.quotarequest", quota_request.pk)] == [
        "quota_request.created",
        "quota_request.approved",
    ]
    assert audit_of("reservations.quotarequest", quota_request.pk)[1][1] == {"requested_gpus": 256, "note": "fine"}


@pytest.mark.django_db
def test_a_decided_quota_request_is_refused_and_nothing_changes(quota_request, customer):
    quota_request_decide(actor=ACTOR, request=quota_request, approve=False, note="no")
    before = quota_row(quota_request)
    audit_before = audit_of("reservations.quotarequest", quota_request.pk)

    with pytest.raises(InvalidTransitionError, match="decided already"):
        quota_request_decide(actor=ACTOR, request=quota_request, approve=True, note="yes after all")

    assert quota_row(quota_request) == before
    assert before["status"] == QR.REJECTED
    assert not QuotaLimit.objects.for_organization(customer).exists()
    assert audit_of("reservations.quotarequest", quota_request.pk) == audit_before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [(QR.PENDING, QR.PENDING), (QR.APPROVED, QR.REJECTED), (QR.REJECTED, QR.APPROVED), (QR.APPROVED, QR.PENDING)],
)
def test_a_quota_request_move_the_table_does_not_allow_is_refused(quota_request, from_status, to_status):
    QuotaRequest.objects.unscoped().filter(pk=quota_request.pk).update(status=from_status)
    before = quota_row(quota_request)

    with pytest.raises(InvalidTransitionError) as refusal:
        quota_request_transition(actor=ACTOR, request=quota_request, from_status=from_status, to_status=to_status)

    assert refusal.value.code == "invalid_transition"
    assert quota_row(quota_request) == before
    assert [action for action, _data in audit_of("reservations.quotarequest", quota_request.pk)] == [
        "quota_request.created"
    ]


@pytest.mark.django_db(transaction=True)
def test_two_operators_approving_at_the_same_time_decide_once(quota_request, customer):
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide() -> None:
        close_old_connections()
        barrier.wait(timeout=30)
        try:
            quota_request_decide(actor=ACTOR, request=quota_request, approve=True)
            outcomes.append("decided")
        except InvalidTransitionError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["decided", "refused"]
    assert quota_row(quota_request)["status"] == QR.APPROVED
    assert [action for action, _data in audit_of("reservations.quotarequest", quota_request.pk)] == [
        "quota_request.created",
        "quota_request.approved",
    ]
    assert list(QuotaLimit.objects.for_organization(customer).values_list("max_gpus", flat=True)) == [256]


@pytest.mark.django_db
def test_the_console_returns_nodes_in_maintenance_and_refuses_the_available_one(small_inventory, console_client):
    in_maintenance = Node.objects.get(hostname="de-muc-1a-reservable-0")
    available = Node.objects.get(hostname="de-muc-1a-reservable-1")
    node_set_state(actor=ACTOR, node=in_maintenance, state=N.MAINTENANCE, reason="PSU swap")

    response = console_client.post(
        "/ops/reservations/node/",
        {"action": "return_to_service", "_selected_action": [in_maintenance.pk, available.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]] == [
        "de-muc-1a-reservable-1: A node cannot go from Available to Available.",
        "Returned to service.",
    ]
    assert node_row(in_maintenance) == {"state": N.AVAILABLE, "state_reason": "returned to service"}
    assert node_row(available) == {"state": N.AVAILABLE, "state_reason": ""}
    assert [action for action, _data in audit_of("reservations.node", available.pk)] == []
