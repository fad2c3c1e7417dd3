"""A small in-memory OpenStack on loopback: Keystone v3, Nova v2.1, Neutron v2.0 and Glance v2.

Just what openstacksdk calls for the ``openstack`` driver, shaped after the OpenStack API reference. One HTTP server
serves every service under its own path (``/identity``, ``/compute/v2.1``, ``/network``, ``/image``) and the token's
service catalog points at them, so the real openstacksdk and keystoneauth code runs over real HTTP.

Every call but version discovery and ``POST /v3/auth/tokens`` needs a valid ``X-Auth-Token``. Requests are counted
per route template (``counts["POST /compute/servers"]``), servers move BUILD → ACTIVE after ``build_polls`` GETs, and
``fail_next_create`` makes the next ``POST /servers`` answer with a given status and body.
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
]
IMAGES = [{"id": "i-ubuntu", "name": "ubuntu-24.04-nvidia", "status": "active"}]
MAX_ROWS = 1000  # the fake is bounded: it refuses to hold more than this many rows of any kind


class FakeOpenStack:
    """The cloud's state, guarded by one lock. Tests read and poke the attributes directly."""

    def __init__(self, *, build_polls: int = 2) -> None:
        self.lock = threading.Lock()
        self.build_polls = build_polls
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
        self._ips = itertools.count(10)
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
                server["addresses"] = {
                    network: [
                        {"version": 6, "addr": "fd00::5", "OS-EXT-IPS:type": "fixed"},
                        {"version": 4, "addr": f"10.0.0.{next(self._ips)}", "OS-EXT-IPS:type": "fixed"},
                    ]
                }
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
        cloud.server_view(s, poll=False)
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
    return (204, None) if cloud.servers.pop(server_id, None) else _not_found("Instance")


def images_get(cloud, request, token_project, query, body, image_id) -> Result:
    """/image/v2/images/{id}"""
    image = next((i for i in IMAGES if i["id"] == image_id), None)
    return (200, image) if image else (404, {"message": "Not found"})


def images_list(cloud, request, token_project, query, body) -> Result:
    """/image/v2/images"""
    return 200, {"images": [i for i in IMAGES if query.get("name", i["name"]) == i["name"]]}


def _neutron_list(rows: dict[str, Any], query: dict[str, str]) -> list[dict[str, Any]]:
    keys = ("name", "project_id", "network_id")
    return [r for r in rows.values() if all(r.get(k) == query[k] for k in keys if k in query)]


def networks_list(cloud, request, token_project, query, body) -> Result:
    """/network/v2.0/networks"""
    return 200, {"networks": _neutron_list(cloud.networks, query)}


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
    (rf"/image/v2/images/{_ID}", "GET", images_get),
    (r"/image/v2/images", "GET", images_list),
    (r"/network/v2\.0/networks", "GET", networks_list),
    (r"/network/v2\.0/networks", "POST", networks_create),
    (rf"/network/v2\.0/networks/{_ID}", "GET", networks_get),
    (r"/network/v2\.0/subnets", "GET", subnets_list),
    (r"/network/v2\.0/subnets", "POST", subnets_create),
]
