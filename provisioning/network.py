"""How an instance's server is reached: its SSH keys, its firewall and its public address — made while it is
provisioned, removed when it is released, and found again by reconciliation when something leaked.

Names are deterministic, so a retried or duplicated task finds what a first one made: the keypair and the floating
IP carry the instance's tag (``kontor-instance-<id>``), the security group the reservation's
(``kontor-reservation-<id>``). Everything here is idempotent and runs outside database transactions (cloud calls).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from core.secrets import decrypt_secret
from core.statements import Statement, insert_statement
from provisioning.cloud_access import allowed_cidr_list
from provisioning.cloud_init import ServiceProxy
from provisioning.drivers import CloudDriver, get_driver
from provisioning.drivers.base import CloudServer, IngressRule
from provisioning.models import DriftFinding, DriftKind, Instance, InstanceAddress, InstanceState, ReservationAccess
from provisioning.service_endpoint import METADATA_KEY, PROXY_PORT, nginx_config, token_map

SSH_PORT = 22
SERVICE_PORT = 8000  # a container's own port: reachable from outside only when no proxy stands in front of it
LIVE_STATES = (InstanceState.PENDING, InstanceState.BUILDING, InstanceState.RUNNING)


def security_group_name(reservation_id: int) -> str:
    return f"kontor-reservation-{reservation_id}"


@dataclass(frozen=True)
class ServerAccess:
    """What the server is booted with: the keys cloud-init authorizes, the Nova keypair, the security groups."""

    ssh_public_keys: tuple[str, ...]
    key_name: str
    security_groups: tuple[str, ...]
    proxy: ServiceProxy | None = None


def server_access_prepare(
    *, driver: CloudDriver, instance: Instance, project_id: str, access: ReservationAccess | None
) -> ServerAccess:
    """Before the server is created: the keypair with the first chosen key (all of them go in through cloud-init)
    and, for a public address, the reservation's security group (SSH and the service port from each allowed
    network). Records which fingerprints the instance gets (one upsert)."""
    keys = list(access.ssh_keys) if access else []
    key_name = ""
    if keys:
        key_name = instance.tag
        driver.ensure_keypair(project_id=project_id, name=key_name, public_key=keys[0]["public_key"])
    groups: tuple[str, ...] = ()
    if access is not None and access.public_address:
        service_port = PROXY_PORT if access.has_secured_endpoint else SERVICE_PORT
        rules = tuple(
            IngressRule(cidr=cidr, port=port)
            for cidr in allowed_cidr_list(organization=instance.organization)
            for port in (SSH_PORT, service_port)
        )
        name = security_group_name(instance.reservation_id)
        driver.ensure_security_group(project_id=project_id, name=name, rules=rules)
        groups = (name,)
    proxy = None
    if access is not None and access.has_secured_endpoint:
        proxy = ServiceProxy(
            config=nginx_config(),
            token_map=token_map(token=decrypt_secret(access.service_token_encrypted)),
            certificate_pem=access.tls_certificate,
            private_key_pem=decrypt_secret(access.tls_key_encrypted),
            image=settings.KONTOR_SERVICE_PROXY_IMAGE,
            rotation_key=decrypt_secret(access.rotation_key_encrypted) if access.rotation_key_encrypted else "",
        )
    return ServerAccess(
        ssh_public_keys=tuple(key["public_key"] for key in keys), key_name=key_name, security_groups=groups, proxy=proxy
    )


def instance_fingerprints_statement(instance: Instance, access: ReservationAccess | None) -> Statement:
    """The upsert that records which SSH keys the instance's server was booted with, as a statement for the
    transaction that names the server to send with its move (``provisioning.services.instance_transition``'s
    ``also``). The same keys every time: they were chosen with the order."""
    row = InstanceAddress(
        organization_id=instance.organization_id,
        instance_id=instance.pk,
        ssh_fingerprints=[key["fingerprint"] for key in (access.ssh_keys if access else [])],
    )
    sql, params = insert_statement([row], prefix="address")
    assert isinstance(sql, str)  # insert_statement gives plain SQL
    return sql + _fingerprints_conflict_sql(), params


@functools.cache
def _fingerprints_conflict_sql() -> str:
    quote = connection.ops.quote_name
    columns = {field.name: quote(str(field.column)) for field in InstanceAddress._meta.concrete_fields}
    return (
        f" ON CONFLICT ({columns['instance']}) DO UPDATE SET {columns['ssh_fingerprints']} = "
        f"EXCLUDED.{columns['ssh_fingerprints']}, {columns['updated_at']} = EXCLUDED.{columns['updated_at']}"
    )


def server_metadata_for(access: ReservationAccess | None) -> dict[str, str]:
    """What the server's metadata carries for it: the sealed token after a rotation (so a server made later reads
    the same value its timer would)."""
    if access is None or not access.service_token_sealed:
        return {}
    return {METADATA_KEY: access.service_token_sealed}


def service_token_push(*, reservation_id: int) -> int:
    """Put the reservation's sealed token into the metadata of each of its servers that exists; their timers pick it
    up within about a minute. Idempotent: the sealed value is stored, so a second push writes the same. Returns how
    many servers got it."""
    access = ReservationAccess.objects.unscoped().select_related("organization").get(reservation_id=reservation_id)
    if not access.service_token_sealed:
        return 0
    driver = get_driver()
    project = driver.ensure_project(organization_id=access.organization_id, name=access.organization.slug)
    pushed = 0
    instances = Instance.objects.for_organization(access.organization).filter(
        reservation_id=reservation_id, state__in=(InstanceState.BUILDING, InstanceState.RUNNING)
    )
    for instance in instances.exclude(cloud_server_id=""):
        driver.set_server_metadata(
            project_id=project.id,
            server_id=instance.cloud_server_id,
            metadata={METADATA_KEY: access.service_token_sealed},
        )
        pushed += 1
    return pushed


def service_url_for(access: ReservationAccess | None, address: str) -> str:
    """``https://…:8443/`` behind the secured endpoint, the container's own ``http://…:8000/`` otherwise."""
    if access is not None and access.has_secured_endpoint:
        return f"https://{address}:{PROXY_PORT}/"
    return f"http://{address}:{SERVICE_PORT}/"


