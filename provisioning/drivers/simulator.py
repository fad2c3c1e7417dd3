"""The embedded simulated region: persistent in the database, so it behaves like a real cloud across restarts and
between the web, worker and beat processes.

Servers boot for ``KONTOR_SIMULATOR["boot_seconds"]`` (BUILD), then are ACTIVE; with ``failure_rate`` a boot ends in
ERROR instead. Deleting is immediate. Everything is found again by its tag, never created twice.

Network access is simulated without state: keypairs and security groups are accepted (the simulated servers have
no firewall to program), a server's floating IP is derived from its ID in 198.51.100.0/24 (TEST-NET-2) and goes with
the server, so nothing can leak. A reboot boots the server again for ``boot_seconds``; the console log is a
synthetic boot log.
"""

from __future__ import annotations

import ipaddress
import random
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.prepared import PreparedQuery
from provisioning.drivers.base import (
    ACTIVE,
    BUILD,
    ERROR,
    CloudError,
    CloudFloatingIp,
    CloudProject,
    CloudServer,
    IngressRule,
    ServerSpec,
)
from provisioning.models import SimulatedProject, SimulatedServer

INSTANCE_TAG_PREFIX = "kontor-instance-"
_NETWORK = ipaddress.ip_network("10.128.0.0/10")
_PUBLIC = ipaddress.ip_network("198.51.100.0/24")


def _failure_counter_key() -> str:
    key = "kontor:simulator:create-failures"
    cache.add(key, 0, timeout=None)
    return key


def simulator_reset_failures() -> None:
    cache.delete("kontor:simulator:create-failures")


_BEHAVIOUR: ContextVar[Mapping[str, object] | None] = ContextVar("kontor_simulator_behaviour", default=None)


@contextmanager
def simulator_behaviour(**overrides: object) -> Iterator[None]:
    """Inside the block (this thread or task only), the simulator behaves as ``overrides`` say, on top of
    ``KONTOR_SIMULATOR``: seed_demo replays servers that booted back then (``boot_seconds=0``, no random failures)."""
    token = _BEHAVIOUR.set({**(_BEHAVIOUR.get() or {}), **overrides})
    try:
        yield
    finally:
        _BEHAVIOUR.reset(token)


def _settings() -> Mapping[str, object]:
    return {**settings.KONTOR_SIMULATOR, **(_BEHAVIOUR.get() or {})}


def _config(name: str, default: float) -> float:
    return float(_settings().get(name, default))  # type: ignore[arg-type]


def _as_cloud_server(server: SimulatedServer) -> CloudServer:
    if server.failed:
        status, fault = ERROR, "simulated boot failure: no valid host was found"
    else:
        status, fault = (ACTIVE if timezone.now() >= server.ready_at else BUILD), ""
    return CloudServer(
        id=server.server_id,
        name=server.name,
        status=status,
        tags=(server.tag,),
        address=server.address if status == ACTIVE else "",
        fault=fault,
        project_id=server.project_id,
    )


# Values no call uses: where the compiled reads below put the real ones.
# Every provisioning step looks up its project and its server (compiled once per process, ``core.prepared``).
_PROJECT_BY_TAG: PreparedQuery[SimulatedProject] = PreparedQuery(
    lambda tag: SimulatedProject.objects.filter(organization_tag=tag).order_by("pk")[:1], tag=str
)
_LIVE_SERVER_BY_TAG: PreparedQuery[SimulatedServer] = PreparedQuery(
    lambda project_id, tag: SimulatedServer.objects.filter(
        project_id=project_id, tag=tag, deleted_at__isnull=True
    ).order_by("pk")[:1],
    project_id=str,
    tag=str,
)


