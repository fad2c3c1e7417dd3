"""The provisioning step's reads, compiled once per process (``core.prepared``), answer what their querysets do:
the same instances, field for field, with the same related rows cached (or cached as absent) and annotations."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Model, OuterRef
from django.test.utils import CaptureQueriesContext

from provisioning import services
from provisioning.cloud_access import allowed_cidr_add, ngc_api_key_set, reservation_order
from provisioning.models import CloudProfile, Instance, ReservationAccess
from reservations.choices import ReservationState
from reservations.services import reservation_transition
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import Membership
from tenants.services import ssh_key_add
from tests.provisioning import keys

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


def _fields(instance: Model) -> dict[str, Any]:
    return {name: value for name, value in vars(instance).items() if name != "_state"}


def _related(instance: Instance, path: str) -> Model | None:
    """The related row ``path`` (``reservation__access``) as cached on ``instance``, without a query; None when
    it is cached as absent."""
    current: Any = instance
    for name in path.split("__"):
        try:
            current = getattr(current, name)
        except (ReservationAccess.DoesNotExist, CloudProfile.DoesNotExist):
            return None
    return current


def _assert_same(compiled: list[Instance], read: list[Instance]) -> None:
    assert [_fields(instance) for instance in compiled] == [_fields(instance) for instance in read]
    for mine, theirs in zip(compiled, read, strict=True):
        with CaptureQueriesContext(connection) as queries:
            for path in services.STEP_RELATED:
                for prefix in _prefixes(path):
                    ours, expected = _related(mine, prefix), _related(theirs, prefix)
                    assert type(ours) is type(expected), prefix
                    if expected is not None:
                        assert _fields(ours) == _fields(expected), prefix  # type: ignore[arg-type]
        assert queries.captured_queries == []  # every related row was read with the instance


def _prefixes(path: str) -> list[str]:
    parts = path.split("__")
    return ["__".join(parts[: index + 1]) for index in range(len(parts))]


def _orm_reservation_instances(reservation_id: int) -> list[Instance]:
    return list(
        Instance.objects.unscoped()  # type: ignore[arg-type]
        .select_related(*services.STEP_RELATED)
        .annotate(booking_request_id=services.booking_request_id(OuterRef("reservation_id")))
        .filter(reservation_id=reservation_id)
        .order_by("index")
    )


def test_a_reservation_without_access_or_profile_reads_as_its_queryset(small_inventory, customer, make_quote):
    reservation = reservation_order(
        actor=ACTOR, organization=customer, quote=make_quote(flavor="b200-x4", count=2)
    ).reservation
    ReservationAccess.objects.unscoped().filter(reservation=reservation).delete()
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)

    with CaptureQueriesContext(connection) as queries:
        compiled = services.reservation_instances_starting(reservation_id=reservation.pk)

    assert len(queries.captured_queries) == 1
    assert [instance.index for instance in compiled] == [0, 1]
    _assert_same(compiled, _orm_reservation_instances(reservation.pk))
    assert _related(compiled[0], "reservation__access") is None
    assert _related(compiled[0], "reservation__organization__cloud_profile") is None


def test_a_reservation_with_access_and_a_profile_reads_as_its_queryset(small_inventory, customer, make_quote):
    owner = Membership.objects.for_organization(customer).get(role=Role.OWNER).user
    actor = Actor.for_user(owner)
    ssh_key_add(actor=actor, organization=customer, name="Laptop", public_key=keys.ed25519_key(), owner=owner)
    allowed_cidr_add(actor=actor, organization=customer, cidr="85.214.0.0/16")
    ngc_api_key_set(actor=actor, organization=customer, ngc_api_key="nvapi-" + "k" * 60)
    reservation = reservation_order(
        actor=actor,
        organization=customer,
        quote=make_quote(flavor="b200-x1", count=1, commitment="on_demand", item="nim-llama-3-1-8b-instruct"),
        public_address=True,
    ).reservation
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)

    compiled = services.reservation_instances_starting(reservation_id=reservation.pk)
    [expected] = _orm_reservation_instances(reservation.pk)

    _assert_same(compiled, [expected])
    assert compiled[0].booking_request_id == expected.booking_request_id  # type: ignore[attr-defined]
    access = _related(compiled[0], "reservation__access")
    assert isinstance(access, ReservationAccess)
    assert access.public_address is True
    assert isinstance(_related(compiled[0], "reservation__organization__cloud_profile"), CloudProfile)
    # The step's read of one instance: the same, without the annotation.
    [one] = services._STEP_INSTANCE(instance_id=expected.pk)
    _assert_same([one], list(Instance.objects.unscoped().select_related(*services.STEP_RELATED).filter(pk=expected.pk)))
    assert services._STEP_INSTANCE(instance_id=-1) == []
