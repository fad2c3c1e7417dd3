"""The cloud driver interface. Every call is idempotent: it first looks for what it would create.

Drivers: ``simulator`` (the embedded default, persistent in the database) and ``openstack`` (openstacksdk). Both
tag what they create so that a retried or duplicated task finds it instead of creating a second one:
projects with ``kontor-org-<organization id>``, servers with ``kontor-instance-<instance id>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class CloudError(Exception):
    """The cloud refused or failed a request. ``transient`` errors are worth retrying."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class CloudProject:
    id: str
    name: str


@dataclass(frozen=True)
class ServerSpec:
    """What to boot: one instance of a reservation."""

    project_id: str
    name: str
    tag: str  # kontor-instance-<id>: how the server is found again
    flavor: str  # the cloud's flavor name for the Kontor flavor
    image: str  # the cloud's base image name
    network: str  # the organization's network name
    ssh_public_keys: tuple[str, ...]  # every chosen key; cloud-init authorizes them all
    user_data: str  # cloud-init; contains secrets: never log it
    metadata: dict[str, str] = field(default_factory=dict)
    key_name: str = ""  # the Nova keypair (``ensure_keypair``) with the first chosen SSH key, if any
    security_groups: tuple[str, ...] = ()  # by name, made with ``ensure_security_group``


@dataclass(frozen=True)
class IngressRule:
    """TCP ``port`` open from ``cidr`` (IPv4)."""

    cidr: str
    port: int


@dataclass(frozen=True)
class CloudFloatingIp:
    id: str
    address: str
    tag: str  # kontor-instance-<id>: the instance it was made for
    project_id: str


# Server states as OpenStack Nova names them.
BUILD, ACTIVE, SHUTOFF, ERROR, DELETED = "BUILD", "ACTIVE", "SHUTOFF", "ERROR", "DELETED"


@dataclass(frozen=True)
class CloudServer:
    id: str
    name: str
    status: str
    tags: tuple[str, ...]
    address: str = ""  # the first fixed IPv4 address, once known
    fault: str = ""
    project_id: str = ""


class CloudDriver(Protocol):
    def ensure_project(self, *, organization_id: int, name: str) -> CloudProject:
        """Return the organization's project, creating it (with quotas) only if none is tagged with it."""
        ...

    def find_server(self, *, project_id: str, tag: str) -> CloudServer | None:
        """The server tagged ``tag`` in the project, if any (not deleted)."""
        ...

    def create_server(self, *, spec: ServerSpec) -> CloudServer:
        """Boot a server; returns at once (status BUILD). Callers look with ``find_server`` first."""
        ...

    def get_server(self, *, project_id: str, server_id: str) -> CloudServer | None:
        """The server's current state, or None if it no longer exists."""
        ...

    def delete_server(self, *, project_id: str, server_id: str) -> None:
        """Delete the server; deleting a server that is already gone is not an error."""
        ...

    def list_servers(self) -> list[CloudServer]:
        """Every server Kontor created (tagged ``kontor-instance-*``), in all projects: for reconciliation."""
        ...

    # --- access: keys, firewalls, public addresses, actions ---------------------------------------------------------
    def ensure_keypair(self, *, project_id: str, name: str, public_key: str) -> None:
        """A keypair ``name`` holding ``public_key`` (replaced if it holds another)."""
        ...

    def delete_keypair(self, *, project_id: str, name: str) -> None:
        """Remove the keypair; one that is gone already is not an error."""
        ...

    def ensure_security_group(self, *, project_id: str, name: str, rules: tuple[IngressRule, ...]) -> str:
        """A security group ``name`` whose ingress rules are exactly ``rules`` (missing ones added, others removed);
        returns its ID. Egress stays open."""
        ...

    def delete_security_group(self, *, project_id: str, name: str) -> None:
        """Remove the security group; one that is gone already is not an error."""
        ...

    def ensure_floating_ip(self, *, project_id: str, server_id: str, tag: str) -> CloudFloatingIp:
        """A floating IP tagged ``tag`` attached to the server, allocated only if none is tagged so."""
        ...

    def release_floating_ip(self, *, project_id: str, tag: str) -> None:
        """Release the floating IPs tagged ``tag``; none left is not an error."""
        ...

    def list_floating_ips(self) -> list[CloudFloatingIp]:
        """Every floating IP Kontor allocated (tagged ``kontor-instance-*``), in all projects: for reconciliation."""
        ...

    def delete_floating_ip(self, *, floating_ip_id: str) -> None:
        """Release one floating IP by ID (reconciliation)."""
        ...

    def reboot_server(self, *, project_id: str, server_id: str, hard: bool) -> None:
        """A soft (ACPI) or hard (power cycle) reboot."""
        ...

    def console_log(self, *, project_id: str, server_id: str, lines: int) -> str:
        """The last ``lines`` lines of the server's console output."""
        ...

    def set_server_metadata(self, *, project_id: str, server_id: str, metadata: dict[str, str]) -> None:
        """Set (add or replace) these keys of the server's metadata, which the server reads from the metadata
        service; other keys stay."""
        ...
