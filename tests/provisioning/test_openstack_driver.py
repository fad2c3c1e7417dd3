"""The openstack driver end to end: real openstacksdk and keystoneauth over HTTP against the fake on loopback."""

from __future__ import annotations

import base64
import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from provisioning.drivers import get_driver
from provisioning.drivers.base import CloudError, IngressRule, ServerSpec
from provisioning.drivers.openstack import OpenStackDriver, cloud_flavor_name
from tests.provisioning.fake_openstack import ADMIN_USER, FakeOpenStack

QUOTAS = {"cores": 448, "ram": 3670016, "instances": 4}


def options_for(url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "auth_url": f"{url}/identity/v3",
        "username": ADMIN_USER["name"],
        "password": ADMIN_USER["password"],
        "project_name": "admin",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
        "region_name": "de-muc-1",
        "interface": "public",
        "timeout": 5.0,
        "image": "ubuntu-24.04-nvidia",
        "network_prefix": "kontor-net-",
        "subnet_cidr": "10.0.0.0/24",
        "project_role": "member",
        "flavor_map": {"b200-x1": "gpu.b200.x1"},
        "quotas": QUOTAS,
        "external_network": "public",
        **overrides,
    }


@pytest.fixture
def cloud() -> Iterator[FakeOpenStack]:
    fake = FakeOpenStack(build_polls=2).start()
    yield fake
    fake.stop()


@pytest.fixture
def driver(cloud: FakeOpenStack, settings: Any) -> OpenStackDriver:
    settings.KONTOR_OPENSTACK = options_for(cloud.url)
    return OpenStackDriver()


def spec_for(project_id: str, *, organization_id: int = 7, instance_id: int = 1, **overrides: Any) -> ServerSpec:
    fields: dict[str, Any] = {
        "project_id": project_id,
        "name": f"kontor-{instance_id}",
        "tag": f"kontor-instance-{instance_id}",
        "flavor": "gpu.b200.x1",
        "image": "ubuntu-24.04-nvidia",
        "network": f"kontor-net-{organization_id}",
        "ssh_public_keys": ("ssh-ed25519 AAAAC3Nza ada@example.com",),
        "user_data": "#cloud-config\nngc-key: nvapi-SECRET-123\n",
        "metadata": {"kontor_instance": str(instance_id)},
        **overrides,
    }
    return ServerSpec(**fields)


def test_get_driver_returns_the_openstack_driver(settings: Any) -> None:
    settings.KONTOR_CLOUD_DRIVER = "openstack"

    assert isinstance(get_driver(), OpenStackDriver)


def test_ensure_project_twice_creates_one_project_network_and_subnet(
    cloud: FakeOpenStack, driver: OpenStackDriver
) -> None:
    first = driver.ensure_project(organization_id=7, name="Rheinwerk Robotics GmbH")
    second = driver.ensure_project(organization_id=7, name="Rheinwerk Robotics GmbH")

    assert first == second
    assert first.name == "kontor-org-7"
    project = cloud.projects[first.id]
    assert project["tags"] == ["kontor-org-7"]
    assert project["domain_id"] == "default"
    assert project["description"] == "Kontor organization: Rheinwerk Robotics GmbH"
    assert cloud.counts["POST /identity/v3/projects"] == 1
    assert cloud.counts["POST /network/v2.0/networks"] == 1
    assert cloud.counts["POST /network/v2.0/subnets"] == 1
    assert cloud.quotas == {first.id: QUOTAS}
    assert (first.id, ADMIN_USER["id"], "r-member") in cloud.role_assignments
    [network] = cloud.networks.values()
    assert (network["name"], network["project_id"]) == ("kontor-net-7", first.id)
    [subnet] = cloud.subnets.values()
    assert (subnet["network_id"], subnet["cidr"], subnet["ip_version"]) == (network["id"], "10.0.0.0/24", 4)
    assert cloud.unauthorized == 0


def test_ensure_project_adopts_an_untagged_project_with_the_name(cloud: FakeOpenStack, driver: OpenStackDriver) -> None:
    cloud.projects["p-old"] = {"id": "p-old", "name": "kontor-org-9", "domain_id": "default", "tags": []}

    project = driver.ensure_project(organization_id=9, name="Delft Digital Twins B.V.")

    assert project.id == "p-old"
    assert cloud.counts["POST /identity/v3/projects"] == 0
    assert [n["project_id"] for n in cloud.networks.values()] == ["p-old"]


