"""The ``openstack`` cloud driver: Keystone projects, Nova servers and Neutron networks through openstacksdk.

Configured by ``settings.KONTOR_OPENSTACK``. The service user is an admin: it creates one project per organization
(tagged and named ``kontor-org-<organization id>``), gives itself ``project_role`` there, sets the project's Nova
quotas and creates its network and subnet (``<network_prefix><organization id>``). Servers are booted with a token
scoped to the organization's project (Nova creates a server in the token's project) and found again by their tag
(``kontor-instance-<instance id>``), listed with the admin token across projects (``all_tenants``).

Errors become ``CloudError``; ``transient`` says whether retrying can help:

========================================================  ==========  ==============================================
what went wrong                                           transient   why
========================================================  ==========  ==============================================
no connection, connection reset, timeout                  yes         the cloud or the path to it is down for a while
HTTP 5xx                                                  yes         the cloud failed, not the request
HTTP 408, 409, 429                                        yes         timed out, busy (task state), rate limited
HTTP 413 / 403 "Quota exceeded" / 403 "exceeds quota"     no          an operator must raise the quota first
HTTP 400, 401, 403, 404 (elsewhere), other 4xx            no          the request or our configuration is wrong
no endpoint in the catalog, discovery failed, bad config  no          configuration (discovery that failed because
                                                                      the cloud was unreachable counts as above)
========================================================  ==========  ==============================================

``get_server`` answers None and ``delete_server`` nothing for a 404. ``user_data`` is never logged: it holds the NGC
API key.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from keystoneauth1 import exceptions as ks_exceptions
from openstack import config as os_config
from openstack import exceptions as os_exceptions
from openstack.connection import Connection
from openstack.identity.v3._proxy import Proxy as IdentityV3

from provisioning.drivers.base import (
    CloudError,
    CloudFloatingIp,
    CloudProject,
    CloudServer,
    IngressRule,
    ServerSpec,
)

logger = logging.getLogger(__name__)

PROJECT_TAG_PREFIX = "kontor-org-"
SERVER_TAG_PREFIX = "kontor-instance-"
TRANSIENT_STATUS = frozenset({408, 409, 429})
QUOTA_MARKERS = ("quota exceeded", "exceeds quota", "quota_exceeded", "overlimit")


class RedactUserData(logging.Filter):
    """Blank user data in keystoneauth's DEBUG request and response logs: it holds the NGC API key.

    keystoneauth logs every request body (``REQ: curl ... -d '{...}'``) and response body at DEBUG; Nova's POST
    /servers carries ``user_data`` and an admin's GET /servers/{id} returns ``OS-EXT-SRV-ATTR:user_data``.
    """

    pattern = re.compile(r'("(?:OS-EXT-SRV-ATTR:)?user_data"\s*:\s*)"[^"]*"')

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "user_data" in message:
            record.msg, record.args = self.pattern.sub(r'\1"<redacted>"', message), ()
        return True


# Filters on a logger see only the records logged on it, so each of keystoneauth's body loggers gets one.
for _name in ("keystoneauth.session", "keystoneauth.session.request", "keystoneauth.session.response"):
    _logger = logging.getLogger(_name)
    if not any(isinstance(existing, RedactUserData) for existing in _logger.filters):
        _logger.addFilter(RedactUserData())


def cloud_flavor_name(kontor_flavor: str) -> str:
    """The cloud's flavor name for a Kontor flavor slug (``settings.KONTOR_OPENSTACK["flavor_map"]``)."""
    try:
        return str(settings.KONTOR_OPENSTACK["flavor_map"][kontor_flavor])
    except KeyError:
        raise CloudError(f"no cloud flavor is mapped to the Kontor flavor {kontor_flavor!r}", transient=False) from None


