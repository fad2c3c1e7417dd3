"""The audit log is append-only and written in the same transaction as the change it records."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, InternalError, transaction

from tenants.audit import Actor, AuditOutsideTransactionError, audit_record
from tenants.choices import ActorType
from tenants.models import AuditEvent
from tenants.services import organization_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_audit_record_outside_a_transaction_is_refused(organization):
    with pytest.raises(AuditOutsideTransactionError, match=r"organization\.touched"):
        audit_record(
            actor=Actor.system(), action="organization.touched", target=organization, organization=organization
        )

    assert AuditEvent.objects.unscoped().count() == 0


@pytest.mark.django_db(transaction=True)
def test_audit_row_is_rolled_back_with_the_change():
    owner = UserFactory.create(email="owner@example.de")

    def create_then_fail() -> None:
        with transaction.atomic():
            organization_create(
                actor=Actor.for_user(owner), legal_name="Rheinwerk Robotics GmbH", country="DE", owner=owner
            )
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        create_then_fail()

    assert AuditEvent.objects.unscoped().count() == 0


def test_audit_record_stores_actor_target_and_request_facts(organization):
    user = UserFactory.create(email="jonas@example.de")
    actor = Actor.for_user(user, ip_address="192.0.2.10", request_id="req-12345678")

    with transaction.atomic():
        event = audit_record(
            actor=actor,
            action="organization.renamed",
            target=organization,
            organization=organization,
            data={"from": "Old GmbH"},
        )

    event.refresh_from_db()
    assert (event.actor_type, event.actor_user, event.actor_label) == (ActorType.USER, user, "jonas@example.de")
    assert (event.target_type, event.target_id, event.target_label) == (
        "tenants.organization",
        str(organization.pk),
        "Rheinwerk Robotics GmbH",
    )
    assert (event.ip_address, event.request_id, event.data) == ("192.0.2.10", "req-12345678", {"from": "Old GmbH"})
    assert event.occurred_at is not None


def test_database_refuses_to_update_an_audit_event(organization):
    with transaction.atomic():
        event = audit_record(
            actor=Actor.system(), action="organization.checked", target=organization, organization=organization
        )

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.unscoped().filter(pk=event.pk).update(action="organization.forged")

    event.refresh_from_db()
    assert event.action == "organization.checked"


def test_database_refuses_to_delete_an_audit_event(organization):
    with transaction.atomic():
        event = audit_record(
            actor=Actor.system(), action="organization.checked", target=organization, organization=organization
        )

    with pytest.raises((IntegrityError, InternalError), match="append-only"), transaction.atomic():
        AuditEvent.objects.unscoped().filter(pk=event.pk).delete()

    assert AuditEvent.objects.unscoped().filter(pk=event.pk).exists()


def test_database_refuses_an_inconsistent_actor(organization):
    user = UserFactory.create()

    with pytest.raises(IntegrityError, match="tenants_auditevent_actor_consistent"), transaction.atomic():
        AuditEvent.objects.create(
            actor_type=ActorType.SYSTEM,
            actor_user=user,
            actor_label="x",
            organization=organization,
            action="a",
            target_type="t",
            target_id="1",
        )

    assert AuditEvent.objects.unscoped().count() == 0
