"""The operator dashboard at /ops/: every figure with its link, capacity charts as accessible SVG, health that never
waits on a broker that is down, German and English, and a fixed number of queries."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from lxml import html

from billing.periods import BillingPeriod
from catalog.models import AvailabilityZone, GpuModel, NodeType
from portal.celery import app
from portal.ops.health import PROBE_CACHE_KEY, platform_health
from portal.tasks import BEAT_HEARTBEAT_KEY, WORKER_HEARTBEAT_KEY, worker_heartbeat
from provisioning.models import Instance
from reservations.models import CapacityPool, Node
from tenants.models import Organization
from tests.factories import (
    AllocationFactory,
    DriftFindingFactory,
    InstanceFactory,
    InvoiceFactory,
    OrganizationFactory,
    QuotaRequestFactory,
    ReservationFactory,
)
from tests.reservations.conftest import catalog, customer, make_quote, small_inventory  # noqa: F401

pytestmark = pytest.mark.django_db

QUEUES = ["default", "documents", "email", "metering", "provisioning"]


@pytest.fixture(autouse=True)
def fresh_health(settings):
    settings.KONTOR_OPS_HEALTH_TIMEOUT_SECONDS = 0.2
    keys = [PROBE_CACHE_KEY, BEAT_HEARTBEAT_KEY, *(WORKER_HEARTBEAT_KEY.format(queue=queue) for queue in QUEUES)]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


@pytest.fixture
def operations(small_inventory, customer, make_quote):  # noqa: F811
    """Something in every tile: two sign-ups waiting, a running reservation with a failed instance, a quota request,
    a drift finding, last month's draft invoice and this month's finalized one."""
    now = timezone.now()
    for name, age in (("Wartend Alt GmbH", 5), ("Wartend Neu GmbH", 1)):
        waiting = OrganizationFactory.create(legal_name=name, status="pending_approval")
        Organization.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(days=age))
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    running = ReservationFactory.create(
        quote=make_quote(flavor="b200-x8-metal"), zone=zone, state="active", starts_at=now - timedelta(hours=1)
    )
    AllocationFactory.create(reservation=running, node=Node.objects.get(hostname="de-muc-1a-reservable-0"))
    InstanceFactory.create(reservation=running, state="failed", last_error="No valid host was found")
    QuotaRequestFactory.create(organization=customer, gpu_model=GpuModel.objects.get(slug="b200"))
    DriftFindingFactory.create(kind="orphan_server")
    previous = BillingPeriod.containing(BillingPeriod.containing(now).start - timedelta(seconds=1))
    InvoiceFactory.create(organization=customer, period_start=previous.start, net_amount=Decimal("4200.80"))
    InvoiceFactory.create(
        organization=OrganizationFactory.create(),
        period_start=previous.start,
        net_amount=Decimal("1234.50"),
        finalized=True,
        issued_at=now - timedelta(seconds=5),
    )
    return running


def page(client, **headers) -> html.HtmlElement:
    response = client.get("/ops/", **headers)
    assert response.status_code == 200
    return html.fromstring(response.content.decode())


def by_id(document: html.HtmlElement, dom_id: str) -> html.HtmlElement:
    return document.get_element_by_id(dom_id)


def text(document: html.HtmlElement, selector: str) -> str:
    """The text of ``#id``, or of ``#id <tag>`` (the one such descendant), whitespace collapsed."""
    dom_id, _, tag = selector.lstrip("#").partition(" ")
    element = by_id(document, dom_id)
    if tag:
        (element,) = element.iter(tag)
    return " ".join(" ".join(element.itertext()).split())


def test_the_dashboard_shows_each_figure_with_its_list(operations, console_client, django_assert_num_queries):
    with django_assert_num_queries(15):
        document = page(console_client)

    assert text(document, "#ops-approvals-count") == "2"
    assert by_id(document, "ops-approvals-count").get("href") == (
        "/ops/tenants/organization/?status__exact=pending_approval"
    )
    assert text(document, "#ops-approvals-oldest") == "Oldest waiting for 5 days"
    assert [a.text for a in by_id(document, "ops-approvals").xpath(".//li/a")] == [
        "Wartend Alt GmbH",
        "Wartend Neu GmbH",
    ]
    waiting = Organization.objects.filter(status="pending_approval").order_by("created_at")
    assert [a.get("href") for a in by_id(document, "ops-approvals").xpath(".//li/a")] == [
        f"/ops/tenants/organization/{organization.pk}/review/" for organization in waiting
    ]
    assert text(document, "#ops-failed-instances") == "1"
    assert text(document, "#ops-failed-reservations") == "0"
    assert text(document, "#ops-stuck-reservations") == "0"
    assert text(document, "#ops-drift-open") == "1"
    assert text(document, "#ops-quota-count") == "1"
    assert (text(document, "#ops-invoices-to-review"), text(document, "#ops-invoices-reviewed")) == ("1", "0")
    assert (text(document, "#ops-invoices-finalized"), text(document, "#ops-credit-notes")) == ("1", "0")
    assert text(document, "#ops-revenue-net") == "€1,234.50"
    assert "Customers and access" in text(document, "#ops-apps")  # the list of apps stays below