def _is_quota_error(status: int, message: str) -> bool:
    lowered = message.lower()
    return status == 413 or (status == 403 and any(marker in lowered for marker in QUOTA_MARKERS))


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """Turn openstacksdk and keystoneauth failures of ``action`` into ``CloudError``."""
    try:
        yield
    except CloudError:
        raise
    except os_exceptions.HttpException as exc:
        status = exc.status_code or 0
        detail = f"{exc.details or exc.message}".strip()
        quota = _is_quota_error(status, detail)
        transient = not quota and (status >= 500 or status in TRANSIENT_STATUS)
        kind = "quota exceeded" if quota else f"HTTP {status}"
        raise CloudError(f"{action}: {kind}: {detail}", transient=transient) from exc
    except ks_exceptions.HttpError as exc:  # raised by keystoneauth itself, e.g. while authenticating
        status = exc.http_status or 0
        transient = status >= 500 or status in TRANSIENT_STATUS
        raise CloudError(f"{action}: HTTP {status}: {exc.message}", transient=transient) from exc
    except (ks_exceptions.ConnectionError, ks_exceptions.RetriableConnectionFailure) as exc:
        # ConnectFailure, ConnectTimeout, SSLError, and read timeouts (ConnectTimeout's sibling, also retriable).
        raise CloudError(f"{action}: cannot reach the cloud: {exc}", transient=True) from exc
    except (ks_exceptions.ClientException, os_exceptions.SDKException) as exc:
        # No endpoint, failed discovery, bad auth configuration: retrying will not change the answer, unless the
        # failure was caused by an unreachable cloud (keystoneauth raises DiscoveryFailure while handling that).
        transient = _caused_by_connection_error(exc)
        reason = "cannot reach the cloud: " if transient else ""
        raise CloudError(f"{action}: {reason}{exc}", transient=transient) from exc


def _caused_by_connection_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, (ks_exceptions.ConnectionError, ks_exceptions.RetriableConnectionFailure)):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _to_cloud_server(server: Any, *, project_id: str = "") -> CloudServer:
    fault = server.fault or {}
    return CloudServer(
        id=server.id,
        name=server.name or "",
        status=server.status or "BUILD",  # the create response carries no status: Nova has just accepted the build
        tags=tuple(server.tags or ()),
        address=_first_fixed_ipv4(server.addresses or {}),
        fault=str(fault.get("message", "")) if isinstance(fault, dict) else "",
        project_id=server.project_id or project_id,
    )


def _first_fixed_ipv4(addresses: dict[str, list[dict[str, Any]]]) -> str:
    for network in addresses.values():
        for address in network:
            if address.get("version") == 4 and address.get("OS-EXT-IPS:type", "fixed") == "fixed":
                return str(address["addr"])
    return ""


#: Seconds a converged project is taken as it was left (``project_reuse_seconds`` in ``KONTOR_OPENSTACK``).
PROJECT_REUSE_SECONDS = 300.0


