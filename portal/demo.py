"""The demo data of ``manage.py seed_demo`` (``make run``): a platform that looks lived-in on first start.

Everything is made through the services a customer, an operator, the workers and beat would call, with the clock
passed explicitly (``now=``) where the history lies in the past: the owner's two organizations book, run and release
reservations in each of the last three Berlin months, the metering run meters them, the month's invoices are drafted
and finalized when the nightly jobs would have done it, their documents rendered (the render task's service, run in
this process), and one is credited. One reservation runs now, with its server on the simulator; a budget has reached
alerts, a quota request waits for an operator. For the console: a sign-up waits for approval with a VAT check that
found VIES unavailable, and an order whose provisioning failed.

Each step is a function that creates what is missing and leaves what exists: a second run changes nothing. A
database seeded before the history existed (the launch price list taking effect too late for it) gets no history.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.budgets.services import budget_check, budget_set
from billing.choices import InvoiceKind, InvoiceStatus
from billing.invoices.models import Invoice
from billing.invoices.rendering import invoice_files_render
from billing.invoices.services import CreditLine, credit_note_create, invoice_draft_for_month, invoice_finalize
from billing.periods import BERLIN, BillingPeriod
from catalog.models import CatalogItem, Flavor, GpuModel, Quote
from catalog.seeding import catalog_seed
from catalog.selectors import price_list_in_effect
from catalog.services import quote_create
from metering.choices import Meter
from metering.services import metering_run
from provisioning import services as provisioning
from provisioning.drivers.simulator import simulator_behaviour
from provisioning.tasks import provision_instance_task
from reservations.choices import ReservationKind, ReservationState
from reservations.models import QuotaRequest, Reservation
from reservations.services import quota_request_create, reservation_create, reservation_release, reservation_transition
from tenants.audit import Actor
from tenants.choices import OrganizationStatus, StatusReason, VatCheckResult
from tenants.demo import legal_documents_ensure, operator_totp_ensure
from tenants.models import Organization, User
from tenants.services import (
    consent_accept,
    legal_documents_in_force,
    organization_create,
    organization_details_set,
    organization_email_verified,
    organization_transition,
    vat_check_run,
)
from tenants.vies import ViesAnswer

DEMO_PASSWORD = "kontor-demo-2026"
OPERATOR_EMAIL = "operator@kontor.example"
OWNER_EMAIL = "owner@example.de"
SEED_ACTOR = Actor.system("seed_demo")
PROVISIONING_ACTOR = Actor.system("provisioning")
FINALIZE_ACTOR = Actor.system("billing.finalize_invoices")


@dataclass(frozen=True)
class DemoOrganization:
    legal_name: str
    country: str
    street: str
    postal_code: str
    city: str
    vat_id: str = ""


RHEINWERK = DemoOrganization("Rheinwerk Robotics GmbH", "DE", "Speditionstraße 15", "40221", "Düsseldorf")
DELFT = DemoOrganization("Delft Digital Twins B.V.", "NL", "Mekelweg 4", "2628 CD", "Delft")
DEMO_ORGANIZATIONS = [RHEINWERK, DELFT]
# The sign-up waiting for an operator: its owner verified the e-mail address, VIES did not answer for Austria.
PENDING_SIGNUP = DemoOrganization(
    "Alpenlicht Vision GmbH", "AT", "Maria-Theresien-Straße 18", "6020", "Innsbruck", vat_id="ATU13585627"
)
PENDING_OWNER = ("lena.huber@alpenlicht.example", "Lena Huber")

BUDGET_LIMIT = Decimal("6000.00")  # net EUR a month: the running instances take it past its 80 % alert
QUOTA_REQUEST_GPUS = 128
CREDIT_HOURS = Decimal("6")  # GPU-hours credited for an outage of the reserved window's endpoint


@dataclass(frozen=True)
class DemoResult:
    created_history: list[str]
    invoices_finalized: int
    pending_signup: bool


# --- people and organizations ---------------------------------------------------------------------------------------


def demo_user_ensure(email: str, full_name: str, *, staff: bool) -> User:
    """The user, with the demo password and a verified address (allauth requires one to sign in)."""
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user
    if staff:
        user = User.objects.create_superuser(email, DEMO_PASSWORD, full_name=full_name)
    else:
        user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name)
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def demo_organizations_ensure(*, owner: User) -> list[Organization]:
    """The owner's organizations, approved and active, with the address invoices are sent to."""
    organizations = []
    for demo in DEMO_ORGANIZATIONS:
        organization = Organization.objects.filter(legal_name=demo.legal_name).first()
        if organization is None:
            organization = organization_create(
                actor=SEED_ACTOR, legal_name=demo.legal_name, country=demo.country, owner=owner
            )
            for status in (
                OrganizationStatus.PENDING_APPROVAL,
                OrganizationStatus.PROVISIONING,
                OrganizationStatus.ACTIVE,
            ):
                organization_transition(
                    actor=SEED_ACTOR, organization=organization, to_status=status, reason=StatusReason.DEMO_DATA
                )
            consent_accept(
                actor=SEED_ACTOR, organization=organization, user=owner, documents=legal_documents_in_force()
            )
        if not organization.city:
            organization = organization_details_set(
                actor=SEED_ACTOR,
                organization=organization,
                street=demo.street,
                postal_code=demo.postal_code,
                city=demo.city,
            )
        organizations.append(organization)
    return organizations