def instance_public_address_ensure(
    *, driver: CloudDriver, instance: Instance, project_id: str, server: CloudServer, access: ReservationAccess | None
) -> str:
    """Once the server is ACTIVE: its floating IP, if the order asked for a public address ("" otherwise)."""
    if access is None or not access.public_address:
        return ""
    floating = driver.ensure_floating_ip(project_id=project_id, server_id=server.id, tag=instance.tag)
    InstanceAddress.objects.bulk_create(
        [
            InstanceAddress(
                organization=instance.organization,
                instance=instance,
                public_address=floating.address,
                floating_ip_id=floating.id,
            )
        ],
        update_conflicts=True,
        unique_fields=["instance"],
        update_fields=["public_address", "floating_ip_id", "updated_at"],
    )
    return floating.address


def instance_network_release(*, instance_id: int) -> None:
    """After the server is gone: release its floating IP and keypair; when the reservation has no live instance
    left, remove its security group too. Safe to run again and concurrently for the instances of one reservation:
    each runs after its own instance was stopped, so the last one to look sees them all stopped."""
    instance = Instance.objects.unscoped().select_related("organization", "reservation").get(pk=instance_id)
    if instance.state != InstanceState.STOPPED:
        return
    driver = get_driver()
    project = driver.ensure_project(organization_id=instance.organization_id, name=instance.organization.slug)
    driver.release_floating_ip(project_id=project.id, tag=instance.tag)
    driver.delete_keypair(project_id=project.id, name=instance.tag)
    InstanceAddress.objects.for_organization(instance.organization).filter(instance=instance).exclude(
        floating_ip_id=""
    ).update(floating_ip_id="")
    live = (
        Instance.objects.for_organization(instance.organization)
        .filter(reservation_id=instance.reservation_id)
        .exclude(state=InstanceState.STOPPED)
    )
    if not live.exists():
        driver.delete_security_group(project_id=project.id, name=security_group_name(instance.reservation_id))


def reconcile_floating_ips(driver: CloudDriver) -> list[DriftFinding]:
    """Floating IPs whose instance is no longer live (released, failed, unknown) are released and reported once."""
    live_tags = {
        f"kontor-instance-{pk}"
        for pk in Instance.objects.unscoped().filter(state__in=LIVE_STATES).values_list("pk", flat=True)
    }
    findings: list[DriftFinding] = []
    for floating in driver.list_floating_ips():
        if floating.tag in live_tags:
            continue
        driver.delete_floating_ip(floating_ip_id=floating.id)
        instance_id = floating.tag.removeprefix("kontor-instance-")
        instance = Instance.objects.unscoped().filter(pk=int(instance_id)).first() if instance_id.isdigit() else None
        with transaction.atomic():
            finding, created = DriftFinding.objects.get_or_create(
                kind=DriftKind.LEAKED_FLOATING_IP,
                server_id=floating.id,
                defaults={
                    "instance": instance,
                    "detail": f"{floating.address} ({floating.tag}): no live instance; released",
                    "repaired": True,
                },
            )
            if instance is not None:
                InstanceAddress.objects.unscoped().filter(instance=instance, floating_ip_id=floating.id).update(
                    floating_ip_id=""
                )
        if created:
            findings.append(finding)
    return findings