def test_the_dashboard_makes_as_many_queries_with_more_pools_and_rows(
    operations,
    console_client,
    make_quote,  # noqa: F811  # the fixture imported above
    django_assert_num_queries,
):
    node_type = NodeType.objects.get(slug="rtx-pro-server")
    for zone in AvailabilityZone.objects.all():
        pool = CapacityPool.objects.create(zone=zone, node_type=node_type, pool="reservable")
        rtx_node = Node.objects.create(hostname=f"{zone.slug}-rtx-0", pool=pool)
        reservation = ReservationFactory.create(
            quote=make_quote(flavor="rtx-pro-x1"), zone=zone, state="scheduled", starts_at=timezone.now()
        )
        AllocationFactory.create(reservation=reservation, node=rtx_node)
        InstanceFactory.create(reservation=reservation, state="failed", last_error="boot failed")
    for _ in range(3):
        OrganizationFactory.create(status="pending_approval")

    with django_assert_num_queries(15):
        document = page(console_client)

    assert len(document.xpath("//figure[@class='ops-chart']")) == 4
    assert (text(document, "#ops-approvals-count"), text(document, "#ops-failed-instances")) == ("5", "3")


def test_the_capacity_chart_is_an_image_with_a_text_equivalent(operations, console_client):
    document = page(console_client)

    charts = document.xpath("//figure[@class='ops-chart']")
    assert [chart.get("id") for chart in charts] == ["capacity-de-muc-1a-b200", "capacity-de-muc-1b-b200"]
    (svg,) = by_id(document, "capacity-de-muc-1a-b200").iter("svg")
    label = (
        "Munich 1a, NVIDIA B200: 24 GPUs; now 8 in use, 0 booked, 0 on demand, 0 in maintenance, 16 free. Stacked "
        "bars for now and each of the next 14 days; the table below has every value."
    )
    assert (svg.get("role"), svg.get("aria-label"), svg.find("title").text) == ("img", label, label)
    assert len(svg.xpath("./g[@class='ops-bar']")) == 15
    now_bar = svg.xpath("./g[@data-day='now']/rect")
    assert [(rect.get("class"), rect.get("data-gpus"), rect.get("height")) for rect in now_bar] == [
        ("ops-series-used", "8", "46.67"),
        ("ops-series-free", "16", "93.33"),
    ]
    rows = by_id(document, "capacity-de-muc-1a-b200-table").xpath("./tbody/tr")
    assert len(rows) == 15
    assert [cell.text_content() for cell in rows[0]] == ["now", "8", "0", "0", "0", "16", "24"]
    assert by_id(document, "capacity-de-muc-1a-b200-table").getparent().get("class") == "visually-hidden"


def test_every_link_on_the_dashboard_opens_its_list(operations, console_client):
    document = page(console_client)
    figures = [*document.xpath("//div[@class='ops-tiles']//a"), *by_id(document, "ops-capacity").iter("a")]
    links = sorted({a.get("href") for a in figures})

    answers = {link: console_client.get(link) for link in links}

    assert {link: response.status_code for link, response in answers.items() if response.status_code != 200} == {}
    failed = [link for link in links if link.startswith("/ops/provisioning/instance/?state__exact=failed")]
    assert len(failed) == 1
    instance = Instance.objects.unscoped().get()
    assert f"/ops/provisioning/instance/{instance.pk}/change/" in answers[failed[0]].content.decode()
    approvals = answers["/ops/tenants/organization/?status__exact=pending_approval"].content.decode()
    assert "Wartend Alt GmbH" in approvals
    assert "Rheinwerk Robotics GmbH" not in approvals
    (to_review,) = [link for link in links if "review__isnull=True" in link]
    assert "1 invoice" in answers[to_review].content.decode()


def test_the_dashboard_speaks_german(operations, console_client):
    document = page(console_client, HTTP_ACCEPT_LANGUAGE="de")

    assert text(document, "#ops-approvals-title") == "Ausstehende Freigaben"
    assert text(document, "#ops-approvals-oldest") == "Die älteste wartet schon 5 Tage"
    assert by_id(document, "ops-revenue-net").text == "1.234,50\u00a0€"
    assert (
        next(by_id(document, "capacity-de-muc-1a-b200").iter("svg"))
        .get("aria-label")
        .startswith("Munich 1a, NVIDIA B200: 24 GPUs; jetzt 8 in Nutzung")
    )


def test_health_shows_heartbeats_and_a_broker_that_is_down_without_waiting(console_client, monkeypatch):
    now = timezone.now()
    cache.set(BEAT_HEARTBEAT_KEY, (now - timedelta(seconds=30)).isoformat())
    worker_heartbeat("default")
    cache.set(WORKER_HEARTBEAT_KEY.format(queue="email"), (now - timedelta(minutes=10)).isoformat())
    monkeypatch.setattr(app.conf, "broker_write_url", "redis://127.0.0.1:1/0")  # nothing listens there

    started = time.monotonic()
    document = page(console_client)
    elapsed = time.monotonic() - started

    assert elapsed < 5
    assert text(document, "#ops-health-broker") == "Broker unreachable"
    assert "late" not in text(document, "#ops-health-beat")
    assert "late" not in text(document, "#ops-health-queue-default")
    assert text(document, "#ops-health-queue-email").endswith("(late)")
    assert text(document, "#ops-health-queue-metering") == "Worker “metering” never (late)"
    (error,) = by_id(document, "ops-health").xpath(".//p[contains(@class, 'ops-error')]")
    assert "Connection refused" in error.text_content()


def test_the_broker_probe_is_cached_briefly(monkeypatch):
    probes = []
    monkeypatch.setattr(
        "portal.ops.health._probe",
        lambda: probes.append(1) or {"checked_at": datetime(2026, 12, 1), "error": None, "workers": ["default@host"]},
    )

    first = platform_health(now=timezone.now())
    second = platform_health(now=timezone.now())

    assert len(probes) == 1
    assert first.workers == second.workers == ["default@host"]
    assert first.broker_error is None


def test_a_reachable_broker_answers_with_the_workers_that_pinged_back():
    health = platform_health(now=timezone.now())

    assert (health.broker_error, health.workers) == (None, [])  # no worker runs in this test
    assert [queue.name for queue in health.queues] == QUEUES
    assert health.beat.late
    assert not health.healthy