def test_ensure_project_keeps_organizations_apart(cloud: FakeOpenStack, driver: OpenStackDriver) -> None:
    seven = driver.ensure_project(organization_id=7, name="Seven")
    eight = driver.ensure_project(organization_id=8, name="Eight")

    assert seven.id != eight.id
    assert sorted(n["name"] for n in cloud.networks.values()) == ["kontor-net-7", "kontor-net-8"]


def test_server_lifecycle(cloud: FakeOpenStack, driver: OpenStackDriver) -> None:
    project = driver.ensure_project(organization_id=7, name="Seven")
    spec = spec_for(project.id)

    created = driver.create_server(spec=spec)

    assert (created.status, created.tags, created.address, created.project_id) == (
        "BUILD",
        ("kontor-instance-1",),
        "",
        project.id,
    )
    [body] = cloud.create_bodies
    assert body["server"]["name"] == "kontor-1"
    assert body["server"]["flavorRef"] == "f-1"
    assert body["server"]["imageRef"] == "i-ubuntu"
    assert body["server"]["networks"] == [{"uuid": next(iter(cloud.networks))}]
    assert body["server"]["tags"] == ["kontor-instance-1"]
    assert body["server"]["metadata"] == {"kontor_instance": "1", "kontor_tag": "kontor-instance-1"}
    assert base64.b64decode(body["server"]["user_data"]).decode() == spec.user_data
    assert cloud.servers[created.id]["tenant_id"] == project.id  # booted with a token scoped to the project

    found = driver.find_server(project_id=project.id, tag="kontor-instance-1")
    assert found is not None
    assert found.id == created.id

    building = driver.get_server(project_id=project.id, server_id=created.id)
    active = driver.get_server(project_id=project.id, server_id=created.id)
    assert building is not None
    assert active is not None
    assert (building.status, building.address) == ("BUILD", "")
    assert (active.status, active.address, active.name) == ("ACTIVE", "10.0.0.10", "kontor-1")

    driver.delete_server(project_id=project.id, server_id=created.id)
    driver.delete_server(project_id=project.id, server_id=created.id)

    assert cloud.counts["DELETE /compute/servers/{id}"] == 1
    assert driver.get_server(project_id=project.id, server_id=created.id) is None
    assert driver.find_server(project_id=project.id, tag="kontor-instance-1") is None
    assert cloud.servers == {}
    assert cloud.unauthorized == 0


def test_find_server_looks_only_in_the_project(cloud: FakeOpenStack, driver: OpenStackDriver) -> None:
    seven = driver.ensure_project(organization_id=7, name="Seven")
    eight = driver.ensure_project(organization_id=8, name="Eight")
    server = driver.create_server(spec=spec_for(seven.id))

    assert driver.find_server(project_id=eight.id, tag="kontor-instance-1") is None
    assert driver.find_server(project_id=seven.id, tag="kontor-instance-2") is None
    assert driver.get_server(project_id=eight.id, server_id=server.id) is None
    driver.delete_server(project_id=eight.id, server_id=server.id)
    assert list(cloud.servers) == [server.id]


def test_list_servers_lists_kontor_servers_of_every_project(cloud: FakeOpenStack, driver: OpenStackDriver) -> None:
    seven = driver.ensure_project(organization_id=7, name="Seven")
    eight = driver.ensure_project(organization_id=8, name="Eight")
    one = driver.create_server(spec=spec_for(seven.id, instance_id=1))
    two = driver.create_server(spec=spec_for(eight.id, organization_id=8, instance_id=2))
    foreign = {**cloud.servers[one.id], "id": "someone-else", "tags": ["web"], "tenant_id": "p-admin"}
    cloud.servers["someone-else"] = foreign

    servers = driver.list_servers()

    assert sorted((s.id, s.tags, s.project_id) for s in servers) == sorted(
        [(one.id, ("kontor-instance-1",), seven.id), (two.id, ("kontor-instance-2",), eight.id)]
    )


