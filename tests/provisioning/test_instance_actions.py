"""Reboot and console log through the API, on the openstack driver against the fake cloud: audited, refused with the
reason when the instance is not running, and another organization's instance is a 404."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from provisioning import services
from reservations.choices import ReservationState
from reservations.services import reservation_release
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import AuditEvent
from tests.factories import OrganizationFactory
from tests.provisioning.test_network_access import cloud, order, orderer, provision

__all__ = ["cloud", "orderer"]
pytestmark = pytest.mark.django_db


@pytest.fixture
def running(cloud, small_inventory, customer, orderer, make_quote):
    reservation = order(customer, orderer, make_quote, ssh_key_ids=[])
    provision(reservation)
    assert reservation.state == ReservationState.ACTIVE
    client = APIClient()
    client.force_authenticate(orderer)
    return reservation, client


def actions(organization):
    return list(
        AuditEvent.objects.for_organization(organization)
        .filter(action__in=["instance.rebooted", "instance.console_log_read"])
        .order_by("id")
        .values_list("action", "data")
    )


def test_soft_and_hard_reboot_reach_nova_and_are_audited(cloud, running, customer):
    reservation, client = running
    base = f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/instances"

    soft = client.post(f"{base}/0/reboot/", {}, format="json")
    hard = client.post(f"{base}/1/reboot/", {"hard": True}, format="json")

    assert (soft.status_code, hard.status_code) == (202, 202)
    servers = [i.cloud_server_id for i in reservation.instances.order_by("index")]
    assert cloud.actions == [(servers[0], "reboot", "SOFT"), (servers[1], "reboot", "HARD")]
    assert actions(customer) == [("instance.rebooted", {"hard": False}), ("instance.rebooted", {"hard": True})]


def test_the_console_log_returns_the_last_lines(cloud, running, customer):
    reservation, client = running

    response = client.get(
        f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/instances/0/console-log/?lines=2"
    )

    assert response.status_code == 200
    assert response.json() == {
        "lines": 2,
        "output": "[    99.000000] boot line 99\n[    100.000000] boot line 100",
    }
    assert actions(customer) == [("instance.console_log_read", {"lines": 2})]


def test_a_stopped_instance_cannot_be_rebooted_and_nothing_happens(cloud, running, customer, orderer):
    reservation, client = running
    reservation_release(actor=Actor.for_user(orderer), reservation=reservation)
    for instance in reservation.instances.all():
        services.instance_deprovision_step(instance_id=instance.pk)

    response = client.post(
        f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/instances/0/reboot/", {}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "A reboot needs a running instance; this one is stopped."
    assert cloud.actions == []
    assert actions(customer) == []


def test_too_many_lines_are_refused(cloud, running, customer):
    reservation, client = running

    response = client.get(
        f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/instances/0/console-log/?lines=5000"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["lines"]
    assert cloud.actions == []


def test_another_organizations_instance_is_a_404_and_nothing_happens(cloud, running, customer, member_of):
    reservation, _client = running
    stranger = member_of(OrganizationFactory.create(slug="delft", legal_name="Delft B.V."), Role.OWNER)
    client = APIClient()
    client.force_authenticate(stranger)
    base = f"/api/v1/organizations/delft/reservations/{reservation.pk}/instances/0"

    console = client.get(f"{base}/console-log/")
    reboot = client.post(f"{base}/reboot/", {}, format="json")
    foreign_slug = client.get(f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/instances/0/console-log/")

    assert (console.status_code, reboot.status_code, foreign_slug.status_code) == (404, 404, 404)
    assert cloud.actions == []
    assert actions(customer) == []


def test_a_viewer_may_not_reboot(cloud, running, customer, member_of):
    reservation, _client = running
    client = APIClient()
    client.force_authenticate(member_of(customer, Role.VIEWER))

    response = client.post(
        f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/instances/0/reboot/", {}, format="json"
    )

    assert response.status_code == 403
    assert cloud.actions == []
