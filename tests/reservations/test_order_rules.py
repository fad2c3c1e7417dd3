"""One rule set per order: every rule refuses a booking and an extension alike, through every entry point (API
create, API extend, the portal's booking and extension forms), with the same code and message, and nothing
changes. Capacity, the last rule, answers 409 with alternatives (booking) or the possible end (extension): see
test_api.py and test_web.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from rest_framework.test import APIClient

from billing.budgets.services import budget_set
from catalog.models import CatalogItem, Flavor, GpuModel, Quote
from catalog.services import quote_create
from reservations.models import QuotaLimit, Reservation
from reservations.services import reservation_create
from tenants.audit import Actor
from tenants.choices import OrganizationStatus
from tenants.models import Consent, Membership, Organization

from .test_web import snapshot

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")
# January has 31 days: the 30-day window and its extension both fall (partly) into the month the budget counts.
NOW = datetime(2027, 1, 1, 6, tzinfo=UTC)
START = datetime(2027, 1, 1, 8, tzinfo=UTC)
WINDOW = timedelta(days=30)
EXTENDED = START + WINDOW + timedelta(hours=48)


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass(frozen=True)
class Order:
    reservation: Reservation  # booked before the rule applies: what the extensions change
    quote: Quote  # an open quote: what the bookings book


@pytest.fixture
def order(travel, small_inventory, customer) -> Order:
    version = CatalogItem.objects.get(slug="pytorch").versions.order_by("-released_on")[0]

    def make() -> Quote:
        return quote_create(
            actor=ACTOR,
            organization=customer,
            version=version,
            flavor=Flavor.objects.get(slug="b200-x8-metal"),
            instance_count=1,
            commitment="reserved_1m",
            starts_at=START,
            ends_at=START + WINDOW,
        )

    reservation = reservation_create(actor=ACTOR, organization=customer, quote=make()).reservation
    return Order(reservation=reservation, quote=make())


def suspend(organization: Organization, order: Order) -> None:
    Organization.objects.filter(pk=organization.pk).update(status=OrganizationStatus.SUSPENDED)


def withdraw_consents(organization: Organization, order: Order) -> None:
    Consent.objects.for_organization(organization).delete()


def lower_quota(organization: Organization, order: Order) -> None:
    # 4 GPUs at a time: the booking needs 8; the extension keeps 8 for longer.
    QuotaLimit.objects.create(organization=organization, gpu_model=GpuModel.objects.get(slug="b200"), max_gpus=4)


def cap_budget(organization: Organization, order: Order) -> None:
    budget_set(actor=ACTOR, organization=organization, monthly_limit=Decimal("1.00"), hard_cap=True)


def stretch_window(organization: Organization, order: Order) -> None:
    # A quote made under older, looser limits: the rule set checks the window again when it is booked.
    Quote.objects.for_organization(organization).filter(pk=order.quote.pk).update(ends_at=START + timedelta(days=373))


@dataclass(frozen=True)
class Rule:
    code: str
    apply: Callable[[Organization, Order], None]
    detail: str
    extend_to: datetime = EXTENDED
    booking_detail: str = ""  # when the booking's sentence differs (it counts what is booked already)


RULES = [
    Rule(
        "organization_not_active",
        suspend,
        "Rheinwerk Robotics GmbH cannot order yet (status: Suspended).",
    ),
    Rule(
        "consent_required",
        withdraw_consents,
        (
            "Accept the new version of Terms of Service 2026-01, Data Processing Agreement (GDPR Art. 28) 2026-01, "
            "Privacy Notice 2026-01 before the next order."
        ),
    ),
    Rule("window_too_long", stretch_window, "A window lasts at most 372 days.", START + timedelta(days=373)),
    Rule(
        "quota_exceeded",
        lower_quota,
        "This order needs 8 GPUs; your quota allows 4 at a time and 0 are booked. An owner can request more.",
        booking_detail=(
            "This order needs 8 GPUs; your quota allows 4 at a time and 8 are booked. An owner can request more."
        ),
    ),
    Rule("budget_exceeded", cap_budget, ""),  # the sentence names amounts: checked by its code and its start
]
BUDGET_DETAIL_START = "This order would cost "


def api_client(organization: Organization) -> APIClient:
    client = APIClient()
    client.force_authenticate(Membership.objects.for_organization(organization).get().user)
    return client


def web_client(organization: Organization) -> Client:
    client = Client()
    client.force_login(Membership.objects.for_organization(organization).get().user)
    return client


def assert_detail(rule: Rule, detail: str, *, booking: bool) -> None:
    if rule.detail:
        assert detail == (rule.booking_detail if booking and rule.booking_detail else rule.detail)
    else:
        assert detail.startswith(BUDGET_DETAIL_START)
        assert detail.endswith(
            "exceeds the monthly budget of €1.00, which is a hard cap. An owner or billing member can raise the budget."
        )


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
@pytest.mark.parametrize("entry", ["api_create", "api_extend"])
def test_every_rule_refuses_every_api_order_with_its_code_and_nothing_changes(order, customer, rule, entry):
    rule.apply(customer, order)
    before = snapshot(customer)
    client = api_client(customer)

    if entry == "api_create":
        response = client.post(
            "/api/v1/organizations/rheinwerk/reservations/", {"quote": order.quote.pk}, format="json"
        )
    else:
        response = client.post(
            f"/api/v1/organizations/rheinwerk/reservations/{order.reservation.pk}/extend/",
            {"ends_at": rule.extend_to.isoformat()},
            format="json",
        )

    body = response.json()
    assert (response.status_code, body["code"], body["fields"]) == (400, rule.code, {})
    assert_detail(rule, body["detail"], booking=entry == "api_create")
    assert snapshot(customer) == before


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
@pytest.mark.parametrize("entry", ["web_book", "web_extend"])
def test_every_rule_refuses_every_portal_form_with_the_same_message_and_nothing_changes(order, customer, rule, entry):
    rule.apply(customer, order)
    before = snapshot(customer)
    client = web_client(customer)

    if entry == "web_book":
        response = client.post(
            "/orgs/rheinwerk/reservations/book/",
            {"quote": order.quote.pk, "zone": "", "idempotency_key": str(uuid.uuid4())},
        )
    else:
        response = client.post(
            f"/orgs/rheinwerk/reservations/{order.reservation.pk}/extend/",
            {"ends_at": timezone.localtime(rule.extend_to).strftime("%Y-%m-%dT%H:%M")},
        )

    assert response.status_code == 200
    page = response.content.decode()
    if rule.detail:
        detail = rule.booking_detail if entry == "web_book" and rule.booking_detail else rule.detail
        assert escape(detail) in page
    else:
        assert escape(BUDGET_DETAIL_START) in page
        assert "exceeds the monthly budget of €1.00, which is a hard cap." in page
    assert snapshot(customer) == before