def _vies_member_state_unavailable(vat_id: str) -> ViesAnswer:
    """VIES's answer while a member state's register is down (``userError`` MS_UNAVAILABLE); the demo asks no one."""
    return ViesAnswer(VatCheckResult.UNAVAILABLE, error="MS_UNAVAILABLE")


def pending_signup_ensure() -> Organization | None:
    """A company that signed up and verified its owner's address, waiting for approval: VIES was unavailable, so no
    rule approved it. Returns it when created now."""
    if Organization.objects.filter(legal_name=PENDING_SIGNUP.legal_name).exists():
        return None
    email, full_name = PENDING_OWNER
    owner = demo_user_ensure(email, full_name, staff=False)
    actor = Actor.for_user(owner)
    organization = organization_create(
        actor=actor, legal_name=PENDING_SIGNUP.legal_name, country=PENDING_SIGNUP.country, owner=owner
    )
    organization_details_set(
        actor=actor,
        organization=organization,
        street=PENDING_SIGNUP.street,
        postal_code=PENDING_SIGNUP.postal_code,
        city=PENDING_SIGNUP.city,
        vat_id=PENDING_SIGNUP.vat_id,
    )
    consent_accept(actor=actor, organization=organization, user=owner, documents=legal_documents_in_force())
    vat_check_run(organization_id=organization.pk, vies=_vies_member_state_unavailable)
    return organization_email_verified(actor=actor, organization=organization)


# --- the clock of the history -------------------------------------------------------------------------------------


def _previous(period: BillingPeriod) -> BillingPeriod:
    return BillingPeriod(period.year - 1, 12) if period.month == 1 else BillingPeriod(period.year, period.month - 1)


@dataclass(frozen=True)
class DemoCalendar:
    """The real now and the three Berlin months before the current one, oldest first."""

    now: datetime
    months: tuple[BillingPeriod, BillingPeriod, BillingPeriod]

    @classmethod
    def at(cls, now: datetime) -> DemoCalendar:
        last = _previous(BillingPeriod.containing(now))
        before = _previous(last)
        return cls(now=now.replace(microsecond=0), months=(_previous(before), before, last))

    @property
    def launch(self) -> datetime:
        """When the launch price list took effect: two weeks before the history begins."""
        return self.months[0].start - timedelta(days=14)

    def moment(self, period: BillingPeriod, day: int, hour: int, minute: int = 0) -> datetime:
        """A Berlin wall-clock time in ``period``, never later than now."""
        return min(datetime(period.year, period.month, day, hour, minute, tzinfo=BERLIN), self.now)

    def drafted(self, period: BillingPeriod) -> datetime:
        """When the nightly draft job (02:15) drafts the month: the night after it ended."""
        return min(period.end + timedelta(hours=2, minutes=15), self.now)

    def finalized(self, period: BillingPeriod) -> datetime:
        """When the finalize job (03:45) finalizes it, after the grace days; no later than now."""
        return min(period.end + timedelta(days=settings.KONTOR_INVOICE_GRACE_DAYS, hours=3, minutes=45), self.now)


# --- reservations through the services, back then -------------------------------------------------------------------


@contextmanager
def simulator(**overrides: object) -> Iterator[None]:
    """The simulator as the history needs it: servers that boot at once (they booted back then) and no random
    failures, plus ``overrides``."""
    with simulator_behaviour(
        boot_seconds=0.0, boot_failure_rate=0.0, api_failure_rate=0.0, fail_first_creates=0, **overrides
    ):
        yield


