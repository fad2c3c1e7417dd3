"""An operator opens the console: the dashboard shows who waits for approval and the capacity charts, and its links
open the lists behind them (no request outside the live server, no console error)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import PageMonitor
from tests.browser.test_onboarding import operator_session


@pytest.fixture
def console_data(transactional_db: None, settings: Any) -> Any:
    """Two sign-ups waiting and one zone with two DGX B200 nodes; the operator who signs in."""
    from django.core.cache import cache

    from catalog.models import AvailabilityZone, GpuModel, NodeType, Region
    from portal.ops.health import PROBE_CACHE_KEY
    from reservations.choices import Pool
    from reservations.models import CapacityPool, Node
    from tests.factories import OperatorFactory, OrganizationFactory

    settings.KONTOR_OPS_HEALTH_TIMEOUT_SECONDS = 0.2
    cache.delete(PROBE_CACHE_KEY)
    for name in ("Wartend Eins GmbH", "Wartend Zwei GmbH"):
        OrganizationFactory.create(legal_name=name, status="pending_approval")
    zone = AvailabilityZone.objects.create(
        region=Region.objects.create(slug="de-muc", name="Munich"), slug="de-muc-1a", name="Munich 1a"
    )
    b200 = GpuModel.objects.create(slug="b200", name="NVIDIA B200", memory_gb=180)
    node_type = NodeType.objects.create(
        slug="dgx-b200", name="DGX B200", gpu_model=b200, gpus_per_node=8, vcpus=224, ram_gb=2048, local_disk_gb=30720
    )
    pool = CapacityPool.objects.create(zone=zone, node_type=node_type, pool=Pool.RESERVABLE)
    for number in range(2):
        Node.objects.create(hostname=f"de-muc-1a-dgx-b200-{number:04d}", pool=pool)
    yield OperatorFactory.create(email="operator@kontor.example")
    cache.delete(PROBE_CACHE_KEY)


def test_the_operator_dashboard_shows_pending_approvals_and_capacity_and_links_to_the_lists(
    live_server: LiveServer, context: BrowserContext, page: Page, monitor: PageMonitor, console_data: Any
) -> None:
    operator_session(context, live_server, console_data)
    page.set_viewport_size({"width": 1366, "height": 768})

    page.goto(f"{live_server.url}/ops/")

    expect(page.locator("#ops-approvals-count")).to_have_text("2")
    chart = page.locator("#capacity-de-muc-1a-b200 svg[role='img']")
    expect(chart).to_be_visible()
    label = (
        "Munich 1a, NVIDIA B200: 16 GPUs; now 0 in use, 0 booked, 0 on demand, 0 in maintenance, 16 free. Stacked "
        "bars for now and each of the next 14 days; the table below has every value."
    )
    expect(chart).to_have_attribute("aria-label", label)
    expect(page.locator("#capacity-de-muc-1a-b200 g.ops-bar")).to_have_count(15)
    assert page.locator("#capacity-de-muc-1a-b200").bounding_box()["width"] > 300  # type: ignore[index]
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # fits the narrowest operator screen

    page.locator("#ops-approvals-count").click()
    expect(page).to_have_url(f"{live_server.url}/ops/tenants/organization/?status__exact=pending_approval")
    expect(page.locator("#result_list")).to_contain_text("Wartend Eins GmbH")
    expect(page.locator("#result_list")).to_contain_text("Wartend Zwei GmbH")

    monitor.assert_clean()
