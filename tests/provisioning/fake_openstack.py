"""A small in-memory OpenStack on loopback: Keystone v3, Nova v2.1, Neutron v2.0 and Glance v2.

Just what openstacksdk calls for the ``openstack`` driver, shaped after the OpenStack API reference. One HTTP server
serves every service under its own path (``/identity``, ``/compute/v2.1``, ``/network``, ``/image``) and the token's
service catalog points at them, so the real openstacksdk and keystoneauth code runs over real HTTP.

Every call but version discovery and ``POST /v3/auth/tokens`` needs a valid ``X-Auth-Token``. Requests are counted
per route template (``counts["POST /compute/servers"]``), servers move BUILD → ACTIVE after ``build_polls`` GETs, and
``fail_next_create`` makes the next ``POST /servers`` answer with a given status and body.

Neutron also has what network access needs: an external network ``public`` (``external_networks``), routers and
their interfaces, ports (one per server once it is ACTIVE, one per router interface), security groups with their
rules (a new group gets Neutron's two default egress rules; a group in use cannot be deleted: 409) and floating IPs
from 203.0.113.0/24 (a server's deletion detaches them, as Neutron does, but does not release them). Nova keeps the
service user's keypairs, refuses an unknown ``key_name`` or security group at boot, reboots and returns console
output (``console_output``; ``actions`` records what was asked).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ADMIN_USER = {"id": "u-kontor", "name": "kontor-service", "password": "s3cret", "domain_id": "default"}
DOMAIN = {"id": "default", "name": "Default", "enabled": True, "description": ""}
ROLES = [{"id": "r-admin", "name": "admin"}, {"id": "r-member", "name": "member"}]
FLAVORS = [
    {"id": "f-1", "name": "gpu.b200.x1", "vcpus": 28, "ram": 229376, "disk": 500},
    {"id": "f-8", "name": "gpu.b200.x8", "vcpus": 224, "ram": 1835008, "disk": 4000},
    {"id": "f-k1", "name": "kontor.b200-x1", "vcpus": 28, "ram": 229376, "disk": 500},  # what provisioning asks for
]
IMAGES = [{"id": "i-ubuntu", "name": "ubuntu-24.04-nvidia", "status": "active"}]
MAX_ROWS = 1000  # the fake is bounded: it refuses to hold more than this many rows of any kind


class FakeOpenStack:
    """The cloud's state, guarded by one lock. Tests read and poke the attributes directly."""

    def __init__(self, *, build_polls: int = 2, poll_on_list: bool = False) -> None:
        self.lock = threading.Lock()
        self.build_polls = build_polls
        self.poll_on_list = poll_on_list  # listing servers counts as a poll too (provisioning finds servers by list)
        self.fail_next_create: tuple[int, dict[str, Any]] | None = None
        self.counts: Counter[str] = Counter()
        self.unauthorized = 0
        self.tokens: dict[str, str] = {}  # token → project id it is scoped to
        self.admin_project = {"id": "p-admin", "name": "admin", "domain_id": "default", "tags": [], "enabled": True}
        self.projects: dict[str, dict[str, Any]] = {"p-admin": self.admin_project}
        self.role_assignments: set[tuple[str, str, str]] = {("p-admin", ADMIN_USER["id"], "r-admin")}
        self.quotas: dict[str, dict[str, int]] = {}
        self.networks: dict[str, dict[str, Any]] = {}
        self.subnets: dict[str, dict[str, Any]] = {}
        self.servers: dict[str, dict[str, Any]] = {}
        self.create_bodies: list[dict[str, Any]] = []  # what POST /servers received, for assertions
        self.external_networks: dict[str, dict[str, Any]] = {
            "n-public": {
                "id": "n-public",
                "name": "public",
                "router:external": True,
                "project_id": "p-admin",
                "tenant_id": "p-admin",
                "status": "ACTIVE",
                "subnets": [],
                "shared": False,
            }
        }
        self.routers: dict[str, dict[str, Any]] = {}
        self.ports: dict[str, dict[str, Any]] = {}
        self.security_groups: dict[str, dict[str, Any]] = {}
        self.security_group_rules: dict[str, dict[str, Any]] = {}
        self.floating_ips: dict[str, dict[str, Any]] = {}
        self.keypairs: dict[str, dict[str, Any]] = {}
        self.actions: list[tuple[str, str, Any]] = []  # (server id, action, argument)
        self.console_output = "\n".join(f"[    {n}.000000] boot line {n}" for n in range(1, 101))
        self._ips = itertools.count(10)
        self._floating = itertools.count(20)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeOpenStack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- Keystone ------------------------------------------------------------------------------------------------
    def _catalog(self) -> list[dict[str, Any]]:
        services = {"identity": "/identity", "compute": "/compute/v2.1", "network": "/network", "image": "/image"}
        return [
            {
                "id": f"svc-{kind}",
                "type": kind,
                "name": kind,
                "endpoints": [
                    {
                        "id": f"ep-{kind}-{interface}",
                        "interface": interface,
                        "region": "de-muc-1",
                        "region_id": "de-muc-1",
                        "url": self.url + path,
                    }
                    for interface in ("public", "internal", "admin")
                ],
            }
            for kind, path in services.items()
        ]

    def issue_token(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        auth = body["auth"]
        password = auth["identity"]["password"]["user"]
        if password.get("name") != ADMIN_USER["name"] or password.get("password") != ADMIN_USER["password"]:
            return 401, {"error": {"code": 401, "title": "Unauthorized", "message": "Invalid credentials."}}, {}
        scope = auth.get("scope", {}).get("project", {})
        project = next(
            (p for p in self.projects.values() if p["id"] == scope.get("id") or p["name"] == scope.get("name")),
            None,
        )
        if project is None or not any(
            (project["id"], ADMIN_USER["id"], role) in self.role_assignments for role in ("r-admin", "r-member")
        ):
            return 401, {"error": {"code": 401, "title": "Unauthorized", "message": "No role on project."}}, {}
        token = uuid.uuid4().hex
        self.tokens[token] = project["id"]
        user = {"id": ADMIN_USER["id"], "name": ADMIN_USER["name"], "domain": DOMAIN}
        roles = [r for r in ROLES if (project["id"], ADMIN_USER["id"], r["id"]) in self.role_assignments]
        return (
            201,
            {
                "token": {
                    "methods": ["password"],
                    "user": user,
                    "project": {"id": project["id"], "name": project["name"], "domain": DOMAIN},
                    "roles": roles,
                    "catalog": self._catalog(),
                    "issued_at": "2026-01-01T00:00:00.000000Z",
                    "expires_at": "2099-01-01T00:00:00.000000Z",
                }
            },
            {"X-Subject-Token": token},
        )

    # --- Nova ----------------------------------------------------------------------------------------------------
    def server_view(self, server: dict[str, Any], *, poll: bool) -> dict[str, Any]:
        if poll and server["status"] == "BUILD":
            server["polls"] += 1
            if server["polls"] >= self.build_polls:
                server["status"] = "ACTIVE"
                network = server["network_name"]
                fixed = f"10.0.0.{next(self._ips)}"
                server["addresses"] = {
                    network: [
                        {"version": 6, "addr": "fd00::5", "OS-EXT-IPS:type": "fixed"},
                        {"version": 4, "addr": fixed, "OS-EXT-IPS:type": "fixed"},
                    ]
                }
                port_id = f"port-{server['id']}"
                self.ports[port_id] = {
                    "id": port_id,
                    "device_id": server["id"],
                    "device_owner": "compute:nova",
                    "network_id": server["network_id"],
                    "project_id": server["tenant_id"],
                    "fixed_ips": [{"subnet_id": "", "ip_address": fixed}],
                }
        for ip in self.floating_ips.values():
            if ip["port_id"] and self.ports.get(ip["port_id"], {}).get("device_id") == server["id"]:
                address = {"version": 4, "addr": ip["floating_ip_address"], "OS-EXT-IPS:type": "floating"}
                server["addresses"][server["network_name"]].append(address)
        fields = ("id", "name", "status", "tenant_id", "user_id", "tags", "metadata", "addresses", "created")
        view = {key: server[key] for key in fields}
        view["flavor"] = {"original_name": server["flavor_name"]}
        view["image"] = {"id": server["image_id"]}
        view["links"] = []
        view["OS-EXT-SRV-ATTR:user_data"] = server["user_data"]  # Nova shows it to admins (microversion >= 2.3)
        return view


def _handler_for(cloud: FakeOpenStack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet, like the rest of the suite
            pass

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_PUT(self) -> None:
            self._dispatch("PUT")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

        def _dispatch(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            body = json.loads(raw) if raw else {}
            with cloud.lock:
                status, payload, headers = self._route(method, parts.path.rstrip("/") or "/", query, body)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _route(
            self, method: str, path: str, query: dict[str, str], body: dict[str, Any]
        ) -> tuple[int, Any, dict[str, str]]:
            discovery = _version_document(cloud.url, path)
            if method == "GET" and discovery is not None:
                cloud.counts[f"GET {path} (discovery)"] += 1
                return 200, discovery, {}
            if method == "POST" and path == "/identity/v3/auth/tokens":
                cloud.counts["POST /identity/v3/auth/tokens"] += 1
                return cloud.issue_token(body)
            token = self.headers.get("X-Auth-Token", "")
            if token not in cloud.tokens:
                cloud.unauthorized += 1
                return (
                    401,
                    {"error": {"code": 401, "message": "The request you have made requires authentication."}},
                    {},
                )
            for pattern, route_method, handler in ROUTES:
                match = re.fullmatch(pattern, path)
                if match and method == route_method:
                    cloud.counts[f"{method} {handler.__doc__}"] += 1
                    return (*handler(cloud, self, cloud.tokens[token], query, body, *match.groups()), {})
            cloud.counts[f"{method} {path} (unknown)"] += 1
            return 404, {"itemNotFound": {"code": 404, "message": f"No route for {method} {path}"}}, {}

    return Handler


def _version_document(base: str, path: str) -> dict[str, Any] | None:
    def link(href: str) -> list[dict[str, str]]:
        return [{"rel": "self", "href": base + href}]

    identity = {
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": link("/identity/v3/"),
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
    }
    compute = {
        "id": "v2.1",
        "status": "CURRENT",
        "version": "2.96",
        "min_version": "2.1",
        "updated": "2013-07-23T11:33:21Z",
        "links": link("/compute/v2.1/"),
    }
    network = {"id": "v2.0", "status": "CURRENT", "links": link("/network/v2.0/")}
    image = {"id": "v2.16", "status": "CURRENT", "links": link("/image/v2/")}
    documents: dict[str, dict[str, Any]] = {
        "/identity": {"versions": {"values": [identity]}},
        "/identity/v3": {"version": identity},
        "/compute": {"versions": [compute]},
        "/compute/v2.1": {"version": compute},
        "/network": {"versions": [network]},
        "/image": {"versions": [image]},
    }
    return documents.get(path)


# --- Route handlers: (cloud, request, token project, query, body, *path groups) -> (status, payload) ---------------
Result = tuple[int, Any]


def _microversion(request: BaseHTTPRequestHandler) -> tuple[int, int]:
    header = request.headers.get("OpenStack-API-Version", "compute 2.1").split()[-1]
    major, minor = header.split(".")
    return int(major), int(minor)


def _not_found(kind: str, key: str = "itemNotFound") -> Result:
    return 404, {key: {"code": 404, "message": f"{kind} could not be found."}}


def _bounded(rows: dict[str, Any]) -> Result | None:
    return (413, {"overLimit": {"code": 413, "message": "The fake cloud is full."}}) if len(rows) >= MAX_ROWS else None


def projects_list(cloud, request, token_project, query, body) -> Result:
    """/identity/v3/projects"""
    rows = [
        p
        for p in cloud.projects.values()
        if ("tags" not in query or set(query["tags"].split(",")) <= set(p["tags"]))
        and ("name" not in query or p["name"] == query["name"])
        and ("domain_id" not in query or p["domain_id"] == query["domain_id"])
    ]
    return 200, {"projects": rows, "links": {"self": "", "next": None, "previous": None}}


def projects_create(cloud, request, token_project, query, body) -> Result:
    """/identity/v3/projects"""
    project = body["project"]
    if any(p["name"] == project["name"] and p["domain_id"] == project["domain_id"] for p in cloud.projects.values()):
        return 409, {"error": {"code": 409, "title": "Conflict", "message": "Duplicate project name."}}
    full = _bounded(cloud.projects)
    if full:
        return full
    row = {"id": uuid.uuid4().hex, "enabled": True, "description": "", "tags": [], "is_domain": False, **project}
    cloud.projects[row["id"]] = row
    return 201, {"project": row}


def domains_get(cloud, request, token_project, query, body, domain_id) -> Result:
    """/identity/v3/domains/{id}"""
    return (200, {"domain": DOMAIN}) if domain_id == DOMAIN["id"] else _not_found("Domain", "error")


def domains_list(cloud, request, token_project, query, body) -> Result:
    """/identity/v3/domains"""
    return 200, {"domains": [DOMAIN] if query.get("name", DOMAIN["name"]) == DOMAIN["name"] else []}


def roles_get(cloud, request, token_project, query, body, role_id) -> Result:
    """/identity/v3/roles/{id}"""
    role = next((r for r in ROLES if r["id"] == role_id), None)
    return (200, {"role": role}) if role else _not_found("Role", "error")


def roles_list(cloud, request, token_project, query, body) -> Result:
    """/identity/v3/roles"""
    return 200, {"roles": [r for r in ROLES if query.get("name", r["name"]) == r["name"]]}


def role_assign(cloud, request, token_project, query, body, project_id, user_id, role_id) -> Result:
    """/identity/v3/projects/{id}/users/{id}/roles/{id}"""
    if project_id not in cloud.projects:
        return _not_found("Project", "error")
    cloud.role_assignments.add((project_id, user_id, role_id))
    return 204, None


def flavors_list(cloud, request, token_project, query, body) -> Result:
    """/compute/flavors/detail"""
    return 200, {"flavors": [{**f, "links": []} for f in FLAVORS]}


def flavors_get(cloud, request, token_project, query, body, flavor_id) -> Result:
    """/compute/flavors/{id}"""
    flavor = next((f for f in FLAVORS if f["id"] == flavor_id), None)
    return (200, {"flavor": {**flavor, "links": []}}) if flavor else _not_found("Flavor")


def quotas_put(cloud, request, token_project, query, body, project_id) -> Result:
    """/compute/os-quota-sets/{project}"""
    cloud.quotas[project_id] = {**cloud.quotas.get(project_id, {}), **body["quota_set"]}
    return 200, {"quota_set": cloud.quotas[project_id]}


def servers_create(cloud, request, token_project, query, body) -> Result:
    """/compute/servers"""
    if cloud.fail_next_create is not None:
        failure, cloud.fail_next_create = cloud.fail_next_create, None
        return failure
    server = body["server"]
    if "tags" in server and _microversion(request) < (2, 52):
        return 400, {"badRequest": {"code": 400, "message": "Additional properties are not allowed ('tags')"}}
    if server.get("key_name") and server["key_name"] not in cloud.keypairs:
        return 400, {"badRequest": {"code": 400, "message": "Invalid key_name provided."}}
    for group in server.get("security_groups", []):
        if not any(
            g["name"] == group["name"] and g["project_id"] == token_project for g in cloud.security_groups.values()
        ):
            return 400, {"badRequest": {"code": 400, "message": f"Security group {group['name']} not found."}}
    flavor = next((f for f in FLAVORS if f["id"] == server["flavorRef"]), None)
    image = next((i for i in IMAGES if i["id"] == server["imageRef"]), None)
    networks = [cloud.networks.get(n.get("uuid", "")) for n in server.get("networks", [])]
    if flavor is None or image is None or not networks or None in networks:
        return 400, {"badRequest": {"code": 400, "message": "Invalid flavorRef, imageRef or networks."}}
    full = _bounded(cloud.servers)
    if full:
        return full
    cloud.create_bodies.append(body)
    row = {
        "id": str(uuid.uuid4()),
        "name": server["name"],
        "status": "BUILD",
        "tenant_id": token_project,
        "user_id": ADMIN_USER["id"],
        "tags": list(server.get("tags", [])),
        "metadata": dict(server.get("metadata", {})),
        "addresses": {},
        "created": "2026-01-01T00:00:00Z",
        "flavor_name": flavor["name"],
        "image_id": image["id"],
        "network_name": networks[0]["name"],  # type: ignore[index]
        "network_id": networks[0]["id"],  # type: ignore[index]
        "key_name": server.get("key_name"),
        "security_groups": [group["name"] for group in server.get("security_groups", [])],
        "user_data": server.get("user_data", ""),
        "polls": 0,
    }
    cloud.servers[row["id"]] = row
    return 202, {"server": {"id": row["id"], "links": [], "OS-DCF:diskConfig": "MANUAL", "security_groups": []}}


def servers_list(cloud, request, token_project, query, body) -> Result:
    """/compute/servers/detail"""
    if "tags" in query and _microversion(request) < (2, 26):
        return 400, {"badRequest": {"code": 400, "message": "tags filter needs microversion 2.26"}}
    all_tenants = query.get("all_tenants", "").lower() in ("1", "true")
    wanted_project = query.get("project_id") if all_tenants else token_project  # Nova: only admins see others
    rows = [
        cloud.server_view(s, poll=cloud.poll_on_list)
        for s in cloud.servers.values()
        if wanted_project is None or s["tenant_id"] == wanted_project
    ]
    if "tags" in query:
        rows = [s for s in rows if set(query["tags"].split(",")) <= set(s["tags"])]
    return 200, {"servers": rows}


def servers_get(cloud, request, token_project, query, body, server_id) -> Result:
    """/compute/servers/{id}"""
    server = cloud.servers.get(server_id)
    return (200, {"server": cloud.server_view(server, poll=True)}) if server else _not_found("Instance")


def servers_delete(cloud, request, token_project, query, body, server_id) -> Result:
    """/compute/servers/{id}"""
    if cloud.servers.pop(server_id, None) is None:
        return _not_found("Instance")
    for port_id in [p["id"] for p in cloud.ports.values() if p["device_id"] == server_id]:
        del cloud.ports[port_id]
        for ip in cloud.floating_ips.values():  # Neutron detaches, but does not release, the server's floating IPs
            if ip["port_id"] == port_id:
                ip.update(port_id=None, fixed_ip_address=None, status="DOWN")
    return 204, None


def servers_action(cloud, request, token_project, query, body, server_id) -> Result:
    """/compute/servers/{id}/action"""
    server = cloud.servers.get(server_id)
    if server is None:
        return _not_found("Instance")
    if "reboot" in body:
        if server["status"] != "ACTIVE":
            message = f"Cannot 'reboot' instance {server_id} while it is in vm_state {server['status'].lower()}"
            return 409, {"conflictingRequest": {"code": 409, "message": message}}
        cloud.actions.append((server_id, "reboot", body["reboot"]["type"]))
        return 202, None
    if "os-getConsoleOutput" in body:
        length = body["os-getConsoleOutput"].get("length")
        cloud.actions.append((server_id, "console", length))
        lines = cloud.console_output.splitlines()
        return 200, {"output": "\n".join(lines[-int(length) :] if length else lines)}
    return 400, {"badRequest": {"code": 400, "message": "Unknown action."}}


def servers_metadata_update(cloud, request, token_project, query, body, server_id) -> Result:
    """/compute/servers/{id}/metadata (POST: add or replace the given keys)"""
    server = cloud.servers.get(server_id)
    if server is None:
        return _not_found("Instance")
    metadata = body.get("metadata")
    if not isinstance(metadata, dict) or any(len(str(v)) > 255 for v in metadata.values()):
        return 400, {"badRequest": {"code": 400, "message": "Invalid metadata."}}
    server.setdefault("metadata", {}).update(metadata)
    cloud.actions.append((server_id, "metadata", dict(metadata)))
    return 200, {"metadata": dict(server["metadata"])}


def keypairs_get(cloud, request, token_project, query, body, name) -> Result:
    """/compute/os-keypairs/{name}"""
    keypair = cloud.keypairs.get(name)
    return (200, {"keypair": keypair}) if keypair else _not_found(f"Keypair {name}")


def keypairs_list(cloud, request, token_project, query, body) -> Result:
    """/compute/os-keypairs"""
    return 200, {"keypairs": [{"keypair": k} for k in cloud.keypairs.values()]}


def keypairs_create(cloud, request, token_project, query, body) -> Result:
    """/compute/os-keypairs"""
    keypair = body["keypair"]
    if keypair["name"] in cloud.keypairs:
        return 409, {"conflictingRequest": {"code": 409, "message": "Key pair already exists."}}
    row = {
        "name": keypair["name"],
        "public_key": keypair["public_key"],
        "fingerprint": "",
        "type": keypair.get("type", "ssh"),
        "user_id": ADMIN_USER["id"],
    }
    cloud.keypairs[row["name"]] = row
    return 200, {"keypair": row}


def keypairs_delete(cloud, request, token_project, query, body, name) -> Result:
    """/compute/os-keypairs/{name}"""
    return (202, None) if cloud.keypairs.pop(name, None) else _not_found(f"Keypair {name}")


def images_get(cloud, request, token_project, query, body, image_id) -> Result:
    """/image/v2/images/{id}"""
    image = next((i for i in IMAGES if i["id"] == image_id), None)
    return (200, image) if image else (404, {"message": "Not found"})


def images_list(cloud, request, token_project, query, body) -> Result:
    """/image/v2/images"""
    return 200, {"images": [i for i in IMAGES if query.get("name", i["name"]) == i["name"]]}


def _neutron_list(rows: dict[str, Any], query: dict[str, str]) -> list[dict[str, Any]]:
    keys = ("name", "project_id", "network_id", "device_id", "description", "security_group_id", "port_id")
    return [r for r in rows.values() if all(r.get(k) == query[k] for k in keys if k in query)]


def networks_list(cloud, request, token_project, query, body) -> Result:
    """/network/v2.0/networks"""
    return 200, {"networks": _neutron_list({**cloud.external_networks, **cloud.networks}, query)}


def _project(body: dict[str, Any], token_project: str) -> str:
    return str(body.get("project_id") or token_project)


def routers_list(cloud, request, token_project, query, body) -> Result:
    """/network/v2.0/routers"""
    return 200, {"routers": _neutron_list(cloud.routers, query)}


def routers_create(cloud, request, token_project, query, body) -> Result:
    """/network/v2.0/routers"""
    router = body["router"]
    gateway = router.get("external_gateway_info") or {}
    if gateway and gateway.get("network_id") not in cloud.external_networks:
        return 400, {"NeutronError": {"message": "Bad router request: not an external network."}}
    project = _project(router, token_project)
    row = {"id": str(uuid.uuid4()), "status": "ACTIVE", "admin_state_up": True, **router}
    row.update(project_id=project, tenant_id=project)
    cloud.routers[row["id"]] = row
    return 201, {"router": row}


def routers_add_interface(cloud, request, token_project, query, body, router_id) -> Result:
    """/network/v2.0/routers/{id}/add_router_interface"""
    router = cloud.routers.get(router_id)
    subnet = cloud.subnets.get(body.get("subnet_id", ""))
    if router is None or subnet is None:
        return _not_found("Router or subnet", "NeutronError")
    if any(
        p["device_id"] == router_id and p["fixed_ips"][0]["subnet_id"] == subnet["id"] for p in cloud.ports.values()
    ):
        return 400, {"NeutronError": {"message": "Router already has a port on subnet."}}
    port_id = str(uuid.uuid4())
    cloud.ports[port_id] = {
        "id": port_id,
        "device_id": router_id,
        "device_owner": "network:router_interface",
        "network_id": subnet["network_id"],
        "project_id": router["project_id"],
        "fixed_ips": [{"subnet_id": subnet["id"], "ip_address": "10.0.0.1"}],
    }
    return 200, {"id": router_id, "subnet_id": subnet["id"], "port_id": port_id, "tenant_id": router["project_id"]}


def ports_list(cloud, request, token_project, query, body) -> Result:
    """/network/v2.0/ports"""
    return 200, {"ports": _neutron_list(cloud.ports, query)}


def security_groups_list(cloud, request, token_project, query, body) -> Result:
    """/network/v2.0/security-groups"""
    return 200, {"security_groups": _neutron_list(cloud.security_groups, query)}


def security_groups_create(cloud, request, token_project, query, body) -> Result:
    """/network/v2.0/security-groups"""
    group = body["security_group"]
    project = _project(group, token_project)
    row = {"id": str(uuid.uuid4()), "description": "", **group, "project_id": project, "tenant_id": project}
    cloud.security_groups[row["id"]] = row
    for ethertype in ("IPv4", "IPv6"):  # Neutron's defaults: all egress allowed
        rule_id = str(uuid.uuid4())
        cloud.security_group_rules[rule_id] = {
            "id": rule_id,
            "security_group_id": row["id"],
            "project_id": project,
            "direction": "egress",
            "ethertype": ethertype,
            "protocol": None,
            "port_range_min": None,
            "port_range_max": None,
            "remote_ip_prefix": None,
        }
    rules = [r for r in cloud.security_group_rules.values() if r["security_group_id"] == row["id"]]
    return 201, {"security_group": {**row, "security_group_rules": rules}}


def security_groups_delete(cloud, request, token_project, query, body, group_id) -> Result:
    """/network/v2.0/security-groups/{id}"""
    group = cloud.security_groups.get(group_id)
    if group is None:
        return _not_found("Security group", "NeutronError")
    if any(
        group["name"] in s["security_groups"] and s["tenant_id"] == group["project_id"] for s in cloud.servers.values()
    ):
        return 409, {"NeutronError": {"message": f"Security Group {group_id} in use."}}
    del cloud.security_groups[group_id]
    for rule_id in [r["id"] for r in cloud.security_group_rules.values() if r["security_group_id"] == group_id]:
        del cloud.security_group_rules[rule_id]
    return 204, None


def security_group_rules_list(cloud, request, token_project, query, body) -> Result:
    """/network/v2.0/security-group-rules"""
    return 200, {"security_group_rules": _neutron_list(cloud.security_group_rules, query)}


def security_group_rules_create(cloud, request, token_project, query, body) -> Result:
    """/network/v2.0/security-group-rules"""
    rule = body["security_group_rule"]
    if rule.get("security_group_id") not in cloud.security_groups:
        return _not_found("Security group", "NeutronError")
    fields = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix")
    duplicate = any(
        r["security_group_id"] == rule["security_group_id"] and all(r.get(k) == rule.get(k) for k in fields)
        for r in cloud.security_group_rules.values()
    )
    if duplicate:
        return 409, {"NeutronError": {"message": "Security group rule already exists."}}
    project = _project(rule, token_project)
    row = {"id": str(uuid.uuid4()), **rule, "project_id": project}
    cloud.security_group_rules[row["id"]] = row
    return 201, {"security_group_rule": row}


def security_group_rules_delete(cloud, request, token_project, query, body, rule_id) -> Result:
    """/network/v2.0/security-group-rules/{id}"""
    return (204, None) if cloud.security_group_rules.pop(rule_id, None) else _not_found("Rule", "NeutronError")


def floating_ips_list(cloud, request, token_project, query, body) -> Result:
    """/network/v2.0/floatingips"""
    return 200, {"floatingips": _neutron_list(cloud.floating_ips, query)}


def floating_ips_create(cloud, request, token_project, query, body) -> Result:
    """/network/v2.0/floatingips"""
    ip = body["floatingip"]
    if ip.get("floating_network_id") not in cloud.external_networks:
        return 400, {"NeutronError": {"message": "Network is not external."}}
    port = cloud.ports.get(ip.get("port_id") or "")
    if ip.get("port_id") and port is None:
        return _not_found("Port", "NeutronError")
    project = _project(ip, token_project)
    row = {
        "id": str(uuid.uuid4()),
        "description": "",
        **ip,
        "floating_ip_address": f"203.0.113.{next(cloud._floating)}",
        "fixed_ip_address": port["fixed_ips"][0]["ip_address"] if port else None,
        "status": "ACTIVE" if port else "DOWN",
        "project_id": project,
        "tenant_id": project,
    }
    cloud.floating_ips[row["id"]] = row
    return 201, {"floatingip": row}


def floating_ips_update(cloud, request, token_project, query, body, ip_id) -> Result:
    """/network/v2.0/floatingips/{id}"""
    ip = cloud.floating_ips.get(ip_id)
    if ip is None:
        return _not_found("Floating IP", "NeutronError")
    ip.update(port_id=body["floatingip"].get("port_id"))
    return 200, {"floatingip": ip}


def floating_ips_delete(cloud, request, token_project, query, body, ip_id) -> Result:
    """/network/v2.0/floatingips/{id}"""
    return (204, None) if cloud.floating_ips.pop(ip_id, None) else _not_found("Floating IP", "NeutronError")


def networks_get(cloud, request, token_project, query, body, network_id) -> Result:
    """/network/v2.0/networks/{id}"""
    network = cloud.networks.get(network_id)
    return (200, {"network": network}) if network else _not_found("Network", "NeutronError")


def networks_create(cloud, request, token_project, query, body) -> Result:
    """/network/v2.0/networks"""
    full = _bounded(cloud.networks)
    if full:
        return full
    project = body["network"].get("project_id", token_project)
    row = {"id": str(uuid.uuid4()), "status": "ACTIVE", "admin_state_up": True, "subnets": [], "shared": False}
    row.update(body["network"], project_id=project, tenant_id=project)
    cloud.networks[row["id"]] = row
    return 201, {"network": row}


def subnets_list(cloud, request, token_project, query, body) -> Result:
    """/network/v2.0/subnets"""
    return 200, {"subnets": _neutron_list(cloud.subnets, query)}


def subnets_create(cloud, request, token_project, query, body) -> Result:
    """/network/v2.0/subnets"""
    network = cloud.networks.get(body["subnet"]["network_id"])
    if network is None:
        return _not_found("Network", "NeutronError")
    project = body["subnet"].get("project_id", token_project)
    row = {"id": str(uuid.uuid4()), "enable_dhcp": True, **body["subnet"], "project_id": project}
    cloud.subnets[row["id"]] = row
    network["subnets"].append(row["id"])
    return 201, {"subnet": row}


_ID = r"([^/]+)"
ROUTES: list[tuple[str, str, Any]] = [
    (r"/identity/v3/projects", "GET", projects_list),
    (r"/identity/v3/projects", "POST", projects_create),
    (rf"/identity/v3/projects/{_ID}/users/{_ID}/roles/{_ID}", "PUT", role_assign),
    (rf"/identity/v3/domains/{_ID}", "GET", domains_get),
    (r"/identity/v3/domains", "GET", domains_list),
    (rf"/identity/v3/roles/{_ID}", "GET", roles_get),
    (r"/identity/v3/roles", "GET", roles_list),
    (r"/compute/v2\.1/flavors(?:/detail)?", "GET", flavors_list),
    (rf"/compute/v2\.1/flavors/{_ID}", "GET", flavors_get),
    (rf"/compute/v2\.1/os-quota-sets/{_ID}", "PUT", quotas_put),
    (r"/compute/v2\.1/servers", "POST", servers_create),
    (r"/compute/v2\.1/servers/detail", "GET", servers_list),
    (rf"/compute/v2\.1/servers/{_ID}", "GET", servers_get),
    (rf"/compute/v2\.1/servers/{_ID}", "DELETE", servers_delete),
    (rf"/compute/v2\.1/servers/{_ID}/action", "POST", servers_action),
    (rf"/compute/v2\.1/servers/{_ID}/metadata", "POST", servers_metadata_update),
    (r"/compute/v2\.1/os-keypairs", "GET", keypairs_list),
    (r"/compute/v2\.1/os-keypairs", "POST", keypairs_create),
    (rf"/compute/v2\.1/os-keypairs/{_ID}", "GET", keypairs_get),
    (rf"/compute/v2\.1/os-keypairs/{_ID}", "DELETE", keypairs_delete),
    (rf"/image/v2/images/{_ID}", "GET", images_get),
    (r"/image/v2/images", "GET", images_list),
    (r"/network/v2\.0/networks", "GET", networks_list),
    (r"/network/v2\.0/networks", "POST", networks_create),
    (rf"/network/v2\.0/networks/{_ID}", "GET", networks_get),
    (r"/network/v2\.0/subnets", "GET", subnets_list),
    (r"/network/v2\.0/subnets", "POST", subnets_create),
    (r"/network/v2\.0/routers", "GET", routers_list),
    (r"/network/v2\.0/routers", "POST", routers_create),
    (rf"/network/v2\.0/routers/{_ID}/add_router_interface", "PUT", routers_add_interface),
    (r"/network/v2\.0/ports", "GET", ports_list),
    (r"/network/v2\.0/security-groups", "GET", security_groups_list),
    (r"/network/v2\.0/security-groups", "POST", security_groups_create),
    (rf"/network/v2\.0/security-groups/{_ID}", "DELETE", security_groups_delete),
    (r"/network/v2\.0/security-group-rules", "GET", security_group_rules_list),
    (r"/network/v2\.0/security-group-rules", "POST", security_group_rules_create),
    (rf"/network/v2\.0/security-group-rules/{_ID}", "DELETE", security_group_rules_delete),
    (r"/network/v2\.0/floatingips", "GET", floating_ips_list),
    (r"/network/v2\.0/floatingips", "POST", floating_ips_create),
    (rf"/network/v2\.0/floatingips/{_ID}", "PUT", floating_ips_update),
    (rf"/network/v2\.0/floatingips/{_ID}", "DELETE", floating_ips_delete),
]
