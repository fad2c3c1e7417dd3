"""``manage.py seed_demo``: the demo logins and three months of history made through the services, at a fixed time
(15 December 2026, 10:00 in Berlin: the history covers September to November). One test, because the seed renders
six invoice documents: it seeds, checks what a newcomer sees, seeds again and checks that nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.db.models import Model, Sum

from billing.budgets.models import Budget, BudgetAlert
from billing.invoices.models import Invoice, InvoiceFile, InvoiceLine
from catalog.models import PriceList, Quote
from metering.models import UsageRecord
from provisioning.models import Instance, InstanceTransition, SimulatedServer
from reservations.models import Allocation, QuotaRequest, Reservation
from tenants.choices import OrganizationStatus
from tenants.models import AuditEvent, Consent, LegalDocument, Membership, Organization, OutgoingEmail, User, VatCheck

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)


def snapshot() -> dict[str, object]:
    counted: list[type[Model]] = [
        User,
        Organization,
        Consent,
        VatCheck,
        PriceList,
        Quote,
        Reservation,
        Allocation,
        Instance,
        InstanceTransition,
        SimulatedServer,
        UsageRecord,
        Invoice,
        InvoiceLine,
        InvoiceFile,
        Budget,
        BudgetAlert,
        QuotaRequest,
        OutgoingEmail,
        Membership,
        AuditEvent,
    ]
    counts: dict[str, object] = {
        model.__name__: getattr(model._default_manager, "unscoped", model._default_manager.all)().count()
        for model in counted
    }
    counts["users"] = sorted(User.objects.values_list("email", "is_staff"))
    counts["organizations"] = sorted(Organization.objects.values_list("legal_name", "status"))
    return counts


def berlin(month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def gpu_seconds(reservation: Reservation) -> int:
    return int(UsageRecord.objects.unscoped().filter(reservation=reservation).aggregate(total=Sum("quantity"))["total"])


def test_seed_demo_gives_three_months_of_history_and_a_second_run_changes_nothing():
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=StringIO())
        first = snapshot()
        call_command("seed_demo", stdout=StringIO())
        assert snapshot() == first

    # The logins.
    assert first["users"] == [
        ("lena.huber@alpenlicht.example", False),
        ("operator@kontor.example", True),
        ("owner@example.de", False),
    ]
    assert User.objects.get(email="owner@example.de").check_password("kontor-demo-2026")
    assert sorted(LegalDocument.objects.values_list("kind", "version")) == [
        ("dpa", "2026-01"),
        ("privacy", "2026-01"),
        ("terms", "2026-01"),
    ]
    assert Authenticator.objects.filter(user__email="operator@kontor.example", type="totp").count() == 1

    # For the operator: a sign-up waiting for approval (VIES did not answer), and a failed provisioning.
    assert first["organizations"] == [
        ("Alpenlicht Vision GmbH", OrganizationStatus.PENDING_APPROVAL),
        ("Delft Digital Twins B.V.", OrganizationStatus.ACTIVE),
        ("Rheinwerk Robotics GmbH", OrganizationStatus.ACTIVE),
    ]
    pending = Organization.objects.get(status=OrganizationStatus.PENDING_APPROVAL)
    assert (pending.vat_id, pending.vat_id_verified_at, pending.city) == ("ATU13585627", None, "Innsbruck")
    assert list(VatCheck.objects.unscoped().values_list("organization", "vat_id", "result", "error")) == [
        (pending.pk, "ATU13585627", "unavailable", "MS_UNAVAILABLE")
    ]
    failed = Reservation.objects.unscoped().get(state="failed")
    assert (failed.organization.slug, failed.flavor.slug, failed.state_reason) == (
        "delft-digital-twins-bv",
        "rtx-pro-x1",
        "provisioning failed: simulated failure: quota exceeded for instances",
    )
    assert list(Instance.objects.unscoped().filter(reservation=failed).values_list("state", "last_error")) == [
        ("failed", "simulated failure: quota exceeded for instances")
    ]
    assert Allocation.objects.unscoped().filter(reservation=failed, released_at__isnull=True).count() == 0

    # Reservations ended in each of the three months, one running now; metered to the second.
    reservations = list(Reservation.objects.unscoped().select_related("organization", "flavor").order_by("pk"))
    assert [
        (r.organization.slug, r.kind, r.flavor.slug, r.instance_count, r.state, r.starts_at.astimezone(BERLIN))
        for r in reservations
    ] == [
        ("rheinwerk-robotics-gmbh", "on_demand", "b200-x4", 1, "ended", berlin(9, 9, 8, 30)),
        ("rheinwerk-robotics-gmbh", "reserved", "b200-x2", 1, "ended", berlin(9, 20, 0, 0)),
        ("rheinwerk-robotics-gmbh", "on_demand", "b200-x1", 2, "ended", berlin(11, 6, 9, 10)),
        ("rheinwerk-robotics-gmbh", "on_demand", "b200-x4", 2, "active", berlin(12, 11, 10, 0)),
        ("delft-digital-twins-bv", "on_demand", "rtx-pro-x2", 1, "ended", berlin(10, 12, 10, 0)),
        ("delft-digital-twins-bv", "on_demand", "rtx-pro-x4", 1, "ended", berlin(11, 18, 13, 40)),
        ("delft-digital-twins-bv", "on_demand", "rtx-pro-x1", 1, "failed", berlin(12, 15, 10, 0)),
    ]
    # On demand: from three minutes after booking to a minute after the release .
    assert [gpu_seconds(r) for r in reservations[:6]] == [
        4 * (50 * 3600 - 120),
        2 * 2 * 720 * 3600,  # a 30-day window on 2 GPUs, and its license (included: at 0.00) as much again
        2 * (72 * 3600 - 120),
        2 * 4 * (4 * 24 * 3600 - 180),  # running since 11 December 09:03 UTC
        2 * (30 * 3600 - 120),
        4 * (40 * 3600 - 120),
    ]
    running = Instance.objects.unscoped().filter(reservation=reservations[3]).order_by("index")
    assert list(running.values_list("state", "started_at", "stopped_at")) == [
        ("running", datetime(2026, 12, 11, 9, 3, tzinfo=UTC), None),
        ("running", datetime(2026, 12, 11, 9, 3, tzinfo=UTC), None),
    ]
    assert SimulatedServer.objects.filter(deleted_at__isnull=True).count() == 2
    assert (
        UsageRecord.objects.unscoped().filter(invoiced_at__isnull=True).exclude(reservation=reservations[3]).count()
        == 0
    )

    # Invoices of September to November, finalized the night the job would have, numbered in that order, with their
    # documents; a credit note for six GPU-hours of the window between them.
    invoices = Invoice.objects.unscoped().select_related("organization").order_by("number")
    assert [
        (i.number, i.organization.slug, i.kind, i.period_start.astimezone(BERLIN).month, i.net_amount, i.gross_amount)
        for i in invoices
    ] == [
        ("KON-2026-000001", "rheinwerk-robotics-gmbh", "380", 9, Decimal("4494.28"), Decimal("5348.19")),
        ("KON-2026-000002", "rheinwerk-robotics-gmbh", "380", 10, Decimal("5380.80"), Decimal("6403.15")),
        ("KON-2026-000003", "delft-digital-twins-bv", "380", 10, Decimal("107.88"), Decimal("128.38")),
        ("KON-2026-000004", "rheinwerk-robotics-gmbh", "381", 10, Decimal("35.40"), Decimal("42.13")),
        ("KON-2026-000005", "rheinwerk-robotics-gmbh", "380", 11, Decimal("993.14"), Decimal("1181.84")),
        ("KON-2026-000006", "delft-digital-twins-bv", "380", 11, Decimal("287.76"), Decimal("342.43")),
    ]
    assert [i.issued_at.astimezone(BERLIN) for i in invoices] == [
        datetime(2026, 10, 4, 3, 45, tzinfo=BERLIN),
        datetime(2026, 11, 4, 3, 45, tzinfo=BERLIN),
        datetime(2026, 11, 4, 3, 45, tzinfo=BERLIN),
        datetime(2026, 11, 13, 3, 45, tzinfo=BERLIN),
        datetime(2026, 12, 4, 3, 45, tzinfo=BERLIN),
        datetime(2026, 12, 4, 3, 45, tzinfo=BERLIN),
    ]
    assert {i.status for i in invoices} == {"finalized"}
    credit = invoices.get(kind="381")
    assert (credit.credited_invoice.number, credit.credit_reason) == (
        "KON-2026-000002",
        "Network maintenance: the NIM endpoint was unreachable for 3 hours",
    )
    for invoice in invoices:
        files = InvoiceFile.objects.unscoped().filter(invoice=invoice).order_by("kind")
        assert [file.kind for file in files] == ["pdf", "xml", "xrechnung"]
        with files.get(kind="pdf").file.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"
        with files.get(kind="xml").file.open("rb") as handle:
            assert invoice.number.encode() in handle.read()

    # A budget whose 50 and 80 % alerts the running instances reached this month; a quota request for an operator.
    assert list(Budget.objects.unscoped().values_list("organization__slug", "monthly_limit", "hard_cap")) == [
        ("rheinwerk-robotics-gmbh", Decimal("6000.00"), False)
    ]
    assert list(BudgetAlert.objects.unscoped().order_by("threshold").values_list("month", "threshold")) == [
        (datetime(2026, 12, 1).date(), 50),
        (datetime(2026, 12, 1).date(), 80),
    ]
    assert list(
        QuotaRequest.objects.unscoped().values_list("organization__slug", "gpu_model__slug", "requested_gpus", "status")
    ) == [("rheinwerk-robotics-gmbh", "b200", 128, "pending")]