def test_a_server_error_is_transient_and_nothing_was_created(cloud: FakeOpenStack, driver: OpenStackDriver) -> None:
    project = driver.ensure_project(organization_id=7, name="Seven")
    cloud.fail_next_create = (500, {"computeFault": {"code": 500, "message": "Unexpected API Error."}})

    with pytest.raises(CloudError, match=r"create server kontor-instance-1: HTTP 500") as error:
        driver.create_server(spec=spec_for(project.id))

    assert error.value.transient is True
    assert cloud.servers == {}
    assert driver.find_server(project_id=project.id, tag="kontor-instance-1") is None


@pytest.mark.parametrize(
    "failure",
    [
        (403, {"forbidden": {"code": 403, "message": "Quota exceeded for cores: Requested 28, but already used 0"}}),
        (413, {"overLimit": {"code": 413, "message": "Quota exceeded for instances: Requested 1, but already used 4"}}),
    ],
)
def test_quota_exceeded_is_not_transient(
    cloud: FakeOpenStack, driver: OpenStackDriver, failure: tuple[int, dict[str, Any]]
) -> None:
    project = driver.ensure_project(organization_id=7, name="Seven")
    cloud.fail_next_create = failure

    with pytest.raises(CloudError, match="quota exceeded") as error:
        driver.create_server(spec=spec_for(project.id))

    assert error.value.transient is False
    assert cloud.servers == {}


@pytest.mark.parametrize(
    ("status", "body", "transient"),
    [
        (409, {"conflictingRequest": {"code": 409, "message": "Cannot boot: task state"}}, True),
        (400, {"badRequest": {"code": 400, "message": "Invalid key_name provided."}}, False),
        (403, {"forbidden": {"code": 403, "message": "Policy doesn't allow compute:servers:create"}}, False),
        (503, {"computeFault": {"code": 503, "message": "Service Unavailable"}}, True),
    ],
)
def test_other_http_errors_map_to_transient_or_not(
    cloud: FakeOpenStack, driver: OpenStackDriver, status: int, body: dict[str, Any], transient: bool
) -> None:
    project = driver.ensure_project(organization_id=7, name="Seven")
    cloud.fail_next_create = (status, body)

    with pytest.raises(CloudError, match=f"HTTP {status}") as error:
        driver.create_server(spec=spec_for(project.id))

    assert error.value.transient is transient
    assert cloud.servers == {}


def test_an_unknown_flavor_is_refused_before_booting(cloud: FakeOpenStack, driver: OpenStackDriver) -> None:
    project = driver.ensure_project(organization_id=7, name="Seven")

    with pytest.raises(CloudError, match=r"the cloud has no flavor named 'gpu\.nope'") as error:
        driver.create_server(spec=spec_for(project.id, flavor="gpu.nope"))

    assert error.value.transient is False
    assert cloud.counts["POST /compute/servers"] == 0


def test_an_unreachable_cloud_is_transient(settings: Any) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.KONTOR_OPENSTACK = options_for(f"http://127.0.0.1:{port}", timeout=2.0)

    with pytest.raises(CloudError, match="cannot reach the cloud") as error:
        OpenStackDriver().ensure_project(organization_id=7, name="Seven")

    assert error.value.transient is True


def test_wrong_credentials_are_not_transient(cloud: FakeOpenStack, settings: Any) -> None:
    settings.KONTOR_OPENSTACK = options_for(cloud.url, password="wrong")

    with pytest.raises(CloudError, match="HTTP 401") as error:
        OpenStackDriver().ensure_project(organization_id=7, name="Seven")

    assert error.value.transient is False
    assert cloud.projects.keys() == {"p-admin"}


def test_every_call_carries_the_token_the_fake_insists_on(cloud: FakeOpenStack, driver: OpenStackDriver) -> None:
    request = urllib.request.Request(f"{cloud.url}/compute/v2.1/servers/detail")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401
    assert cloud.unauthorized == 1

    project = driver.ensure_project(organization_id=7, name="Seven")
    driver.create_server(spec=spec_for(project.id))
    driver.list_servers()

    assert cloud.unauthorized == 1
    assert cloud.counts["POST /identity/v3/auth/tokens"] == 2  # the admin token and the project-scoped one