class OpenStackDriver:
    """One driver per worker process (``provisioning.drivers.get_driver``): it holds an admin connection and one
    connection per project it boots servers in (keystoneauth sessions: the token is reused until it is about to
    expire, and a 401 re-authenticates once), and remembers the projects it converged.

    ``ensure_project`` converges an organization's project (a dozen requests) once per ``project_reuse_seconds``
    and answers from memory in between; a cloud error in a call about that project forgets it, so the next step
    converges again (a network an operator deleted is made again then, as before)."""

    def __init__(self, *, options: dict[str, Any] | None = None) -> None:
        self.options: dict[str, Any] = options if options is not None else settings.KONTOR_OPENSTACK
        self._admin: Connection | None = None
        self._scoped: dict[str, Connection] = {}
        self._converged: dict[int, tuple[CloudProject, float]] = {}  # organization ID → project, when converged

    # --- connections ---------------------------------------------------------------------------------------------
    def _connect(self, **scope: str) -> Connection:
        options = self.options
        region = os_config.get_cloud_region(
            load_yaml_config=False,  # settings are the only source: no clouds.yaml, no OS_* variables
            load_envvars=False,
            app_name="kontor",
            auth_type="password",
            auth={
                "auth_url": options["auth_url"],
                "username": options["username"],
                "password": options["password"],
                "user_domain_name": options["user_domain_name"],
                **scope,
            },
            region_name=options["region_name"],
            interface=options["interface"],
            identity_api_version="3",
            api_timeout=options.get("timeout", 30.0),
        )
        return Connection(config=region)

    @property
    def admin(self) -> Connection:
        if self._admin is None:
            self._admin = self._connect(
                project_name=self.options["project_name"], project_domain_name=self.options["project_domain_name"]
            )
        return self._admin

    def _in_project(self, project_id: str) -> Connection:
        if project_id not in self._scoped:
            self._scoped[project_id] = self._connect(project_id=project_id)
        return self._scoped[project_id]

    @property
    def identity(self) -> IdentityV3:
        identity = self.admin.identity
        if not isinstance(identity, IdentityV3):  # we ask for v3 (identity_api_version); v2 has no tags or domains
            raise CloudError("the identity service does not speak Keystone v3", transient=False)
        return identity

    # --- projects ------------------------------------------------------------------------------------------------
    def ensure_project(self, *, organization_id: int, name: str) -> CloudProject:
        converged = self._converged.get(organization_id)
        reuse = float(self.options.get("project_reuse_seconds", PROJECT_REUSE_SECONDS))
        if converged is not None and time.monotonic() - converged[1] < reuse:
            return converged[0]
        tag = f"{PROJECT_TAG_PREFIX}{organization_id}"
        with _translated(f"ensure project {tag}"):
            identity = self.identity
            domain = identity.find_domain(self.options["project_domain_name"], ignore_missing=False)
            project = self._find_project(tag=tag, domain_id=domain.id)
            if project is None:
                try:
                    project = identity.create_project(
                        name=tag, domain_id=domain.id, tags=[tag], description=f"Kontor organization: {name}"
                    )
                    logger.info("openstack.project_created", extra={"project_id": project.id, "tag": tag})
                except os_exceptions.ConflictException:  # a concurrent delivery of the same task created it first
                    project = self._find_project(tag=tag, domain_id=domain.id)
                    if project is None:
                        raise
            self._converge_project(project_id=project.id, organization_id=organization_id)
            cloud_project = CloudProject(id=project.id, name=project.name)
        self._converged[organization_id] = (cloud_project, time.monotonic())
        return cloud_project

    def forget_project(self, project_id: str) -> None:
        """The next ``ensure_project`` of the project's organization converges it again."""
        for organization_id, (project, _at) in list(self._converged.items()):
            if project.id == project_id:
                del self._converged[organization_id]

    @contextmanager
    def _about(self, project_id: str, action: str) -> Iterator[None]:
        """``_translated``; a failure forgets the project (``forget_project``)."""
        try:
            with _translated(action):
                yield
        except CloudError:
            self.forget_project(project_id)
            raise

    def _find_project(self, *, tag: str, domain_id: str) -> Any:
        identity = self.identity
        tagged = list(identity.projects(tags=tag))
        if tagged:
            return tagged[0]
        return next(iter(identity.projects(name=tag, domain_id=domain_id)), None)

    def _converge_project(self, *, project_id: str, organization_id: int) -> None:
        """Role, quotas, network and subnet: each call is idempotent, so a retried task completes a partial one."""
        conn = self.admin
        user_id = conn.current_user_id
        if user_id is None:
            raise CloudError("the cloud's token names no user", transient=False)
        role = self.identity.find_role(self.options.get("project_role", "member"), ignore_missing=False)
        self.identity.assign_project_role_to_user(project_id, user_id, role)
        conn.compute.update_quota_set(project_id, **self.options["quotas"])
        network_name = f"{self.options['network_prefix']}{organization_id}"
        network = next(iter(conn.network.networks(name=network_name, project_id=project_id)), None)
        if network is None:
            network = conn.network.create_network(name=network_name, project_id=project_id)
        if not list(conn.network.subnets(network_id=network.id)):
            conn.network.create_subnet(
                name=network_name,
                network_id=network.id,
                project_id=project_id,
                ip_version=4,
                cidr=self.options.get("subnet_cidr", "10.0.0.0/24"),
            )
        self._converge_router(project_id=project_id, network_name=network_name, network_id=network.id)

    def _external_network(self) -> Any:
        name = self.options.get("external_network", "")
        if not name:
            return None
        network = next(iter(self.admin.network.networks(name=name)), None)
        if network is None:
            raise CloudError(f"the cloud has no external network named {name!r}", transient=False)
        return network

    def _converge_router(self, *, project_id: str, network_name: str, network_id: str) -> None:
        """The router that connects the organization's subnet to the external network (``external_network``), so
        that floating IPs can reach its servers. Without an external network configured the cloud is private-only."""
        external = self._external_network()
        if external is None:
            return
        conn = self.admin
        router = next(iter(conn.network.routers(name=network_name, project_id=project_id)), None)
        if router is None:
            router = conn.network.create_router(
                name=network_name, project_id=project_id, external_gateway_info={"network_id": external.id}
            )
        subnet = next(iter(conn.network.subnets(network_id=network_id)))
        attached = {
            fixed["subnet_id"] for port in conn.network.ports(device_id=router.id) for fixed in (port.fixed_ips or ())
        }
        if subnet.id not in attached:
            conn.network.add_interface_to_router(router, subnet=subnet.id)

    # --- servers -------------------------------------------------------------------------------------------------
    def find_server(self, *, project_id: str, tag: str) -> CloudServer | None:
        with self._about(project_id, f"find server {tag}"):
            for server in self.admin.compute.servers(all_projects=True, project_id=project_id, tags=tag):
                if tag in (server.tags or ()) and server.status != "DELETED":
                    return _to_cloud_server(server)
        return None

    def create_server(self, *, spec: ServerSpec) -> CloudServer:
        with self._about(spec.project_id, f"create server {spec.tag}"):
            conn = self._in_project(spec.project_id)
            flavor = self._required(conn.compute.find_flavor, "flavor", spec.flavor)
            image = self._required(conn.image.find_image, "image", spec.image)
            network = next(iter(conn.network.networks(name=spec.network, project_id=spec.project_id)), None)
            if network is None:
                # The project's network is made by ensure_project: one that answered from memory (see the class)
                # converges again at the next step, which this error lets come (and forgets the project).
                raise CloudError(f"create server {spec.tag}: no network {spec.network!r}", transient=True)
            server = conn.compute.create_server(
                name=spec.name,
                flavor_id=flavor.id,
                image_id=image.id,
                networks=[{"uuid": network.id}],
                user_data=base64.b64encode(spec.user_data.encode()).decode("ascii"),
                tags=[spec.tag],
                metadata={**spec.metadata, "kontor_tag": spec.tag},
                **({"key_name": spec.key_name} if spec.key_name else {}),
                **(
                    {"security_groups": [{"name": name} for name in spec.security_groups]}
                    if spec.security_groups
                    else {}
                ),
            )
            logger.info("openstack.server_created", extra={"server_id": server.id, "tag": spec.tag})
            return _to_cloud_server(server, project_id=spec.project_id)

    @staticmethod
    def _required(find: Callable[..., Any], kind: str, name: str) -> Any:
        try:
            return find(name, ignore_missing=False)
        except os_exceptions.NotFoundException:
            raise CloudError(f"the cloud has no {kind} named {name!r}", transient=False) from None

    def get_server(self, *, project_id: str, server_id: str) -> CloudServer | None:
        with _translated(f"get server {server_id}"):
            try:
                server = self.admin.compute.get_server(server_id)
            except os_exceptions.NotFoundException:
                return None
            if server.project_id != project_id or server.status == "DELETED":
                return None  # another project's server is none of this project's business
            return _to_cloud_server(server)

    def delete_server(self, *, project_id: str, server_id: str) -> None:
        if self.get_server(project_id=project_id, server_id=server_id) is None:
            return
        with _translated(f"delete server {server_id}"):
            self.admin.compute.delete_server(server_id, ignore_missing=True)
            logger.info("openstack.server_deleted", extra={"server_id": server_id})

    def list_servers(self) -> list[CloudServer]:
        with _translated("list servers"):
            return [
                _to_cloud_server(server)
                for server in self.admin.compute.servers(all_projects=True)
                if any(tag.startswith(SERVER_TAG_PREFIX) for tag in server.tags or ()) and server.status != "DELETED"
            ]

    # --- access: keypairs, security groups, floating IPs, actions ------------------------------------------------
    def ensure_keypair(self, *, project_id: str, name: str, public_key: str) -> None:
        with _translated(f"ensure keypair {name}"):
            compute = self._in_project(project_id).compute
            existing = compute.find_keypair(name, ignore_missing=True)
            if existing is not None and (existing.public_key or "").split()[:2] == public_key.split()[:2]:
                return
            if existing is not None:
                compute.delete_keypair(name, ignore_missing=True)
            compute.create_keypair(name=name, public_key=public_key)

    def delete_keypair(self, *, project_id: str, name: str) -> None:
        with _translated(f"delete keypair {name}"):
            self._in_project(project_id).compute.delete_keypair(name, ignore_missing=True)

    def _security_group(self, *, project_id: str, name: str) -> Any:
        return next(iter(self.admin.network.security_groups(name=name, project_id=project_id)), None)

    def ensure_security_group(self, *, project_id: str, name: str, rules: tuple[IngressRule, ...]) -> str:
        with _translated(f"ensure security group {name}"):
            network = self.admin.network
            group = self._security_group(project_id=project_id, name=name)
            if group is None:
                group = network.create_security_group(
                    name=name, project_id=project_id, description="Kontor: SSH and the service port"
                )
            wanted = {(rule.cidr, rule.port) for rule in rules}
            present: set[tuple[str, int]] = set()
            for rule in network.security_group_rules(security_group_id=group.id):
                if rule.direction != "ingress":
                    continue
                key = (rule.remote_ip_prefix, rule.port_range_min)
                if key in wanted and rule.port_range_max == rule.port_range_min and key not in present:
                    present.add(key)
                else:
                    network.delete_security_group_rule(rule.id, ignore_missing=True)
            for cidr, port in sorted(wanted - present):
                network.create_security_group_rule(
                    security_group_id=group.id,
                    project_id=project_id,
                    direction="ingress",
                    ethertype="IPv4",
                    protocol="tcp",
                    port_range_min=port,
                    port_range_max=port,
                    remote_ip_prefix=cidr,
                )
            return str(group.id)

    def delete_security_group(self, *, project_id: str, name: str) -> None:
        with _translated(f"delete security group {name}"):
            group = self._security_group(project_id=project_id, name=name)
            if group is not None:
                self.admin.network.delete_security_group(group.id, ignore_missing=True)

    def ensure_floating_ip(self, *, project_id: str, server_id: str, tag: str) -> CloudFloatingIp:
        with _translated(f"ensure floating IP {tag}"):
            external = self._external_network()
            if external is None:
                raise CloudError("public addresses need an external network (external_network)", transient=False)
            network = self.admin.network
            port = next(iter(network.ports(device_id=server_id)), None)
            if port is None:
                raise CloudError(f"ensure floating IP {tag}: the server has no port yet", transient=True)
            ip = next(iter(network.ips(description=tag, project_id=project_id)), None)
            if ip is None:
                ip = network.create_ip(
                    floating_network_id=external.id, port_id=port.id, project_id=project_id, description=tag
                )
                logger.info("openstack.floating_ip_created", extra={"floating_ip_id": ip.id, "tag": tag})
            elif ip.port_id != port.id:
                ip = network.update_ip(ip, port_id=port.id)
            return CloudFloatingIp(id=ip.id, address=ip.floating_ip_address, tag=tag, project_id=project_id)

    def release_floating_ip(self, *, project_id: str, tag: str) -> None:
        with _translated(f"release floating IP {tag}"):
            network = self.admin.network
            for ip in list(network.ips(description=tag, project_id=project_id)):
                network.delete_ip(ip.id, ignore_missing=True)
                logger.info("openstack.floating_ip_released", extra={"floating_ip_id": ip.id, "tag": tag})

    def list_floating_ips(self) -> list[CloudFloatingIp]:
        with _translated("list floating IPs"):
            return [
                CloudFloatingIp(
                    id=ip.id, address=ip.floating_ip_address, tag=ip.description, project_id=ip.project_id or ""
                )
                for ip in self.admin.network.ips()
                if (ip.description or "").startswith(SERVER_TAG_PREFIX)
            ]

    def delete_floating_ip(self, *, floating_ip_id: str) -> None:
        with _translated(f"delete floating IP {floating_ip_id}"):
            self.admin.network.delete_ip(floating_ip_id, ignore_missing=True)

    def reboot_server(self, *, project_id: str, server_id: str, hard: bool) -> None:
        if self.get_server(project_id=project_id, server_id=server_id) is None:
            raise CloudError(f"reboot server {server_id}: the server is gone", transient=False)
        with _translated(f"reboot server {server_id}"):
            self.admin.compute.reboot_server(server_id, "HARD" if hard else "SOFT")

    def set_server_metadata(self, *, project_id: str, server_id: str, metadata: dict[str, str]) -> None:
        if self.get_server(project_id=project_id, server_id=server_id) is None:
            raise CloudError(f"metadata of server {server_id}: the server is gone", transient=False)
        with _translated(f"metadata of server {server_id}"):
            self.admin.compute.set_server_metadata(server_id, **metadata)

    def console_log(self, *, project_id: str, server_id: str, lines: int) -> str:
        if self.get_server(project_id=project_id, server_id=server_id) is None:
            raise CloudError(f"console log of {server_id}: the server is gone", transient=False)
        with _translated(f"console log of {server_id}"):
            answer = self.admin.compute.get_server_console_output(server_id, length=lines)
            return str(answer.get("output", ""))