def _quote(
    *,
    actor: Actor,
    organization: Organization,
    item: str,
    flavor: str,
    count: int,
    commitment: str,
    starts_at: datetime,
    hours: int,
    now: datetime,
) -> Quote:
    version = CatalogItem.objects.get(slug=item).versions.order_by("-released_on").first()
    assert version is not None
    return quote_create(
        actor=actor,
        organization=organization,
        version=version,
        flavor=Flavor.objects.get(slug=flavor),
        instance_count=count,
        commitment=commitment,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        now=now,
    )


def _provision(reservation: Reservation, *, at: datetime) -> Reservation:
    """What beat's dispatch and the provisioning worker do when the start has come: servers up, active."""
    reservation_transition(actor=PROVISIONING_ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)
    for instance_id in provisioning.reservation_start_provisioning(reservation_id=reservation.pk):
        step = provisioning.instance_provision_step(instance_id=instance_id, now=at)
        assert step.done, "the simulator boots at once for the demo"
    reservation.refresh_from_db()
    return reservation


def _deprovision(reservation: Reservation, *, at: datetime) -> Reservation:
    """What the deprovisioning worker does for an ending reservation: servers removed, instances stopped, ended."""
    for instance_id in provisioning.reservation_instances_to_stop(reservation_id=reservation.pk):
        provisioning.instance_deprovision_step(instance_id=instance_id, now=at)
    reservation.refresh_from_db()
    return reservation


def on_demand_run(
    *,
    owner: User,
    organization: Organization,
    item: str,
    flavor: str,
    count: int,
    booked_at: datetime,
    hours: int | None,
) -> Reservation:
    """Quote and book on demand at ``booked_at``, provision three minutes later; released after ``hours`` (and its
    servers removed) or still running when ``hours`` is None."""
    actor = Actor.for_user(owner)
    quote = _quote(
        actor=actor,
        organization=organization,
        item=item,
        flavor=flavor,
        count=count,
        commitment="on_demand",
        starts_at=booked_at,
        hours=hours or 24 * 7,
        now=booked_at,
    )
    reservation = reservation_create(actor=actor, organization=organization, quote=quote, now=booked_at).reservation
    reservation = _provision(reservation, at=booked_at + timedelta(minutes=3))
    if hours is None:
        return reservation
    released = booked_at + timedelta(hours=hours)
    reservation = reservation_release(actor=actor, reservation=reservation, now=released)
    return _deprovision(reservation, at=released + timedelta(minutes=1))


def reserved_window_run(
    *,
    owner: User,
    organization: Organization,
    item: str,
    flavor: str,
    count: int,
    booked_at: datetime,
    starts_at: datetime,
    days: int,
) -> Reservation:
    """Quote and book a one-month reserved window at ``booked_at``; provisioned at its start, ended at its end."""
    actor = Actor.for_user(owner)
    quote = _quote(
        actor=actor,
        organization=organization,
        item=item,
        flavor=flavor,
        count=count,
        commitment="reserved_1m",
        starts_at=starts_at,
        hours=24 * days,
        now=booked_at,
    )
    reservation = reservation_create(actor=actor, organization=organization, quote=quote, now=booked_at).reservation
    reservation = _provision(reservation, at=starts_at + timedelta(minutes=3))
    reservation_transition(
        actor=PROVISIONING_ACTOR, reservation=reservation, to_state=ReservationState.ENDING, reason="window ended"
    )
    assert reservation.ends_at is not None
    return _deprovision(reservation, at=reservation.ends_at + timedelta(minutes=1))


def rheinwerk_history(*, owner: User, organization: Organization, calendar: DemoCalendar) -> None:
    """Training on demand in the first month, a month's reserved NIM endpoint across the first and second, a
    Triton test in the last, and two PyTorch instances running since four days ago."""
    first, _second, last = calendar.months  # the window runs on into the second month
    on_demand_run(
        owner=owner,
        organization=organization,
        item="pytorch",
        flavor="b200-x4",
        count=1,
        booked_at=calendar.moment(first, 9, 8, 30),
        hours=50,
    )
    reserved_window_run(
        owner=owner,
        organization=organization,
        item="nim-llama-3-1-8b-instruct",
        flavor="b200-x2",
        count=1,
        booked_at=calendar.moment(first, 16, 14, 5),
        starts_at=calendar.moment(first, 20, 0),
        days=30,
    )
    on_demand_run(
        owner=owner,
        organization=organization,
        item="tritonserver",
        flavor="b200-x1",
        count=2,
        booked_at=calendar.moment(last, 6, 9, 10),
        hours=72,
    )
    on_demand_run(
        owner=owner,
        organization=organization,
        item="pytorch",
        flavor="b200-x4",
        count=2,
        booked_at=(calendar.now - timedelta(days=4)).replace(second=0),
        hours=None,
    )