def test_user_data_is_never_logged(
    cloud: FakeOpenStack, driver: OpenStackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    project = driver.ensure_project(organization_id=7, name="Seven")
    spec = spec_for(project.id)
    encoded = base64.b64encode(spec.user_data.encode()).decode()

    with caplog.at_level(logging.DEBUG):
        server = driver.create_server(spec=spec)
        driver.get_server(project_id=project.id, server_id=server.id)

    assert '"user_data": "<redacted>"' in caplog.text  # keystoneauth logged the request, without the secret
    assert encoded not in caplog.text
    assert "nvapi-SECRET-123" not in caplog.text


def test_cloud_flavor_name_maps_kontor_flavors(driver: OpenStackDriver) -> None:
    assert cloud_flavor_name("b200-x1") == "gpu.b200.x1"
    with pytest.raises(CloudError, match="no cloud flavor is mapped to the Kontor flavor 'h100'") as error:
        cloud_flavor_name("h100")
    assert error.value.transient is False


# --- Network access: router, keypair, security group, floating IP ----------------------------------------------------
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhEbBVUs5xPBjQqxG5rTKh5QZ0PNs6dYJ0pNSgLxe2T ada@laptop"


def active_server(cloud: FakeOpenStack, driver: OpenStackDriver, project_id: str, **overrides: Any) -> Any:
    server = driver.create_server(spec=spec_for(project_id, **overrides))
    while (current := driver.get_server(project_id=project_id, server_id=server.id)) and current.status == "BUILD":
        pass
    return current


def test_ensure_project_connects_the_network_to_the_external_one_once(
    cloud: FakeOpenStack, driver: OpenStackDriver
) -> None:
    project = driver.ensure_project(organization_id=7, name="Seven")
    driver.ensure_project(organization_id=7, name="Seven")

    [router] = cloud.routers.values()
    [subnet] = cloud.subnets.values()
    assert (router["name"], router["project_id"]) == ("kontor-net-7", project.id)
    assert router["external_gateway_info"] == {"network_id": "n-public"}
    assert [(p["device_id"], p["fixed_ips"][0]["subnet_id"]) for p in cloud.ports.values()] == [
        (router["id"], subnet["id"])
    ]
    assert cloud.counts["POST /network/v2.0/routers"] == 1
    assert cloud.counts["PUT /network/v2.0/routers/{id}/add_router_interface"] == 1


def test_without_an_external_network_the_cloud_is_private_only(cloud: FakeOpenStack, settings: Any) -> None:
    settings.KONTOR_OPENSTACK = options_for(cloud.url, external_network="")
    driver = OpenStackDriver()
    project = driver.ensure_project(organization_id=7, name="Seven")
    server = active_server(cloud, driver, project.id)

    with pytest.raises(CloudError, match="public addresses need an external network") as error:
        driver.ensure_floating_ip(project_id=project.id, server_id=server.id, tag="kontor-instance-1")

    assert error.value.transient is False
    assert (cloud.routers, cloud.floating_ips) == ({}, {})


def test_keypair_security_group_and_floating_ip_are_made_once_and_removed(
    cloud: FakeOpenStack, driver: OpenStackDriver
) -> None:
    project = driver.ensure_project(organization_id=7, name="Seven")
    rules = (IngressRule("198.51.100.0/24", 22), IngressRule("198.51.100.0/24", 443))

    driver.ensure_keypair(project_id=project.id, name="kontor-instance-1", public_key=ED25519)
    driver.ensure_keypair(project_id=project.id, name="kontor-instance-1", public_key=ED25519)
    group_id = driver.ensure_security_group(project_id=project.id, name="kontor-reservation-3", rules=rules)
    again = driver.ensure_security_group(project_id=project.id, name="kontor-reservation-3", rules=rules)
    server = active_server(
        cloud, driver, project.id, key_name="kontor-instance-1", security_groups=("kontor-reservation-3",)
    )
    first = driver.ensure_floating_ip(project_id=project.id, server_id=server.id, tag="kontor-instance-1")
    second = driver.ensure_floating_ip(project_id=project.id, server_id=server.id, tag="kontor-instance-1")

    assert group_id == again
    assert cloud.counts["POST /compute/os-keypairs"] == 1
    assert cloud.keypairs["kontor-instance-1"]["public_key"] == ED25519
    assert cloud.counts["POST /network/v2.0/security-groups"] == 1
    ingress = sorted(
        (r["remote_ip_prefix"], r["protocol"], r["port_range_min"], r["port_range_max"], r["ethertype"])
        for r in cloud.security_group_rules.values()
        if r["direction"] == "ingress"
    )
    assert ingress == [("198.51.100.0/24", "tcp", 22, 22, "IPv4"), ("198.51.100.0/24", "tcp", 443, 443, "IPv4")]
    assert cloud.counts["POST /network/v2.0/security-group-rules"] == 2
    [body] = cloud.create_bodies
    assert body["server"]["key_name"] == "kontor-instance-1"
    assert body["server"]["security_groups"] == [{"name": "kontor-reservation-3"}]
    assert first == second
    assert (first.address, first.tag, first.project_id) == ("203.0.113.20", "kontor-instance-1", project.id)
    [ip] = cloud.floating_ips.values()
    assert (ip["port_id"], ip["fixed_ip_address"], ip["floating_network_id"]) == (
        f"port-{server.id}",
        server.address,
        "n-public",
    )
    assert cloud.counts["POST /network/v2.0/floatingips"] == 1
    assert driver.list_floating_ips() == [first]

    driver.delete_server(project_id=project.id, server_id=server.id)
    driver.release_floating_ip(project_id=project.id, tag="kontor-instance-1")
    driver.release_floating_ip(project_id=project.id, tag="kontor-instance-1")
    driver.delete_keypair(project_id=project.id, name="kontor-instance-1")
    driver.delete_keypair(project_id=project.id, name="kontor-instance-1")
    driver.delete_security_group(project_id=project.id, name="kontor-reservation-3")
    driver.delete_security_group(project_id=project.id, name="kontor-reservation-3")

    assert (cloud.floating_ips, cloud.keypairs, cloud.security_groups, cloud.security_group_rules) == ({}, {}, {}, {})
    assert cloud.counts["DELETE /network/v2.0/floatingips/{id}"] == 1
    assert cloud.counts["DELETE /network/v2.0/security-groups/{id}"] == 1


def test_ensure_security_group_converges_to_exactly_the_rules(cloud: FakeOpenStack, driver: OpenStackDriver) -> None:
    project = driver.ensure_project(organization_id=7, name="Seven")
    driver.ensure_security_group(
        project_id=project.id,
        name="kontor-reservation-3",
        rules=(IngressRule("198.51.100.0/24", 22), IngressRule("192.0.2.0/24", 22)),
    )

    driver.ensure_security_group(
        project_id=project.id,
        name="kontor-reservation-3",
        rules=(IngressRule("192.0.2.0/24", 22), IngressRule("203.0.113.7/32", 22)),
    )

    ingress = sorted(r["remote_ip_prefix"] for r in cloud.security_group_rules.values() if r["direction"] == "ingress")
    assert ingress == ["192.0.2.0/24", "203.0.113.7/32"]
    assert sorted(r["ethertype"] for r in cloud.security_group_rules.values() if r["direction"] == "egress") == [
        "IPv4",
        "IPv6",
    ]
    assert cloud.counts["DELETE /network/v2.0/security-group-rules/{id}"] == 1


def test_a_deleted_server_leaves_its_floating_ip_behind_for_reconciliation(
    cloud: FakeOpenStack, driver: OpenStackDriver
) -> None:
    project = driver.ensure_project(organization_id=7, name="Seven")
    server = active_server(cloud, driver, project.id)
    ip = driver.ensure_floating_ip(project_id=project.id, server_id=server.id, tag="kontor-instance-1")

    driver.delete_server(project_id=project.id, server_id=server.id)

    assert driver.list_floating_ips() == [ip]
    driver.delete_floating_ip(floating_ip_id=ip.id)
    assert driver.list_floating_ips() == []


def test_reboot_and_console_log(cloud: FakeOpenStack, driver: OpenStackDriver) -> None:
    project = driver.ensure_project(organization_id=7, name="Seven")
    server = active_server(cloud, driver, project.id)

    driver.reboot_server(project_id=project.id, server_id=server.id, hard=False)
    driver.reboot_server(project_id=project.id, server_id=server.id, hard=True)
    log = driver.console_log(project_id=project.id, server_id=server.id, lines=3)

    assert cloud.actions == [(server.id, "reboot", "SOFT"), (server.id, "reboot", "HARD"), (server.id, "console", 3)]
    assert log == "[    98.000000] boot line 98\n[    99.000000] boot line 99\n[    100.000000] boot line 100"
    other = driver.ensure_project(organization_id=8, name="Eight")
    with pytest.raises(CloudError, match="the server is gone"):
        driver.console_log(project_id=other.id, server_id=server.id, lines=3)
    assert len(cloud.actions) == 3


# --- One driver per worker process: sessions and converged projects reused ------------------------------------------
def requests_made(cloud: FakeOpenStack) -> int:
    return sum(cloud.counts.values())


def test_get_driver_reuses_one_driver_per_process_until_the_settings_change(
    cloud: FakeOpenStack, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.KONTOR_CLOUD_DRIVER = "openstack"
    settings.KONTOR_OPENSTACK = options_for(cloud.url)
    first = get_driver()

    assert get_driver() is first
    settings.KONTOR_OPENSTACK = options_for(cloud.url, project_role="admin")
    other = get_driver()
    assert other is not first
    assert get_driver() is other
    monkeypatch.setattr("provisioning.drivers.os.getpid", lambda: -1)  # a forked child never shares its sockets
    assert get_driver() is not other


def test_a_second_step_of_the_process_reuses_the_token_and_the_converged_project(
    cloud: FakeOpenStack, settings: Any
) -> None:
    settings.KONTOR_CLOUD_DRIVER = "openstack"
    settings.KONTOR_OPENSTACK = options_for(cloud.url)
    project = get_driver().ensure_project(organization_id=7, name="Seven")
    get_driver().find_server(project_id=project.id, tag="kontor-instance-1")
    after_first = requests_made(cloud)

    again = get_driver().ensure_project(organization_id=7, name="Seven")
    assert get_driver().find_server(project_id=project.id, tag="kontor-instance-1") is None

    assert again == project
    assert requests_made(cloud) == after_first + 1  # the server lookup: no token, no project, role, quota, network
    assert cloud.counts["POST /identity/v3/auth/tokens"] == 1
    assert cloud.counts["PUT /compute/os-quota-sets/{project}"] == 1


def test_a_converged_project_is_converged_again_after_the_reuse_time(cloud: FakeOpenStack, settings: Any) -> None:
    settings.KONTOR_OPENSTACK = options_for(cloud.url, project_reuse_seconds=0)
    driver = OpenStackDriver()

    driver.ensure_project(organization_id=7, name="Seven")
    driver.ensure_project(organization_id=7, name="Seven")

    assert cloud.counts["PUT /compute/os-quota-sets/{project}"] == 2
    assert cloud.counts["POST /identity/v3/projects"] == 1
    assert cloud.counts["POST /network/v2.0/networks"] == 1
    assert cloud.counts["POST /identity/v3/auth/tokens"] == 1


def test_a_revoked_token_is_replaced_once_and_the_call_succeeds(cloud: FakeOpenStack, driver: OpenStackDriver) -> None:
    project = driver.ensure_project(organization_id=7, name="Seven")
    driver.create_server(spec=spec_for(project.id))
    cloud.tokens.clear()  # Keystone restarted, or the tokens were revoked

    server = driver.find_server(project_id=project.id, tag="kontor-instance-1")
    again = driver.create_server(spec=spec_for(project.id, instance_id=2, name="kontor-2"))

    assert server is not None
    assert again.tags == ("kontor-instance-2",)
    assert cloud.unauthorized == 2  # one refused request per connection (admin, project-scoped), each retried
    assert cloud.counts["POST /identity/v3/auth/tokens"] == 4


def test_a_cloud_error_about_a_remembered_project_makes_the_next_step_converge_it_again(
    cloud: FakeOpenStack, driver: OpenStackDriver
) -> None:
    project = driver.ensure_project(organization_id=7, name="Seven")
    cloud.networks.clear()  # an operator deleted the project's network
    cloud.subnets.clear()

    with pytest.raises(CloudError, match="no network 'kontor-net-7'") as error:
        driver.create_server(spec=spec_for(project.id))
    assert error.value.transient is True  # the retry's step converges the project again

    assert driver.ensure_project(organization_id=7, name="Seven") == project
    server = driver.create_server(spec=spec_for(project.id))
    assert cloud.counts["POST /network/v2.0/networks"] == 2
    assert cloud.counts["POST /network/v2.0/subnets"] == 2
    assert server.tags == ("kontor-instance-1",)
    assert len(cloud.servers) == 1