class SimulatorDriver:
    def ensure_project(self, *, organization_id: int, name: str) -> CloudProject:
        if _settings().get("fail_project_creation"):
            raise CloudError("simulated failure: the identity service refused to create the project")
        tag = f"kontor-org-{organization_id}"
        project = _PROJECT_BY_TAG.first(tag=tag)
        if project is None:
            try:
                with transaction.atomic():
                    project = SimulatedProject.objects.create(
                        project_id=uuid.uuid4().hex, name=name, organization_tag=tag
                    )
            except IntegrityError:  # a concurrent delivery of the same task created it first
                project = SimulatedProject.objects.get(organization_tag=tag)
        return CloudProject(id=project.project_id, name=project.name)

    def find_server(self, *, project_id: str, tag: str) -> CloudServer | None:
        server = _LIVE_SERVER_BY_TAG.first(project_id=project_id, tag=tag)
        return _as_cloud_server(server) if server is not None else None

    def create_server(self, *, spec: ServerSpec) -> CloudServer:
        if _settings().get("fail_creates_permanently"):
            raise CloudError("simulated failure: quota exceeded for instances", transient=False)
        failures_left = int(_config("fail_first_creates", 0))
        if failures_left and cache.incr(_failure_counter_key(), 1) <= failures_left:
            raise CloudError("simulated failure: the compute API answered 503")
        if random.random() < _config("api_failure_rate", 0.0):  # noqa: S311  # simulation, not security
            raise CloudError("simulated failure: the compute API answered 503")
        boot = timedelta(seconds=_config("boot_seconds", 0.0))
        server_id = uuid.uuid4().hex
        address = str(_NETWORK[int(uuid.UUID(server_id)) % (_NETWORK.num_addresses - 2) + 1])
        # One INSERT, a transaction of its own (no BEGIN and COMMIT around it); a savepoint only inside a caller's
        # transaction, which the IntegrityError must not break.
        try:
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                server = SimulatedServer.objects.create(
                    server_id=server_id,
                    project_id=spec.project_id,
                    name=spec.name,
                    tag=spec.tag,
                    flavor=spec.flavor,
                    address=address,
                    ready_at=timezone.now() + boot,
                    failed=random.random() < _config("boot_failure_rate", 0.0),  # noqa: S311
                )
        except IntegrityError:
            raise CloudError(f"a server tagged {spec.tag} exists already", transient=True) from None
        return _as_cloud_server(server)

    def get_server(self, *, project_id: str, server_id: str) -> CloudServer | None:
        server = SimulatedServer.objects.filter(
            project_id=project_id, server_id=server_id, deleted_at__isnull=True
        ).first()
        return _as_cloud_server(server) if server is not None else None

    def delete_server(self, *, project_id: str, server_id: str) -> None:
        SimulatedServer.objects.filter(project_id=project_id, server_id=server_id, deleted_at__isnull=True).update(
            deleted_at=timezone.now()
        )

    def list_servers(self) -> list[CloudServer]:
        return [
            _as_cloud_server(server)
            for server in SimulatedServer.objects.filter(deleted_at__isnull=True, tag__startswith=INSTANCE_TAG_PREFIX)
        ]

    # --- access ----------------------------------------------------------------------------------------------------
    def ensure_keypair(self, *, project_id: str, name: str, public_key: str) -> None:
        return None

    def delete_keypair(self, *, project_id: str, name: str) -> None:
        return None

    def ensure_security_group(self, *, project_id: str, name: str, rules: tuple[IngressRule, ...]) -> str:
        return f"sim-{name}"

    def delete_security_group(self, *, project_id: str, name: str) -> None:
        return None

    def _live(self, project_id: str, server_id: str) -> SimulatedServer:
        server = SimulatedServer.objects.filter(
            project_id=project_id, server_id=server_id, deleted_at__isnull=True
        ).first()
        if server is None:
            raise CloudError(f"the server {server_id} is gone", transient=False)
        return server

    def ensure_floating_ip(self, *, project_id: str, server_id: str, tag: str) -> CloudFloatingIp:
        self._live(project_id, server_id)
        address = str(_PUBLIC[int(uuid.UUID(server_id)) % (_PUBLIC.num_addresses - 2) + 1])
        return CloudFloatingIp(id=f"sim-fip-{server_id}", address=address, tag=tag, project_id=project_id)

    def release_floating_ip(self, *, project_id: str, tag: str) -> None:
        return None

    def list_floating_ips(self) -> list[CloudFloatingIp]:
        return []

    def delete_floating_ip(self, *, floating_ip_id: str) -> None:
        return None

    def reboot_server(self, *, project_id: str, server_id: str, hard: bool) -> None:
        server = self._live(project_id, server_id)
        boot = timedelta(seconds=_config("boot_seconds", 0.0))
        SimulatedServer.objects.filter(pk=server.pk).update(ready_at=timezone.now() + boot)

    def set_server_metadata(self, *, project_id: str, server_id: str, metadata: dict[str, str]) -> None:
        server = self._live(project_id, server_id)
        SimulatedServer.objects.filter(pk=server.pk).update(metadata={**server.metadata, **metadata})

    def console_log(self, *, project_id: str, server_id: str, lines: int) -> str:
        server = self._live(project_id, server_id)
        log = [
            f"[    0.000000] Linux version 6.8.0-nvidia (simulated {server.name})",
            "[    2.104512] nvidia: loading out-of-tree module taints kernel.",
            f"[    5.311200] cloud-init: {server.tag} up, address {server.address}",
            "[    9.870044] docker: kontor-workload started",
        ]
        return "\n".join(log[-lines:])
