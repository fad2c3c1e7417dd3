"""The operator console: catalog edits are audited, prices go through the services, published lists are read-only."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from catalog.choices import Commitment, License
from catalog.models import CatalogItem, CatalogItemVersion, ComputePrice, Flavor, PriceList
from catalog.services import (
    price_list_copy_as_draft,
    price_list_create_draft,
    price_list_set_compute_price,
    price_list_set_license_price,
)
from tenants.audit import Actor
from tenants.models import AuditEvent
from tests.catalog.factories import FlavorFactory, NodeTypeFactory, published_price_list
from tests.support.html_tables import table_rows

pytestmark = pytest.mark.django_db


def form_data(response) -> dict[str, Any]:
    """The POST body the admin change page would send as it stands: the object's form and every inline."""
    data: dict[str, Any] = {}

    def add(form) -> None:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif value is not None:
                data[key] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def actions() -> list[tuple[str, str]]:
    return list(AuditEvent.objects.unscoped().order_by("id").values_list("action", "actor_label"))


def test_the_console_lists_the_catalog_for_operators(console_client, now, flavors, items, launch_prices):

    index = console_client.get("/ops/").content.decode()

    assert "Catalog and prices" in index
    for url in (
        "/ops/catalog/catalogitem/",
        "/ops/catalog/flavor/",
        "/ops/catalog/pricelist/",
        "/ops/catalog/quote/",
        "/ops/catalog/zonecapacity/",
    ):
        assert console_client.get(url).status_code == 200, url


def test_an_operator_edit_of_an_item_and_its_versions_is_audited(console_client, items):
    url = f"/ops/catalog/catalogitem/{items.nemo.pk}/change/"
    data = form_data(console_client.get(url))
    data.update(
        {
            "summary": "Build and train LLMs.",
            "versions-TOTAL_FORMS": str(int(data["versions-TOTAL_FORMS"])),
        }
    )
    extra = int(data["versions-INITIAL_FORMS"])  # the first empty form
    data.update({f"versions-{extra}-tag": "25.11", f"versions-{extra}-released_on": "2025-12-01"})

    response = console_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert CatalogItem.objects.get(slug="nemo").summary == "Build and train LLMs."
    assert list(CatalogItemVersion.objects.filter(item__slug="nemo").values_list("tag", flat=True)) == [
        "25.11",
        "25.09",
    ]
    assert actions() == [
        ("catalogitem.changed_in_console", "operator@kontor.example"),
        ("catalogitemversion.created_in_console", "operator@kontor.example"),
    ]


def test_a_bare_metal_flavor_must_be_a_whole_node(console_client, flavors):
    url = f"/ops/catalog/flavor/{flavors['b200-x4'].pk}/change/"
    data = {**form_data(console_client.get(url)), "deployment": "bare_metal"}

    response = console_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"deployment": ["Bare metal is a whole node: 8 GPUs."]}
    assert Flavor.objects.get(slug="b200-x4").deployment == "vm"
    assert actions() == []


def test_a_published_price_list_is_read_only_in_the_console(console_client, launch_prices):
    url = f"/ops/catalog/pricelist/{launch_prices.pk}/change/"

    page = console_client.get(url)
    response = console_client.post(url, {"name": "Changed", "notes": ""})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403
    assert PriceList.objects.get(pk=launch_prices.pk).name == "2026 launch prices"
    assert console_client.post(f"/ops/catalog/pricelist/{launch_prices.pk}/delete/", {"post": "yes"}).status_code == 403
    assert actions() == []


def test_prices_edited_in_a_draft_go_through_the_service_and_are_audited(console_client, now, flavors):
    draft = price_list_create_draft(actor=Actor.system("setup"), name="Draft")
    price_list_set_compute_price(
        actor=Actor.system("setup"),
        price_list=draft,
        flavor=flavors["b200-x1"],
        commitment=Commitment.ON_DEMAND,
        unit_price=Decimal("6.90"),
    )
    url = f"/ops/catalog/pricelist/{draft.pk}/change/"
    data = form_data(console_client.get(url))
    data["compute_prices-0-unit_price"] = "7.10"
    data.update(
        {
            "compute_prices-1-flavor": str(flavors["rtx-pro-x1"].pk),
            "compute_prices-1-commitment": "on_demand",
            "compute_prices-1-unit_price": "1.95",
            "compute_prices-TOTAL_FORMS": "2",
        }
    )

    response = console_client.post(url, data)

    assert response.status_code == 302
    assert sorted(
        ComputePrice.objects.filter(price_list=draft).values_list("flavor__slug", "commitment", "unit_price")
    ) == [("b200-x1", "on_demand", Decimal("7.1000")), ("rtx-pro-x1", "on_demand", Decimal("1.9500"))]
    assert [action for action, label in actions() if label == "operator@kontor.example"] == [
        "pricelist.changed_in_console",
        "price_list.price_removed",
        "price_list.compute_price_set",
        "price_list.compute_price_set",
    ]


def test_operators_copy_publish_and_withdraw_with_actions(console_client, now, flavors, launch_prices):

    console_client.post(
        "/ops/catalog/pricelist/", {"action": "copy_as_draft", "_selected_action": [str(launch_prices.pk)]}
    )
    draft = PriceList.objects.get(name="Copy of 2026 launch prices")
    PriceList.objects.filter(pk=draft.pk).update(effective_from=launch_prices.effective_from.replace(year=2027))
    console_client.post("/ops/catalog/pricelist/", {"action": "publish", "_selected_action": [str(draft.pk)]})
    draft.refresh_from_db()
    published_at = draft.published_at
    console_client.post("/ops/catalog/pricelist/", {"action": "withdraw", "_selected_action": [str(draft.pk)]})
    draft.refresh_from_db()

    assert published_at is not None
    assert (draft.published_at, draft.effective_from.year) == (None, 2027)
    assert [action for action, _ in actions()] == ["price_list.copied", "price_list.published", "price_list.withdrawn"]


