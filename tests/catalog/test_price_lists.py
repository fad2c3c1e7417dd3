"""The versioned price book: drafts, publishing, the list in effect, and a published list frozen everywhere."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.choices import Commitment, License
from catalog.models import ComputePrice, LicensePrice, PriceList
from catalog.selectors import price_list_in_effect, price_list_next
from catalog.services import (
    PriceListFrozenError,
    price_list_copy_as_draft,
    price_list_create_draft,
    price_list_missing_prices,
    price_list_publish,
    price_list_remove_price,
    price_list_set_compute_price,
    price_list_set_license_price,
    price_list_withdraw,
)
from tenants.audit import Actor
from tenants.models import AuditEvent
from tests.catalog.conftest import LAUNCH, NOW, NVAIE_PRICES, launch_prices_for

pytestmark = pytest.mark.django_db

OPERATOR = Actor.system("operator-test")


def prices(price_list: PriceList) -> list[tuple[str, str, Decimal]]:
    return sorted(
        ComputePrice.objects.filter(price_list=price_list).values_list("flavor__slug", "commitment", "unit_price")
    )


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.unscoped().order_by("id").values_list("action", flat=True))


@pytest.fixture
def complete_draft(now, flavors) -> PriceList:
    draft = price_list_create_draft(actor=OPERATOR, name="2027 prices")
    for (flavor, commitment), price in launch_prices_for(flavors, scale=Decimal("1.1")).items():
        price_list_set_compute_price(
            actor=OPERATOR, price_list=draft, flavor=flavor, commitment=commitment, unit_price=price
        )
    for commitment, price in NVAIE_PRICES.items():
        price_list_set_license_price(
            actor=OPERATOR,
            price_list=draft,
            license=License.NVIDIA_AI_ENTERPRISE,
            commitment=commitment,
            unit_price=price,
        )
    return draft


def test_the_list_in_effect_is_the_latest_that_has_taken_effect(complete_draft, launch_prices):
    scheduled = price_list_publish(actor=OPERATOR, price_list=complete_draft, effective_from=NOW + timedelta(days=5))

    assert price_list_in_effect() == launch_prices
    assert price_list_next() == scheduled
    assert price_list_in_effect(at=LAUNCH - timedelta(seconds=1)) is None
    assert price_list_in_effect(at=LAUNCH) == launch_prices
    assert price_list_in_effect(at=NOW + timedelta(days=5)) == scheduled
    with time_machine.travel(NOW + timedelta(days=6), tick=False):
        assert price_list_in_effect() == scheduled
        assert price_list_next() is None


def test_publishing_fixes_the_time_and_audits(complete_draft):
    published = price_list_publish(actor=OPERATOR, price_list=complete_draft)

    assert (published.effective_from, published.published_at, published.is_published) == (NOW, NOW, True)
    assert published.has_taken_effect()
    assert audit_actions()[-1] == "price_list.published"
    assert AuditEvent.objects.unscoped().get(action="price_list.published").data == {
        "effective_from": "2026-11-25T10:00:00+00:00"
    }


def test_publishing_an_incomplete_list_is_refused_and_changes_nothing(now, flavors):
    draft = price_list_create_draft(actor=OPERATOR, name="Half done")
    for commitment in Commitment:
        price_list_set_compute_price(
            actor=OPERATOR, price_list=draft, flavor=flavors["b200-x1"], commitment=commitment, unit_price=Decimal(7)
        )

    with pytest.raises(ValidationError) as refusal:
        price_list_publish(actor=OPERATOR, price_list=draft)

    missing = price_list_missing_prices(draft)
    assert len(missing) == 7 * 3 + 3
    assert missing[:2] == ["b200-x2 / On demand", "b200-x2 / Reserved, 1 month"]
    assert missing[-1] == "NVIDIA AI Enterprise / Reserved, 12 months"
    assert refusal.value.message_dict == {"compute_prices": [f"Prices are missing for: {', '.join(missing)}."]}
    draft.refresh_from_db()
    assert (draft.published_at, draft.effective_from) == (None, None)
    assert "price_list.published" not in audit_actions()


def test_a_list_cannot_take_effect_in_the_past(complete_draft):
    with pytest.raises(ValidationError) as refusal:
        price_list_publish(actor=OPERATOR, price_list=complete_draft, effective_from=NOW - timedelta(hours=1))

    assert refusal.value.message_dict == {
        "effective_from": ["A price list cannot take effect in the past; quotes were made meanwhile."]
    }
    complete_draft.refresh_from_db()
    assert complete_draft.published_at is None


def test_two_lists_cannot_take_effect_at_the_same_instant(complete_draft, flavors):
    when = NOW + timedelta(days=1)
    price_list_publish(actor=OPERATOR, price_list=complete_draft, effective_from=when)
    second = price_list_copy_as_draft(actor=OPERATOR, source=complete_draft)

    with pytest.raises(ValidationError) as refusal:
        price_list_publish(actor=OPERATOR, price_list=second, effective_from=when)

    assert refusal.value.message_dict == {
        "effective_from": ["Another published price list takes effect at exactly this time."]
    }


def test_a_published_list_refuses_price_changes_and_keeps_its_prices(launch_prices, flavors):
    before = prices(launch_prices)

    with pytest.raises(PriceListFrozenError) as refusal:
        price_list_set_compute_price(
            actor=OPERATOR,
            price_list=launch_prices,
            flavor=flavors["b200-x1"],
            commitment=Commitment.ON_DEMAND,
            unit_price=Decimal("1.00"),
        )
    with pytest.raises(PriceListFrozenError):
        price_list_remove_price(actor=OPERATOR, price=ComputePrice.objects.filter(price_list=launch_prices).first())

    assert refusal.value.messages == [
        "The price list 2026 launch prices is published and cannot be changed; copy it as a new draft."
    ]
    assert prices(launch_prices) == before
    assert audit_actions() == []


@pytest.mark.parametrize(
    "change",
    [
        lambda pl: ComputePrice.objects.filter(price_list=pl).update(unit_price=Decimal("1.00")),
        lambda pl: ComputePrice.objects.filter(price_list=pl).delete(),
        lambda pl: LicensePrice.objects.filter(price_list=pl).update(unit_price=Decimal("9.00")),
        lambda pl: ComputePrice.objects.create(
            price_list=pl,
            flavor=ComputePrice.objects.filter(price_list=pl).earliest("id").flavor,
            commitment="extra",
            unit_price=Decimal(1),
        ),
        lambda pl: PriceList.objects.filter(pk=pl.pk).update(effective_from=LAUNCH + timedelta(days=1)),
        lambda pl: PriceList.objects.filter(pk=pl.pk).delete(),
    ],
    ids=["update a price", "delete prices", "update a license price", "add a price", "move the list", "delete it"],
)
def test_the_database_freezes_a_published_list(launch_prices, change):
    before = (prices(launch_prices), launch_prices.effective_from)

    with pytest.raises(IntegrityError, match="the price list is published and frozen"), transaction.atomic():
        change(launch_prices)

    launch_prices.refresh_from_db()
    assert (prices(launch_prices), launch_prices.effective_from) == before


def test_a_scheduled_list_can_be_withdrawn_and_edited_again(complete_draft, flavors):
    scheduled = price_list_publish(actor=OPERATOR, price_list=complete_draft, effective_from=NOW + timedelta(days=5))

    draft = price_list_withdraw(actor=OPERATOR, price_list=scheduled)
    price_list_set_compute_price(
        actor=OPERATOR,
        price_list=draft,
        flavor=flavors["b200-x1"],
        commitment=Commitment.ON_DEMAND,
        unit_price=Decimal("7.25"),
    )

    assert (draft.published_at, draft.effective_from) == (None, NOW + timedelta(days=5))
    assert ComputePrice.objects.get(price_list=draft, flavor__slug="b200-x1", commitment="on_demand").unit_price == (
        Decimal("7.2500")
    )
    assert audit_actions()[-3:] == ["price_list.published", "price_list.withdrawn", "price_list.compute_price_set"]


def test_a_list_in_effect_cannot_be_withdrawn(now, launch_prices):
    with pytest.raises(PriceListFrozenError):
        price_list_withdraw(actor=OPERATOR, price_list=launch_prices)

    launch_prices.refresh_from_db()
    assert launch_prices.published_at == LAUNCH


def test_copy_as_draft_copies_every_price(now, launch_prices):
    draft = price_list_copy_as_draft(actor=OPERATOR, source=launch_prices)
    second = price_list_copy_as_draft(actor=OPERATOR, source=launch_prices)

    assert (draft.name, second.name) == ("Copy of 2026 launch prices", "Copy of 2026 launch prices (2)")
    assert (draft.published_at, draft.effective_from, draft.created_by_label) == (None, None, "operator-test")
    assert prices(draft) == prices(launch_prices)
    assert len(prices(draft)) == 24
    assert sorted(LicensePrice.objects.filter(price_list=draft).values_list("commitment", "unit_price")) == [
        ("on_demand", Decimal("0.8800")),
        ("reserved_12m", Decimal("0.0000")),
        ("reserved_1m", Decimal("0.0000")),
    ]
    assert audit_actions() == ["price_list.copied", "price_list.copied"]


@pytest.mark.parametrize(
    ("unit_price", "message"),
    [
        (Decimal("1.23456"), "A price has at most four decimal places."),
        (Decimal("-1"), "A price cannot be negative."),
        (Decimal("0"), "A compute price must be more than zero."),
        (Decimal("NaN"), "A price has at most four decimal places."),
    ],
)
def test_a_bad_compute_price_is_refused(now, flavors, unit_price, message):
    draft = price_list_create_draft(actor=OPERATOR, name="Draft")

    with pytest.raises(ValidationError) as refusal:
        price_list_set_compute_price(
            actor=OPERATOR,
            price_list=draft,
            flavor=flavors["b200-x1"],
            commitment=Commitment.ON_DEMAND,
            unit_price=unit_price,
        )

    assert refusal.value.message_dict == {"unit_price": [message]}
    assert prices(draft) == []


def test_a_price_must_be_a_decimal(now, flavors):
    draft = price_list_create_draft(actor=OPERATOR, name="Draft")

    with pytest.raises(TypeError, match="Prices are Decimal, never float"):
        price_list_set_compute_price(
            actor=OPERATOR,
            price_list=draft,
            flavor=flavors["b200-x1"],
            commitment=Commitment.ON_DEMAND,
            unit_price=6.9,  # type: ignore[arg-type]
        )


def test_a_license_may_be_included_at_zero_but_free_software_has_no_price(now):
    draft = price_list_create_draft(actor=OPERATOR, name="Draft")

    price_list_set_license_price(
        actor=OPERATOR,
        price_list=draft,
        license=License.NVIDIA_AI_ENTERPRISE,
        commitment=Commitment.RESERVED_1M,
        unit_price=Decimal("0.00"),
    )
    with pytest.raises(ValidationError) as refusal:
        price_list_set_license_price(
            actor=OPERATOR,
            price_list=draft,
            license=License.NGC_FREE,
            commitment=Commitment.ON_DEMAND,
            unit_price=Decimal("0.10"),
        )

    assert refusal.value.message_dict == {"license": ["Free software has no license price."]}
    assert list(LicensePrice.objects.filter(price_list=draft).values_list("license", "unit_price")) == [
        ("nvaie", Decimal("0.0000"))
    ]


def test_price_list_names_are_unique(now, launch_prices):
    with pytest.raises(ValidationError) as refusal:
        price_list_create_draft(actor=OPERATOR, name="2026 launch prices")

    assert refusal.value.message_dict == {"name": ["A price list named 2026 launch prices exists already."]}
