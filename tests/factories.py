"""Factories for the tenancy core. Organizations and memberships go through the same tables as the services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from billing.models import Invoice
from provisioning.models import DriftFinding, Instance
from reservations.models import Allocation, QuotaRequest, Reservation
from tenants.choices import OrganizationStatus, Role
from tenants.models import Membership, Organization, User

PASSWORD = "correct-horse-battery-staple"
BERLIN = ZoneInfo("Europe/Berlin")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.de")
    full_name = factory.Faker("name", locale="de_DE")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class OperatorFactory(UserFactory):
    is_staff = True
    is_superuser = True


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    legal_name = factory.Sequence(lambda n: f"Beispiel {n} GmbH")
    slug = factory.Sequence(lambda n: f"beispiel-{n}")
    country = "DE"
    # Sign-up requires the address; invoices print it and XRechnung requires city and post code (BR-DE-8, -9).
    street = "Hauptstraße 1"
    postal_code = "10115"
    city = "Berlin"
    status = OrganizationStatus.ACTIVE


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER


# --- Inventory, reservations, provisioning and billing rows for the operator dashboard's exact figures -------------
# (Rows as the services leave them; tests that exercise the services themselves call the services.)


class ReservationFactory(factory.django.DjangoModelFactory[Reservation]):
    """A reservation from ``quote`` (required) in ``zone`` (required); state and window explicit where it matters."""

    class Meta:
        model = Reservation

    organization = factory.LazyAttribute(lambda o: o.quote.organization)
    item_version = factory.LazyAttribute(lambda o: o.quote.item_version)
    flavor = factory.LazyAttribute(lambda o: o.quote.flavor)
    instance_count = 1
    kind = "reserved"
    state = "scheduled"
    starts_at = factory.LazyAttribute(lambda o: o.quote.starts_at)
    ends_at = factory.LazyAttribute(lambda o: o.quote.ends_at if o.kind == "reserved" else None)
    created_by_label = "factory"


class AllocationFactory(factory.django.DjangoModelFactory[Allocation]):
    """GPU slots of ``node`` (required) held by ``reservation`` (required) for its window."""

    class Meta:
        model = Allocation

    organization = factory.LazyAttribute(lambda o: o.reservation.organization)
    gpu_model_id = factory.LazyAttribute(lambda o: o.node.pool.node_type.gpu_model_id)
    instance_index = 0
    gpu_first = 0
    gpu_count = factory.LazyAttribute(lambda o: o.reservation.flavor.gpu_count)
    starts_at = factory.LazyAttribute(lambda o: o.reservation.starts_at)
    ends_at = factory.LazyAttribute(lambda o: o.reservation.ends_at)


class InstanceFactory(factory.django.DjangoModelFactory[Instance]):
    class Meta:
        model = Instance

    organization = factory.LazyAttribute(lambda o: o.reservation.organization)
    index = factory.Sequence(lambda n: n)
    name = factory.LazyAttribute(lambda o: f"{o.reservation.pk}-{o.index + 1}")
    state = "pending"


class DriftFindingFactory(factory.django.DjangoModelFactory[DriftFinding]):
    class Meta:
        model = DriftFinding

    kind = "orphan_server"
    server_id = factory.Sequence(lambda n: f"server-{n}")
    detail = "found by reconciliation"


class QuotaRequestFactory(factory.django.DjangoModelFactory[QuotaRequest]):
    """A quota request of ``organization`` for ``gpu_model`` (both required)."""

    class Meta:
        model = QuotaRequest

    requested_gpus = 64
    created_by_label = "factory"


class InvoiceFactory(factory.django.DjangoModelFactory[Invoice]):
    """A draft invoice of ``organization`` (required) for the Berlin month starting at ``period_start`` (required);
    ``finalized(number=...)`` for an issued one. Amounts: ``net_amount`` with 19 % VAT."""

    class Meta:
        model = Invoice

    period_end = factory.LazyAttribute(
        lambda o: (o.period_start.astimezone(BERLIN) + timedelta(days=32)).replace(day=1, hour=0, minute=0)
    )
    seller_legal_name = "Kontor Cloud GmbH"
    seller_country = "DE"
    buyer_legal_name = factory.LazyAttribute(lambda o: o.organization.legal_name)
    buyer_country = factory.LazyAttribute(lambda o: o.organization.country)
    vat_category = "S"
    vat_rate = Decimal("19.00")
    net_amount = Decimal("100.00")
    vat_amount = factory.LazyAttribute(lambda o: (o.net_amount * Decimal("0.19")).quantize(Decimal("0.01")))
    gross_amount = factory.LazyAttribute(lambda o: o.net_amount + o.vat_amount)

    class Params:
        finalized = factory.Trait(
            status="finalized",
            number=factory.Sequence(lambda n: f"KON-2026-{n + 1:06d}"),
            number_year=2026,
            number_sequence=factory.Sequence(lambda n: n + 1),
            issued_at=factory.LazyFunction(timezone.now),
        )
