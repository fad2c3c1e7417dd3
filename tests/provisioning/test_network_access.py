"""Network access end to end on the openstack driver against the fake cloud: an order with SSH keys and a public
address gets exactly one keypair per instance, one floating IP and the security-group rules for the allowed
networks; releasing removes all of them; reconciliation releases a leaked floating IP."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from portal.celery import app as celery_app
from provisioning import services
from provisioning.cloud_access import allowed_cidr_add, ngc_api_key_set, reservation_order
from provisioning.models import DriftFinding, DriftKind, Instance, InstanceAddress, InstanceState, ReservationAccess
from provisioning.network import instance_network_release
from provisioning.tasks import deprovision_instance_task, provision_instance_task
from reservations.choices import ReservationState
from reservations.models import Reservation
from reservations.services import reservation_release, reservation_transition
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import AuditEvent, Membership, SshKey
from tenants.services import ssh_key_add
from tests.provisioning import keys
from tests.provisioning.fake_openstack import FakeOpenStack
from tests.provisioning.test_openstack_driver import options_for

pytestmark = pytest.mark.django_db
NGC = "nvapi-" + "k" * 60


@pytest.fixture
def cloud(settings: Any) -> Iterator[FakeOpenStack]:
    fake = FakeOpenStack(build_polls=2, poll_on_list=True).start()
    settings.KONTOR_CLOUD_DRIVER = "openstack"
    settings.KONTOR_OPENSTACK = options_for(fake.url)
    yield fake
    fake.stop()


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Tasks that a task enqueues run in place, as a worker would run them next."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def orderer(customer):
    return Membership.objects.for_organization(customer).get(role=Role.OWNER).user


def order(customer, orderer, make_quote, **access: Any) -> Reservation:
    quote = make_quote(flavor="b200-x1", count=2, commitment="on_demand", item="nim-llama-3-1-8b-instruct")
    booking = reservation_order(actor=Actor.for_user(orderer), organization=customer, quote=quote, **access)
    return booking.reservation


def provision(reservation: Reservation) -> list[int]:
    reservation_transition(actor=Actor.system("test"), reservation=reservation, to_state=ReservationState.PROVISIONING)
    instance_ids = services.reservation_start_provisioning(reservation_id=reservation.pk)
    for instance_id in instance_ids:
        provision_instance_task.apply(args=(instance_id,))
        provision_instance_task.apply(args=(instance_id,))  # delivered twice: nothing more is made
    reservation.refresh_from_db()
    return instance_ids


def test_a_public_nim_gets_one_keypair_one_floating_ip_each_and_the_rules_and_release_removes_them(
    cloud, eager_tasks, small_inventory, customer, orderer, make_quote
):
    actor = Actor.for_user(orderer)
    mine = ssh_key_add(actor=actor, organization=customer, name="Laptop", public_key=keys.ed25519_key(), owner=orderer)
    shared = ssh_key_add(actor=actor, organization=customer, name="CI", public_key=keys.ecdsa_key(), owner=None)
    allowed_cidr_add(actor=actor, organization=customer, cidr="85.214.0.0/16")
    ngc_api_key_set(actor=actor, organization=customer, ngc_api_key=NGC)

    reservation = order(customer, orderer, make_quote, public_address=True)
    instance_ids = provision(reservation)

    assert reservation.state == ReservationState.ACTIVE
    instances = list(Instance.objects.for_organization(customer).filter(reservation=reservation).order_by("index"))
    # The orderer's key and the organization's, in the order of their names; the first goes into the keypair.
    fingerprints = [shared.fingerprint, mine.fingerprint]
    assert (
        ReservationAccess.objects.for_organization(customer).get(reservation=reservation).fingerprints == fingerprints
    )
    assert sorted(cloud.keypairs) == sorted(instance.tag for instance in instances)
    assert {k["public_key"] for k in cloud.keypairs.values()} == {shared.public_key}
    assert cloud.counts["POST /compute/os-keypairs"] == 2
    group_name = f"kontor-reservation-{reservation.pk}"
    [group] = cloud.security_groups.values()
    assert (group["name"], cloud.counts["POST /network/v2.0/security-groups"]) == (group_name, 1)
    ingress = sorted(
        (r["remote_ip_prefix"], r["port_range_min"], r["port_range_max"], r["protocol"])
        for r in cloud.security_group_rules.values()
        if r["direction"] == "ingress"
    )
    assert ingress == [("85.214.0.0/16", 22, 22, "tcp"), ("85.214.0.0/16", 8443, 8443, "tcp")]  # SSH, the TLS proxy
    assert cloud.counts["POST /network/v2.0/floatingips"] == 2
    assert len(cloud.floating_ips) == 2
    for body, instance in zip(cloud.create_bodies, instances, strict=True):
        assert body["server"]["key_name"] == instance.tag
        assert body["server"]["security_groups"] == [{"name": group_name}]
        config = yaml.safe_load(base64.b64decode(body["server"]["user_data"]))
        assert config["ssh_authorized_keys"] == [shared.public_key, mine.public_key]
        assert "--env-file" in config["runcmd"][2]  # a NIM gets NGC_API_KEY inside the container
        assert "127.0.0.1:8000:8000" in config["runcmd"][2]  # reachable only through the TLS proxy
    addresses = {
        a.instance_id: a for a in InstanceAddress.objects.for_organization(customer).filter(instance__in=instances)
    }
    by_tag = {ip["description"]: ip for ip in cloud.floating_ips.values()}
    for instance in instances:
        network = addresses[instance.pk]
        assert network.public_address == by_tag[instance.tag]["floating_ip_address"]
        assert network.floating_ip_id == by_tag[instance.tag]["id"]
        assert network.ssh_fingerprints == fingerprints
        assert instance.service_url == f"https://{network.public_address}:8443/"

    client = APIClient()
    client.force_authenticate(orderer)
    detail = client.get(f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/").json()
    assert [i["ssh_command"] for i in detail["instances"]] == [
        f"ssh ubuntu@{addresses[instance.pk].public_address}" for instance in instances
    ]
    assert detail["instances"][0]["ssh_key_fingerprints"] == fingerprints
    access = ReservationAccess.objects.for_organization(customer).get(reservation=reservation)
    assert detail["access"] == {
        "public_address": True,
        "secured_endpoint": True,
        "tls_fingerprint": access.tls_fingerprint,
        "ssh_keys": [
            {"name": "CI", "fingerprint": shared.fingerprint},
            {"name": "Laptop", "fingerprint": mine.fingerprint},
        ],
    }

    reservation_release(actor=actor, reservation=reservation)
    for instance_id in instance_ids:
        deprovision_instance_task.apply(args=(instance_id,))
        deprovision_instance_task.apply(args=(instance_id,))

    reservation.refresh_from_db()
    assert reservation.state == ReservationState.ENDED
    assert (cloud.servers, cloud.floating_ips, cloud.keypairs) == ({}, {}, {})
    assert (cloud.security_groups, cloud.security_group_rules) == ({}, {})
    assert cloud.counts["DELETE /network/v2.0/floatingips/{id}"] == 2
    assert cloud.counts["DELETE /network/v2.0/security-groups/{id}"] == 1
    assert list(InstanceAddress.objects.for_organization(customer).values_list("floating_ip_id", flat=True)) == ["", ""]


def test_a_private_order_gets_no_floating_ip_and_no_security_group(
    cloud, small_inventory, customer, orderer, make_quote
):
    ssh_key_add(
        actor=Actor.for_user(orderer),
        organization=customer,
        name="Laptop",
        public_key=keys.ed25519_key(),
        owner=orderer,
    )

    reservation = order(customer, orderer, make_quote, ssh_key_ids=[])
    provision(reservation)

    assert reservation.state == ReservationState.ACTIVE
    assert (cloud.floating_ips, cloud.security_groups, cloud.keypairs) == ({}, {}, {})
    assert all("key_name" not in body["server"] for body in cloud.create_bodies)
    assert all("security_groups" not in body["server"] for body in cloud.create_bodies)
    addresses = InstanceAddress.objects.for_organization(customer).values_list("public_address", "ssh_fingerprints")
    assert list(addresses) == [("", []), ("", [])]


def test_another_members_key_or_a_public_address_without_allowed_networks_is_refused_and_nothing_is_booked(
    small_inventory, customer, orderer, make_quote, member_of
):
    colleague = member_of(customer, Role.MEMBER)
    theirs = ssh_key_add(
        actor=Actor.for_user(colleague),
        organization=customer,
        name="Theirs",
        public_key=keys.rsa_key(),
        owner=colleague,
    )

    with pytest.raises(ValidationError) as foreign:
        order(customer, orderer, make_quote, ssh_key_ids=[theirs.pk])
    with pytest.raises(ValidationError) as public:
        order(customer, orderer, make_quote, ssh_key_ids=[], public_address=True)

    assert foreign.value.message_dict == {"ssh_keys": [f"There is no SSH key {theirs.pk} you can use."]}
    assert public.value.message_dict == {
        "public_address": [
            "Allow at least one network first: a public address is reachable only from allowed networks."
        ]
    }
    assert not Reservation.objects.for_organization(customer).exists()
    assert not ReservationAccess.objects.for_organization(customer).exists()
    assert SshKey.objects.for_organization(customer).count() == 1


def test_reconciliation_releases_a_leaked_floating_ip_once(cloud, small_inventory, customer, orderer, make_quote):
    allowed_cidr_add(actor=Actor.for_user(orderer), organization=customer, cidr="85.214.0.0/16")
    reservation = order(customer, orderer, make_quote, public_address=True, ssh_key_ids=[])
    instance_ids = provision(reservation)
    reservation_release(actor=Actor.for_user(orderer), reservation=reservation)
    for instance_id in instance_ids:  # the servers go, but the messages that would release the network are lost
        services.instance_deprovision_step(instance_id=instance_id)
        services.instance_deprovision_step(instance_id=instance_id)
    assert len(cloud.floating_ips) == 2

    findings = services.reconcile()
    again = services.reconcile()

    assert cloud.floating_ips == {}
    assert sorted((f.kind, f.repaired) for f in findings) == [(DriftKind.LEAKED_FLOATING_IP, True)] * 2
    assert again == []
    assert DriftFinding.objects.filter(kind=DriftKind.LEAKED_FLOATING_IP).count() == 2
    for instance_id in instance_ids:  # a late delivery of the lost message finds nothing left to do
        instance_network_release(instance_id=instance_id)
    assert cloud.security_groups == {}
    assert Instance.objects.unscoped().filter(state=InstanceState.STOPPED).count() == 2


def test_the_service_token_is_revealed_on_demand_audited_and_is_the_one_the_proxy_requires(
    cloud, small_inventory, customer, orderer, make_quote, member_of
):
    allowed_cidr_add(actor=Actor.for_user(orderer), organization=customer, cidr="85.214.0.0/16")
    reservation = order(customer, orderer, make_quote, public_address=True, ssh_key_ids=[])
    provision(reservation)
    viewer = APIClient()
    viewer.force_authenticate(member_of(customer, Role.VIEWER))
    client = APIClient()
    client.force_authenticate(orderer)
    path = f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/service-token/"

    refused = viewer.post(path)
    revealed = client.post(path).json()

    assert refused.status_code == 403
    token = revealed["token"]
    user_data = base64.b64decode(cloud.create_bodies[0]["server"]["user_data"]).decode()
    config = yaml.safe_load(user_data)
    [token_file] = [f["content"] for f in config["write_files"] if f["path"] == "/etc/kontor/proxy/token.map"]
    assert token_file == f'"Bearer {token}" 1;\n'
    access = ReservationAccess.objects.for_organization(customer).get(reservation=reservation)
    assert token not in access.service_token_encrypted
    assert revealed["tls_fingerprint"] == access.tls_fingerprint
    first = Instance.objects.for_organization(customer).get(reservation=reservation, index=0)
    assert revealed["curl"].endswith(f'-H "Authorization: Bearer {token}" {first.service_url}v1/models')
    assert revealed["curl"].startswith('curl -k --pinnedpubkey "sha256//')
    events = AuditEvent.objects.for_organization(customer).filter(action="reservation.service_token_revealed")
    assert events.count() == 1
    assert token not in str(list(AuditEvent.objects.unscoped().values_list("data", flat=True)))
