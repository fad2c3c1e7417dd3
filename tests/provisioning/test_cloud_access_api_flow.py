"""The issue's API walk-through, with an API key only and documented endpoints: add an SSH key and an allowed
network, quote and order a NIM with a public address, watch it go active (the workers' steps run in place), read the
SSH command, the fingerprint and the https service URL, reveal the token, release — and the fake OpenStack received
exactly one keypair, one floating IP and the rules for that network, and has none of them left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from provisioning import services
from provisioning.tasks import deprovision_instance_task, provision_instance_task
from reservations.choices import ReservationState
from reservations.models import Reservation
from reservations.services import reservation_transition
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import Membership
from tenants.services import api_key_create
from tests.provisioning import keys
from tests.provisioning.test_network_access import cloud, eager_tasks

__all__ = ["cloud", "eager_tasks"]
pytestmark = pytest.mark.django_db
BASE = "/api/v1/organizations/rheinwerk"


def test_the_whole_flow_through_the_api_with_a_cloud_write_key(cloud, eager_tasks, small_inventory, customer):
    owner = Membership.objects.for_organization(customer).get(role=Role.OWNER).user
    _key, token = api_key_create(
        actor=Actor.for_user(owner),
        organization=customer,
        name="Automation",
        scopes=["cloud:write", "catalog:read", "reservations:write"],
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    public_key = keys.ed25519_key()

    key = api.post(f"{BASE}/ssh-keys/", {"name": "Automation", "public_key": public_key}, format="json").json()
    assert api.post(f"{BASE}/allowed-cidrs/", {"cidr": "85.214.0.0/16"}, format="json").status_code == 201
    start = (timezone.now() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    quote = api.post(
        f"{BASE}/quotes/",
        {
            "item": "nim-llama-3-1-8b-instruct",
            "version": "1.8.6",
            "flavor": "b200-x1",
            "instance_count": 1,
            "commitment": "on_demand",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=24)).isoformat(),
        },
        format="json",
    )
    assert quote.status_code == 201, quote.json()
    ordered = api.post(f"{BASE}/reservations/", {"quote": quote.json()["id"], "public_address": True}, format="json")
    assert ordered.status_code == 201, ordered.json()
    reservation_id = ordered.json()["id"]

    # What the beat and the workers do, in place.
    reservation = Reservation.objects.for_organization(customer).get(pk=reservation_id)
    if reservation.state != ReservationState.PROVISIONING:
        reservation_transition(
            actor=Actor.system("test"), reservation=reservation, to_state=ReservationState.PROVISIONING
        )
    for instance_id in services.reservation_start_provisioning(reservation_id=reservation_id):
        provision_instance_task.apply(args=(instance_id,))

    detail = api.get(f"{BASE}/reservations/{reservation_id}/").json()
    assert detail["state"] == "active"
    [instance] = detail["instances"]
    [floating] = cloud.floating_ips.values()
    assert instance["public_address"] == floating["floating_ip_address"]
    assert instance["ssh_command"] == f"ssh ubuntu@{floating['floating_ip_address']}"
    assert instance["ssh_key_fingerprints"] == [key["fingerprint"]]
    assert instance["service_url"] == f"https://{floating['floating_ip_address']}:8443/"
    assert detail["access"]["secured_endpoint"] is True
    revealed = api.post(f"{BASE}/reservations/{reservation_id}/service-token/").json()
    assert revealed["token"].startswith("kse_")
    assert list(cloud.keypairs) == [f"kontor-instance-{reservation.instances.get().pk}"]
    assert cloud.counts["POST /network/v2.0/floatingips"] == 1
    ingress = sorted(
        (r["remote_ip_prefix"], r["port_range_min"])
        for r in cloud.security_group_rules.values()
        if r["direction"] == "ingress"
    )
    assert ingress == [("85.214.0.0/16", 22), ("85.214.0.0/16", 8443)]

    released = api.post(f"{BASE}/reservations/{reservation_id}/release/")
    assert released.status_code == 200
    for instance_id in services.reservation_instances_to_stop(reservation_id=reservation_id):
        deprovision_instance_task.apply(args=(instance_id,))

    assert api.get(f"{BASE}/reservations/{reservation_id}/").json()["state"] == "ended"
    assert (cloud.servers, cloud.floating_ips, cloud.keypairs, cloud.security_groups) == ({}, {}, {}, {})