def delft_history(*, owner: User, organization: Organization, calendar: DemoCalendar) -> None:
    """RAPIDS on RTX PRO in the second and the last month, and today an Isaac Sim order whose servers the cloud
    refused (a failed provisioning for the operators)."""
    _first, second, last = calendar.months
    on_demand_run(
        owner=owner,
        organization=organization,
        item="rapids",
        flavor="rtx-pro-x2",
        count=1,
        booked_at=calendar.moment(second, 12, 10, 0),
        hours=30,
    )
    on_demand_run(
        owner=owner,
        organization=organization,
        item="rapids",
        flavor="rtx-pro-x4",
        count=1,
        booked_at=calendar.moment(last, 18, 13, 40),
        hours=40,
    )
    failed_provisioning(owner=owner, organization=organization, now=calendar.now)


def failed_provisioning(*, owner: User, organization: Organization, now: datetime) -> Reservation:
    """An on-demand order booked now whose server the cloud refuses for good: the provisioning task (run here)
    fails the instance and the reservation with the cloud's reason, and releases the GPUs."""
    actor = Actor.for_user(owner)
    booked_at = now.replace(second=0)
    quote = _quote(
        actor=actor,
        organization=organization,
        item="isaac-sim",
        flavor="rtx-pro-x1",
        count=1,
        commitment="on_demand",
        starts_at=booked_at,
        hours=8,
        now=now,
    )
    reservation = reservation_create(actor=actor, organization=organization, quote=quote, now=now).reservation
    reservation_transition(actor=PROVISIONING_ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)
    with simulator(fail_creates_permanently=True):
        for instance_id in provisioning.reservation_start_provisioning(reservation_id=reservation.pk):
            provision_instance_task.apply(args=(instance_id,))
    reservation.refresh_from_db()
    return reservation


# --- billing ---------------------------------------------------------------------------------------------------------


def invoices_for_month(
    *, organizations: list[Organization], period: BillingPeriod, calendar: DemoCalendar
) -> list[Invoice]:
    """A past month's invoice of every organization: drafted and finalized when the nightly jobs would have, its
    PDF and XML rendered and stored."""
    finalized = []
    for organization in organizations:
        draft = invoice_draft_for_month(
            organization=organization, year=period.year, month=period.month, now=calendar.drafted(period)
        )
        if draft is None:
            continue
        invoice = invoice_finalize(
            actor=FINALIZE_ACTOR, invoice=draft, require_review=False, now=calendar.finalized(period)
        )
        invoice_files_render(invoice_id=invoice.pk)
        finalized.append(invoice)
    return finalized


def service_credit(*, operator: User, organization: Organization, calendar: DemoCalendar) -> Invoice | None:
    """An operator credits six GPU-hours of the reserved window on the second month's invoice: its endpoint was
    unreachable for three hours during a network maintenance."""
    second = calendar.months[1]
    invoice = (
        Invoice.objects.for_organization(organization)
        .filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.FINALIZED, period_start=second.start)
        .first()
    )
    window = (
        Reservation.objects.for_organization(organization)
        .filter(kind=ReservationKind.RESERVED)
        .select_related("quote", "flavor")
        .first()
    )
    if invoice is None or window is None:
        return None
    issued_at = min(calendar.finalized(second) + timedelta(days=9), calendar.now)
    note = credit_note_create(
        actor=Actor.for_user(operator),
        invoice=invoice,
        reason="Network maintenance: the NIM endpoint was unreachable for 3 hours",
        lines=[
            CreditLine(
                description=f"Service credit, {window.flavor.slug}: {window.flavor.gpu_count} GPUs × 3 hours",
                meter=Meter.COMMITTED_GPU_SECONDS,
                flavor_slug=window.flavor.slug,
                quantity=CREDIT_HOURS,
                unit_price=window.quote.compute_unit_price,
            )
        ],
        now=issued_at,
    )
    invoice_files_render(invoice_id=note.pk)
    return note


