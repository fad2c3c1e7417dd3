"""The issue's "done when" in Chromium: a new customer adds an SSH key and an allowed network on the cloud access
page, books a NIM with a public address, watches it go active, and the reservation page shows ``ssh ubuntu@<floating
IP>`` with the key's fingerprint and an ``https://`` service URL with a token. The OpenStack driver runs against the
loopback fake OpenStack of tests/provisioning, with the provisioning tasks executed in place (Celery eager, as a
worker would run them next); the fake cloud got exactly one keypair, one floating IP and the rules for that network,
and releasing removes all of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import PageMonitor
from tests.provisioning import keys
from tests.provisioning.fake_openstack import FakeOpenStack
from tests.provisioning.test_openstack_driver import options_for

if TYPE_CHECKING:
    from catalog.models import Quote
    from tenants.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORGANIZATION = "rheinwerk-robotics-gmbh"
CIDR = "85.214.0.0/16"


@pytest.fixture
def cloud(settings: Any) -> Iterator[FakeOpenStack]:
    from portal.celery import app as celery_app

    fake = FakeOpenStack(build_polls=2, poll_on_list=True).start()
    settings.KONTOR_CLOUD_DRIVER = "openstack"
    settings.KONTOR_OPENSTACK = options_for(fake.url)
    celery_app.conf.task_always_eager = True
    yield fake
    celery_app.conf.task_always_eager = False
    fake.stop()


@pytest.fixture
def nim_quote(transactional_db: None, customer: User) -> Quote:
    """The seeded catalog, one on-demand DGX B200 node per zone, the organization active, and an open on-demand quote
    for one NIM on b200-x1 starting now."""
    from django.utils import timezone

    from catalog.models import AvailabilityZone, CatalogItem, Flavor, NodeType
    from catalog.seeding import catalog_seed
    from catalog.services import quote_create
    from reservations.choices import Pool
    from reservations.models import CapacityPool, Node
    from tenants.audit import Actor
    from tenants.choices import OrganizationStatus
    from tenants.models import Organization

    catalog_seed(actor=Actor.system("browser-tests"))
    node_type = NodeType.objects.get(slug="dgx-b200")
    for zone in AvailabilityZone.objects.order_by("slug"):
        pool = CapacityPool.objects.create(zone=zone, node_type=node_type, pool=Pool.ON_DEMAND)
        Node.objects.create(hostname=f"{zone.slug}-od-0", pool=pool)
    Organization.objects.filter(slug=ORGANIZATION).update(status=OrganizationStatus.ACTIVE)
    now = timezone.now()
    return quote_create(
        actor=Actor.system("browser-tests"),
        organization=Organization.objects.get(slug=ORGANIZATION),
        version=CatalogItem.objects.get(slug="nim-llama-3-1-8b-instruct").versions.latest("released_on"),
        flavor=Flavor.objects.get(slug="b200-x1"),
        instance_count=1,
        commitment="on_demand",
        starts_at=now,
        ends_at=now + timedelta(days=1),
    )


def ingress(cloud: FakeOpenStack) -> list[tuple[str, int]]:
    return sorted(
        (rule["remote_ip_prefix"], rule["port_range_min"])
        for rule in cloud.security_group_rules.values()
        if rule["direction"] == "ingress"
    )


def test_a_new_customer_reaches_a_public_nim_by_ssh_and_https_and_releasing_removes_everything(
    live_server: LiveServer,
    cloud: FakeOpenStack,
    nim_quote: Quote,
    customer: User,
    login_as: Callable[[User], None],
    page: Page,
    monitor: PageMonitor,
) -> None:
    from provisioning.tasks import dispatch_due_task

    public_key = keys.ed25519_key()
    fingerprint = keys.fingerprint(public_key)
    login_as(customer)
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_role("link", name="Cloud access", exact=True).click()

    keys_form = page.locator("#ssh-key-form")
    keys_form.get_by_label("Name").fill("Laptop")
    keys_form.get_by_label("Public key").fill(public_key)
    keys_form.get_by_role("button", name="Add the key").click()
    expect(page.locator(".messages")).to_contain_text(f"Added the SSH key {fingerprint}.")
    networks_form = page.locator("#allowed-cidr-form")
    networks_form.get_by_role("textbox", name="Network").fill(CIDR)
    networks_form.get_by_role("button", name="Allow the network").click()
    expect(page.locator(".messages")).to_contain_text(f"Allowed {CIDR}.")

    page.goto(f"{live_server.url}/orgs/{ORGANIZATION}/quotes/{nim_quote.pk}/")
    book_form = page.locator("#quote-book-form")
    expect(book_form.get_by_label(re.compile("Laptop"))).to_be_checked()
    book_form.locator("input[name=public_address]").check()
    book_form.get_by_role("button", name="Confirm and book").click()
    expect(page).to_have_url(re.compile(rf"/orgs/{ORGANIZATION}/reservations/\d+/$"))

    expect(page.locator("#instances-reservation-state")).to_have_text("Scheduled")
    dispatch_due_task.apply()  # the beat's next run: the start has come; the servers are made in place (eager)
    page.reload()
    expect(page.locator("#instances-reservation-state")).to_have_text("Active", timeout=20_000)

    [floating_ip] = [ip["floating_ip_address"] for ip in cloud.floating_ips.values()]
    ssh = page.locator("#instance-table tbody tr td:nth-child(5)")
    expect(ssh).to_contain_text(f"ssh ubuntu@{floating_ip}")
    expect(ssh.locator("code.fingerprint")).to_have_text([fingerprint])
    expect(page.locator("#instance-table tbody tr td:nth-child(6)")).to_have_text(f"https://{floating_ip}:8443/")
    assert len(cloud.keypairs) == 1
    assert [keypair["public_key"] for keypair in cloud.keypairs.values()] == [public_key]
    assert len(cloud.floating_ips) == 1
    assert ingress(cloud) == [(CIDR, 22), (CIDR, 8443)]

    page.get_by_role("button", name="Show the token and a curl example").click()
    token = page.locator("#service-token").input_value()
    assert re.fullmatch(r"kse_[A-Za-z0-9_-]{43}", token)
    expect(page.locator("#service-curl")).to_contain_text(
        f'-H "Authorization: Bearer {token}" https://{floating_ip}:8443/v1/models'
    )

    page.get_by_role("link", name="Back to the reservation").click()
    page.get_by_role("button", name="Release now…").click()
    page.get_by_role("button", name=re.compile(r"^Yes, release reservation \d+ now$")).click()
    expect(page.locator("#instances-reservation-state")).to_have_text("Ended", timeout=20_000)

    assert (cloud.servers, cloud.floating_ips, cloud.keypairs) == ({}, {}, {})
    assert (cloud.security_groups, cloud.security_group_rules) == ({}, {})
    monitor.assert_clean()
