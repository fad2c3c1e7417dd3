"""Properties of metering and invoicing over random usage histories, built through the real services.

For a few instances started and stopped at random seconds of October 2026 (Berlin), at random unit prices: the
invoice bills exactly the metered GPU-seconds, its lines add up to its net, net plus VAT is gross, and metering
again — any number of times, in any order — changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.invoices.services import invoice_draft_for_month, invoice_finalize
from billing.models import InvoiceLine, InvoiceUsage
from billing.periods import billing_period
from catalog.models import Quote
from core.money import round_money
from metering.models import UsageRecord
from metering.services import meter_instance, metering_run
from provisioning.models import Instance, InstanceState
from reservations.models import Reservation
from reservations.services import reservation_create
from tests.billing.usage import ACTOR

pytestmark = pytest.mark.django_db
OCTOBER = billing_period(year=2026, month=10)
# Offsets are real seconds: adding a timedelta to a Europe/Berlin datetime is wall-clock arithmetic, which makes a run
# across the end of daylight saving time (25 October) an hour longer than its length.
OCTOBER_START_UTC = OCTOBER.start.astimezone(UTC)
MONTH_SECONDS = int((OCTOBER.end - OCTOBER.start).total_seconds())
PRICES = [Decimal("0.8800"), Decimal("1.0000"), Decimal("2.5000"), Decimal("3.1234")]


@dataclass(frozen=True)
class Run:
    reservation: int  # index into the fixture's reservations
    start: int  # seconds after the month's start
    length: int  # seconds


runs = st.lists(
    st.tuples(st.integers(0, 1), st.integers(0, MONTH_SECONDS - 1), st.integers(1, 3 * 24 * 3600)).map(
        lambda t: Run(t[0], t[1], min(t[2], MONTH_SECONDS - t[1]))
    ),
    min_size=1,
    max_size=4,
)


@pytest.fixture
def reservations(small_inventory, customer, make_quote) -> list[Reservation]:
    """Two on-demand reservations of the German customer: one GPU per instance, and two."""
    return [
        reservation_create(
            actor=ACTOR, organization=customer, quote=make_quote(flavor=flavor, commitment="on_demand", hours=24)
        ).reservation
        for flavor in ("b200-x1", "b200-x2")
    ]


def usage_snapshot() -> list[tuple[int | None, str, object, int, Decimal]]:
    return list(
        UsageRecord.objects.unscoped()
        .order_by("instance_id", "meter", "hour")
        .values_list("instance_id", "meter", "hour", "quantity", "unit_price")
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=runs, prices=st.lists(st.sampled_from(PRICES), min_size=2, max_size=2), data=st.data())
def test_invoices_bill_exactly_what_was_metered(reservations, customer, history, prices, data):
    with transaction.atomic():  # each example starts from the fixture's rows: roll back what it wrote
        for reservation, price in zip(reservations, prices, strict=True):
            Quote.objects.unscoped().filter(pk=reservation.quote_id).update(compute_unit_price=price)
        instances = [
            Instance.objects.create(
                organization=customer,
                reservation=reservations[run.reservation],
                index=index,
                name=f"i{index}",
                state=InstanceState.STOPPED,
                started_at=OCTOBER_START_UTC + timedelta(seconds=run.start),
                stopped_at=OCTOBER_START_UTC + timedelta(seconds=run.start + run.length),
            )
            for index, run in enumerate(history)
        ]
        gpus = [reservations[run.reservation].flavor.gpu_count for run in history]
        until = OCTOBER.end + timedelta(days=30)

        for instance in data.draw(st.permutations(instances), label="first order"):
            meter_instance(instance_id=instance.pk, until=until)
        metered = usage_snapshot()
        for _ in range(data.draw(st.integers(1, 3), label="metered again")):
            assert [
                meter_instance(instance_id=instance.pk, until=until)
                for instance in data.draw(st.permutations(instances), label="order")
            ] == [0] * len(instances)
        assert metering_run(now=until).writes == 0
        assert usage_snapshot() == metered

        metered_seconds = sum(run.length * gpu for run, gpu in zip(history, gpus, strict=True))
        assert sum(quantity for *_, quantity, _price in metered) == metered_seconds

        draft = invoice_draft_for_month(organization=customer, year=2026, month=10)
        assert draft is not None
        invoice = invoice_finalize(actor=ACTOR, invoice=draft)

        invoiced = UsageRecord.objects.unscoped().filter(
            pk__in=InvoiceUsage.objects.unscoped().filter(invoice=invoice).values("record_id")
        )
        assert invoiced.aggregate(total=Sum("quantity"))["total"] == metered_seconds
        assert not UsageRecord.objects.unscoped().filter(invoiced_at__isnull=True).exists()
        lines = list(InvoiceLine.objects.unscoped().filter(invoice=invoice))
        per_line: dict[tuple[str, Decimal], int] = {}
        for run, gpu in zip(history, gpus, strict=True):
            key = (reservations[run.reservation].flavor.slug, prices[run.reservation])
            per_line[key] = per_line.get(key, 0) + run.length * gpu
        assert sorted((line.flavor_slug, line.unit_price, line.net_amount) for line in lines) == sorted(
            (slug, price, round_money(Decimal(seconds) * price / 3600)) for (slug, price), seconds in per_line.items()
        )
        assert sum(line.net_amount for line in lines) == invoice.net_amount
        assert invoice.vat_amount == round_money(invoice.net_amount * Decimal("0.19"))
        assert invoice.net_amount + invoice.vat_amount == invoice.gross_amount
        transaction.set_rollback(True)
