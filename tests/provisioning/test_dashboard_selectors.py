"""The operator dashboard's reads of provisioning: failures of the last 7 days, stuck work, drift findings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import AvailabilityZone
from provisioning.models import DriftFinding, Instance
from provisioning.selectors import DriftSummary, FailedInstance, drift_summary, provisioning_health
from reservations.models import Reservation
from tenants.models import Organization
from tests.factories import DriftFindingFactory, InstanceFactory, OrganizationFactory, ReservationFactory

pytestmark = pytest.mark.django_db


def aged(model, obj, field: str, age: timedelta) -> None:
    manager = model.objects.unscoped() if hasattr(model.objects, "unscoped") else model.objects
    manager.filter(pk=obj.pk).update(**{field: timezone.now() - age})


def test_failures_of_the_last_seven_days_and_work_stuck_for_half_an_hour(
    customer, make_quote, django_assert_num_queries
):
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")

    def reservation(state: str, age: timedelta) -> Reservation:
        made = ReservationFactory.create(quote=make_quote(), zone=zone, state=state)
        aged(Reservation, made, "updated_at", age)
        return made

    failed = reservation("failed", timedelta(days=2))
    reservation("failed", timedelta(days=8))
    stuck = reservation("provisioning", timedelta(minutes=45))
    reservation("provisioning", timedelta(minutes=10))
    reservation("active", timedelta(days=3))
    failure = InstanceFactory.create(reservation=failed, state="failed", last_error="Quota exceeded for cores")
    aged(Instance, failure, "updated_at", timedelta(days=1))
    aged(Instance, InstanceFactory.create(reservation=failed, state="failed"), "updated_at", timedelta(days=9))
    aged(Instance, InstanceFactory.create(reservation=stuck, state="building"), "updated_at", timedelta(minutes=40))
    aged(Instance, InstanceFactory.create(reservation=stuck, state="building"), "updated_at", timedelta(minutes=5))
    activating = OrganizationFactory.create(status="provisioning")
    aged(Organization, activating, "updated_at", timedelta(hours=2))
    now = timezone.now()

    with django_assert_num_queries(4):
        health = provisioning_health(now=now)

    failure.refresh_from_db()
    activating.refresh_from_db()
    assert (health.since, health.stuck_before) == (now - timedelta(days=7), now - timedelta(minutes=30))
    assert (health.failed_instances, health.failed_reservations) == (1, 1)
    assert health.latest_failures == [
        FailedInstance(
            instance_id=failure.pk,
            reservation_id=failed.pk,
            organization_name="Rheinwerk Robotics GmbH",
            last_error="Quota exceeded for cores",
            failed_at=failure.updated_at,
        )
    ]
    assert (health.stuck_instances, health.stuck_reservations, health.stuck_organizations) == (1, 1, 1)
    assert health.oldest_stuck_since == activating.updated_at


def test_drift_findings_open_by_kind_and_found_lately(django_assert_num_queries):
    old = DriftFindingFactory.create(kind="orphan_server")
    DriftFinding.objects.filter(pk=old.pk).update(detected_at=timezone.now() - timedelta(days=10))
    DriftFindingFactory.create(kind="orphan_server")
    DriftFindingFactory.create(kind="missing_server", repaired=True)
    last = DriftFindingFactory.create(kind="leaked_floating_ip")

    with django_assert_num_queries(1):
        summary = drift_summary(now=timezone.now())

    assert summary == DriftSummary(
        open_by_kind={"orphan_server": 2, "missing_server": 0, "leaked_floating_ip": 1},
        detected_recently=3,
        last_detected_at=last.detected_at,
    )
    assert summary.open == 3
