"""GDPR: the organization's data export, and erasing a person while keeping the records the law requires."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from tenants.audit import Actor, audit_record
from tenants.choices import Role
from tenants.models import AuditEvent, AuditRedaction, Membership, User
from tenants.services import api_key_create, invitation_create

pytestmark = pytest.mark.django_db


def client_of(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_owner_downloads_everything_about_the_organization(organization, other_organization, owner, member_of):
    member_of(other_organization, Role.OWNER)
    api_key_create(actor=Actor.for_user(owner), organization=organization, name="ERP", scopes=["catalog:read"])

    response = client_of(owner).get("/api/v1/organizations/rheinwerk/export/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="kontor-rheinwerk-')
    archive = response.json()
    assert archive["format"] == "kontor-organization-export/1"
    assert archive["organization"]["legal_name"] == "Rheinwerk Robotics GmbH"
    assert [m["user__email"] for m in archive["members"]] == [owner.email]
    assert [k["name"] for k in archive["api_keys"]] == ["ERP"]
    assert "secret_hash" not in str(archive)
    assert [e["action"] for e in archive["audit_events"]] == ["api_key.created", "organization.exported"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MEMBER, Role.BILLING, Role.VIEWER])
def test_only_owners_export(organization, member_of, role):
    response = client_of(member_of(organization, role)).get("/api/v1/organizations/rheinwerk/export/")

    assert response.status_code == 403
    assert not AuditEvent.objects.for_organization(organization).filter(action="organization.exported").exists()


def test_erasure_removes_the_person_and_pseudonymizes_the_audit_trail(organization, owner, member_of):
    anna = member_of(organization, Role.ADMIN)
    with transaction.atomic():
        audit_record(
            actor=Actor.for_user(anna, ip_address="192.0.2.7"),
            action="organization.viewed",
            target=organization,
            organization=organization,
            data={"by": anna.email},
        )
    invitation_create(
        actor=Actor.for_user(anna),
        organization=organization,
        email="bob@example.de",
        role=Role.MEMBER,
        may_manage_owners=False,
    )
    anna_email, anna_pk = anna.email, anna.pk

    response = client_of(anna).post("/api/v1/me/erase/", {"password": "correct-horse-battery-staple"}, format="json")

    assert response.status_code == 204
    erased = User.objects.get(pk=anna_pk)
    assert (erased.email, erased.full_name, erased.is_active, erased.has_usable_password()) == (
        f"erased-user-{anna_pk}@erased.invalid",
        "",
        False,
        False,
    )
    assert not Membership.objects.for_organization(organization).filter(user_id=anna_pk).exists()
    assert not EmailAddress.objects.filter(user_id=anna_pk).exists()
    events = AuditEvent.objects.unscoped()
    assert not any(anna_email in str((e.actor_label, e.target_label, e.data)) for e in events)
    viewed = events.get(action="organization.viewed")
    assert (viewed.actor_user_id, viewed.actor_label, viewed.ip_address, viewed.data) == (
        anna_pk,
        f"erased-user-{anna_pk}@erased.invalid",
        None,
        {"by": f"erased-user-{anna_pk}@erased.invalid"},
    )
    assert events.filter(action="user.erased", target_id=str(anna_pk)).count() == 1
    assert AuditRedaction.objects.filter(is_open=True).count() == 0


def test_the_last_owner_cannot_erase_themselves(organization, owner):
    response = client_of(owner).post("/api/v1/me/erase/", {"password": "correct-horse-battery-staple"}, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "last_owner")
    owner.refresh_from_db()
    assert owner.is_active is True
    assert Membership.objects.for_organization(organization).filter(user=owner).exists()


def test_erasure_needs_the_password(organization, member_of):
    anna = member_of(organization, Role.ADMIN)

    response = client_of(anna).post("/api/v1/me/erase/", {"password": "wrong"}, format="json")

    assert response.json()["fields"] == {"password": ["The password is not correct."]}
    anna.refresh_from_db()
    assert anna.is_active is True


def test_outside_an_erasure_the_audit_trail_still_cannot_change(organization):
    with transaction.atomic():
        event = audit_record(actor=Actor.system(), action="x", target=organization, organization=organization)
    AuditRedaction.objects.create(pseudonym="closed", is_open=False)

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.unscoped().filter(pk=event.pk).update(actor_label="forged")


def test_even_during_an_erasure_who_did_what_cannot_change(organization):
    with transaction.atomic():
        event = audit_record(actor=Actor.system(), action="x", target=organization, organization=organization)

    def forge_during_an_erasure() -> None:
        with transaction.atomic():
            AuditRedaction.objects.create(pseudonym="p")
            AuditEvent.objects.unscoped().filter(pk=event.pk).update(action="forged")

    with pytest.raises(IntegrityError, match="append-only"):
        forge_during_an_erasure()

    event.refresh_from_db()
    assert event.action == "x"