def test_publishing_an_incomplete_draft_in_the_console_says_why(console_client, now, flavors):
    draft = price_list_create_draft(actor=Actor.system("setup"), name="Empty")

    response = console_client.post(
        "/ops/catalog/pricelist/", {"action": "publish", "_selected_action": [str(draft.pk)]}, follow=True
    )

    assert "Empty: Prices are missing for: b200-x1 / On demand" in response.content.decode()
    draft.refresh_from_db()
    assert draft.published_at is None


def test_a_copied_draft_can_change_a_license_price(now, launch_prices):
    draft = price_list_copy_as_draft(actor=Actor.system("setup"), source=launch_prices)

    price_list_set_license_price(
        actor=Actor.system("setup"),
        price_list=draft,
        license=License.NVIDIA_AI_ENTERPRISE,
        commitment=Commitment.ON_DEMAND,
        unit_price=Decimal("0.95"),
    )

    assert draft.license_prices.get(commitment="on_demand").unit_price == Decimal("0.9500")
    assert launch_prices.license_prices.get(commitment="on_demand").unit_price == Decimal("0.8800")


@pytest.fixture
def two_flavor_prices(db) -> PriceList:
    """A published list pricing two flavors on demand and for a month, and the license on demand only."""
    dgx = NodeTypeFactory.create()
    small = FlavorFactory.create(slug="b200-x1", name="B200 ×1", node_type=dgx)
    large = FlavorFactory.create(slug="b200-x2", name="B200 ×2", node_type=dgx, gpu_count=2)
    return published_price_list(
        name="Two flavors",
        effective_from=datetime(2026, 1, 1, tzinfo=UTC),
        compute={
            (small, Commitment.ON_DEMAND): Decimal("6.90"),
            (small, Commitment.RESERVED_1M): Decimal("5.90"),
            (large, Commitment.ON_DEMAND): Decimal("13.80"),
            (large, Commitment.RESERVED_1M): Decimal("1180.5"),
        },
        license={(License.NVIDIA_AI_ENTERPRISE, Commitment.ON_DEMAND): Decimal("0.88")},
    )


def test_a_price_list_shows_its_prices_as_flavor_and_license_tables(console_client, two_flavor_prices):
    page = console_client.get(f"/ops/catalog/pricelist/{two_flavor_prices.pk}/change/").content.decode()

    assert table_rows(page, "compute-price-table") == [
        ["Flavor", "On demand", "Reserved, 1 month", "Reserved, 12 months"],
        ["B200 ×1", "€6.90 / GPU-h", "€5.90 / GPU-h", "—"],
        ["B200 ×2", "€13.80 / GPU-h", "€1,180.50 / GPU-h", "—"],
    ]
    assert table_rows(page, "license-price-table") == [
        ["License", "On demand", "Reserved, 1 month", "Reserved, 12 months"],
        ["NVIDIA AI Enterprise", "€0.88 / GPU-h", "—", "—"],
    ]
    assert "on_demand" not in page  # no raw inline rows ("1 on_demand: 6.9000 EUR") on a published list
    assert "6.9000" not in page


def test_the_price_tables_speak_german(console_client, two_flavor_prices):
    page = console_client.get(
        f"/ops/catalog/pricelist/{two_flavor_prices.pk}/change/", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()

    assert table_rows(page, "compute-price-table") == [
        ["Instanztyp", "On-Demand", "Reserviert, 1 Monat", "Reserviert, 12 Monate"],
        ["B200 ×1", "6,90 € / GPU-Std.", "5,90 € / GPU-Std.", "—"],
        ["B200 ×2", "13,80 € / GPU-Std.", "1.180,50 € / GPU-Std.", "—"],
    ]
    assert table_rows(page, "license-price-table")[1] == ["NVIDIA AI Enterprise", "0,88 € / GPU-Std.", "—", "—"]


def test_a_draft_lists_its_price_rows_readably_and_every_active_flavor_in_the_table(console_client, now, flavors):
    draft = price_list_create_draft(actor=Actor.system("setup"), name="Draft")
    price = price_list_set_compute_price(
        actor=Actor.system("setup"),
        price_list=draft,
        flavor=flavors["b200-x4"],
        commitment=Commitment.RESERVED_12M,
        unit_price=Decimal("4.5"),
    )

    page = console_client.get(f"/ops/catalog/pricelist/{draft.pk}/change/").content.decode()

    assert str(price) == "B200 ×4, Reserved, 12 months: €4.50 per GPU-hour"
    rows = table_rows(page, "compute-price-table")
    assert rows[0] == ["Flavor", "On demand", "Reserved, 1 month", "Reserved, 12 months"]
    assert [row[0] for row in rows[1:]] == sorted(flavor.name for flavor in flavors.values())
    assert [row for row in rows if row[0] == "B200 ×4"] == [["B200 ×4", "—", "—", "€4.50 / GPU-h"]]
    assert 'name="compute_prices-0-unit_price"' in page  # a draft is still edited row by row
