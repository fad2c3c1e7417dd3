from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tenants.audit import Actor
from tenants.choices import OrganizationStatus, Role
from tenants.models import AuditEvent, Membership, Organization
from tenants.services import (
    InvalidTransitionError,
    organization_create,
    organization_details_set,
    organization_transition,
)
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_organization_create_makes_the_owner_and_audits_both():
    owner = UserFactory.create(email="owner@example.de")

    organization = organization_create(
        actor=Actor.for_user(owner), legal_name="  Rheinwerk Robotics GmbH ", country="de", owner=owner
    )

    assert (organization.legal_name, organization.slug, organization.country, organization.status) == (
        "Rheinwerk Robotics GmbH",
        "rheinwerk-robotics-gmbh",
        "DE",
        OrganizationStatus.PENDING_VERIFICATION,
    )
    assert list(Membership.objects.for_organization(organization).values_list("user__email", "role")) == [
        ("owner@example.de", Role.OWNER)
    ]
    assert list(AuditEvent.objects.for_organization(organization).order_by("id").values_list("action", flat=True)) == [
        "organization.created",
        "membership.created",
    ]


def test_organization_slugs_stay_unique():
    owner = UserFactory.create()
    first = organization_create(actor=Actor.system(), legal_name="Acme GmbH", country="DE", owner=owner)
    second = organization_create(actor=Actor.system(), legal_name="ACME GmbH", country="AT", owner=owner)

    assert (first.slug, second.slug) == ("acme-gmbh", "acme-gmbh-2")


@pytest.mark.parametrize(("country", "field"), [("US", "country"), ("", "country"), ("GB", "country")])
def test_organization_create_refuses_unserved_countries(country, field):
    owner = UserFactory.create()

    with pytest.raises(ValidationError) as excinfo:
        organization_create(actor=Actor.system(), legal_name="Acme Inc.", country=country, owner=owner)

    assert list(excinfo.value.message_dict) == [field]
    assert "is not served" in excinfo.value.message_dict[field][0]
    assert Organization.objects.count() == 0
    assert AuditEvent.objects.unscoped().count() == 0


def test_organization_create_refuses_an_empty_name():
    with pytest.raises(ValidationError) as excinfo:
        organization_create(actor=Actor.system(), legal_name="   ", country="DE", owner=UserFactory.create())

    assert excinfo.value.message_dict == {"legal_name": ["The legal name is required."]}
    assert Organization.objects.count() == 0


def test_transition_follows_the_lifecycle_and_is_audited():
    organization = OrganizationFactory.create(status=OrganizationStatus.PENDING_APPROVAL)

    organization_transition(
        actor=Actor.system("auto-approval"),
        organization=organization,
        to_status=OrganizationStatus.PROVISIONING,
        reason="VIES confirmed",
    )

    assert organization.status == OrganizationStatus.PROVISIONING
    event = AuditEvent.objects.for_organization(organization).get()
    assert (event.action, event.actor_label, event.data) == (
        "organization.provisioning",
        "auto-approval",
        {"from": "pending_approval", "to": "provisioning", "reason": "VIES confirmed"},
    )


def test_invalid_transition_is_refused_and_changes_nothing():
    organization = OrganizationFactory.create(status=OrganizationStatus.REJECTED)

    with pytest.raises(InvalidTransitionError, match="cannot go from Rejected to Active"):
        organization_transition(actor=Actor.system(), organization=organization, to_status=OrganizationStatus.ACTIVE)

    organization.refresh_from_db()
    assert organization.status == OrganizationStatus.REJECTED
    assert AuditEvent.objects.for_organization(organization).count() == 0


def test_organization_details_set_stores_the_address_and_the_vat_id_unconfirmed_and_audits():
    organization = OrganizationFactory.create(country="AT", street="", postal_code="", city="", vat_id="")

    organization_details_set(
        actor=Actor.system("test"),
        organization=organization,
        street=" Maria-Theresien-Straße 18 ",
        postal_code="6020",
        city="Innsbruck",
        vat_id="atu 13585627",
    )

    organization.refresh_from_db()
    assert (organization.street, organization.postal_code, organization.city, organization.vat_id) == (
        "Maria-Theresien-Straße 18",
        "6020",
        "Innsbruck",
        "ATU13585627",
    )
    assert organization.vat_id_verified_at is None
    event = AuditEvent.objects.for_organization(organization).get(action="organization.details_set")
    assert event.data == {
        "street": "Maria-Theresien-Straße 18",
        "postal_code": "6020",
        "city": "Innsbruck",
        "vat_id": "ATU13585627",
    }


def test_organization_details_set_refuses_a_missing_city_and_a_taken_vat_id_and_changes_nothing():
    OrganizationFactory.create(country="AT", vat_id="ATU13585627")
    organization = OrganizationFactory.create(country="AT", street="Alt 1", postal_code="1010", city="Wien", vat_id="")

    with pytest.raises(ValidationError) as refused:
        organization_details_set(
            actor=Actor.system("test"),
            organization=organization,
            street="Neu 2",
            postal_code="6020",
            city=" ",
            vat_id="ATU13585627",
        )

    assert refused.value.message_dict == {
        "city": ["This field is required."],
        "vat_id": ["Another organization is registered with this VAT ID."],
    }
    organization.refresh_from_db()
    assert (organization.street, organization.postal_code, organization.city, organization.vat_id) == (
        "Alt 1",
        "1010",
        "Wien",
        "",
    )
    assert not AuditEvent.objects.for_organization(organization).filter(action="organization.details_set").exists()