def budget_with_alerts(*, owner: User, organization: Organization, calendar: DemoCalendar) -> None:
    """A monthly budget and its alerts: the budget check, as beat runs it, at the end of the last month and now."""
    budget_set(actor=Actor.for_user(owner), organization=organization, monthly_limit=BUDGET_LIMIT, hard_cap=False)
    budget_check(organization=organization, now=calendar.months[-1].end - timedelta(minutes=5))
    budget_check(organization=organization, now=calendar.now)


def quota_request_pending(*, owner: User, organization: Organization) -> QuotaRequest:
    """The owner asks for more B200 GPUs than the default quota: waiting for an operator."""
    return quota_request_create(
        actor=Actor.for_user(owner),
        organization=organization,
        gpu_model_id=GpuModel.objects.get(slug="b200").pk,
        requested_gpus=QUOTA_REQUEST_GPUS,
        reason="Pre-training a grasping model on 16 DGX B200 nodes in the first quarter.",
    )


def history_possible(calendar: DemoCalendar) -> bool:
    """The history needs the launch prices in effect when it begins (a database seeded before it may not)."""
    return price_list_in_effect(at=calendar.launch + timedelta(minutes=1)) is not None


def demo_history_ensure(
    *, owner: User, operator: User, organizations: list[Organization], calendar: DemoCalendar
) -> tuple[list[Organization], int]:
    """Three months of history for each demo organization that has no reservation yet. Returns those organizations
    and how many invoices were finalized."""
    fresh = [
        organization
        for organization in organizations
        if not Reservation.objects.for_organization(organization).exists()
    ]
    if not fresh or not history_possible(calendar):
        return [], 0
    histories = {RHEINWERK.legal_name: rheinwerk_history, DELFT.legal_name: delft_history}
    with simulator():
        for organization in fresh:
            histories[organization.legal_name](owner=owner, organization=organization, calendar=calendar)
    metering_run(now=calendar.now)
    rheinwerk = next((o for o in fresh if o.legal_name == RHEINWERK.legal_name), None)
    # Month by month, the credit note between the second and the last month's invoices: numbers follow issue dates.
    first, second, last = calendar.months
    invoices = invoices_for_month(organizations=fresh, period=first, calendar=calendar)
    invoices += invoices_for_month(organizations=fresh, period=second, calendar=calendar)
    if rheinwerk is not None:
        service_credit(operator=operator, organization=rheinwerk, calendar=calendar)
    invoices += invoices_for_month(organizations=fresh, period=last, calendar=calendar)
    if rheinwerk is not None:
        budget_with_alerts(owner=owner, organization=rheinwerk, calendar=calendar)
        quota_request_pending(owner=owner, organization=rheinwerk)
    return fresh, len(invoices)


# --- the whole demo ---------------------------------------------------------------------------------------------------


def demo_people_ensure() -> tuple[User, User, list[Organization]]:
    """Legal documents, the operator (with a second factor), the owner and the owner's organizations."""
    with transaction.atomic():
        legal_documents_ensure()
        operator = demo_user_ensure(OPERATOR_EMAIL, "Olga Operator", staff=True)
        operator_totp_ensure(operator)
        owner = demo_user_ensure(OWNER_EMAIL, "Jonas Owner", staff=False)
        organizations = demo_organizations_ensure(owner=owner)
    return operator, owner, organizations


def demo_catalog_ensure(calendar: DemoCalendar) -> None:
    """The catalog; on a new database the launch prices take effect before the history begins."""
    catalog_seed(actor=Actor.system("seed_catalog"), price_list_published_at=calendar.launch)


def demo_activity_ensure(
    *, operator: User, owner: User, organizations: list[Organization], calendar: DemoCalendar
) -> DemoResult:
    """The history, the pending sign-up: each in one transaction."""
    with transaction.atomic():
        fresh, invoices = demo_history_ensure(
            owner=owner, operator=operator, organizations=organizations, calendar=calendar
        )
    with transaction.atomic():
        pending = pending_signup_ensure()
    return DemoResult(
        created_history=[organization.legal_name for organization in fresh],
        invoices_finalized=invoices,
        pending_signup=pending is not None,
    )


def demo_now() -> datetime:
    return timezone.now()
