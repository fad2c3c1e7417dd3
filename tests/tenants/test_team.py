"""Invitations, roles and leaving through the API; an organization always keeps an owner."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from tenants.choices import InvitationStatus, Role
from tenants.models import AuditEvent, Invitation, Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def client_of(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def invite(client, email="anna@example.de", role=Role.MEMBER):
    return client.post("/api/v1/organizations/rheinwerk/invitations/", {"email": email, "role": role}, format="json")


def token_from_mail():
    return re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)


def memberships(organization):
    return sorted(Membership.objects.for_organization(organization).values_list("user__email", "role"))


def test_invite_accept_flow(organization, owner):
    response = invite(client_of(owner))
    anna = UserFactory.create(email="anna@example.de")

    accepted = client_of(anna).post("/api/v1/invitations/accept/", {"token": token_from_mail()}, format="json")

    assert response.status_code == 201
    assert accepted.status_code == 200
    assert memberships(organization) == sorted([(owner.email, "owner"), ("anna@example.de", "member")])
    assert Invitation.objects.for_organization(organization).get().status == InvitationStatus.ACCEPTED


def test_a_used_invitation_cannot_be_used_again(organization, owner):
    invite(client_of(owner))
    token = token_from_mail()
    anna = UserFactory.create(email="anna@example.de")
    client_of(anna).post("/api/v1/invitations/accept/", {"token": token}, format="json")
    before = memberships(organization)

    again = client_of(anna).post("/api/v1/invitations/decline/", {"token": token}, format="json")

    assert (again.status_code, again.json()["code"]) == (400, "invitation_used")
    assert memberships(organization) == before


def test_an_expired_invitation_is_refused(organization, owner):
    invite(client_of(owner))
    token = token_from_mail()
    anna = UserFactory.create(email="anna@example.de")

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client_of(anna).post("/api/v1/invitations/accept/", {"token": token}, format="json")

    assert (response.status_code, response.json()["detail"]) == (400, "This invitation has expired; ask for a new one.")
    assert memberships(organization) == [(owner.email, "owner")]


def test_a_revoked_invitation_is_refused(organization, owner):
    created = invite(client_of(owner)).json()
    token = token_from_mail()
    client_of(owner).post(f"/api/v1/organizations/rheinwerk/invitations/{created['id']}/revoke/")
    anna = UserFactory.create(email="anna@example.de")

    response = client_of(anna).post("/api/v1/invitations/accept/", {"token": token}, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "invitation_used")
    assert memberships(organization) == [(owner.email, "owner")]


def test_a_tampered_token_is_refused(organization, owner):
    invite(client_of(owner))
    anna = UserFactory.create(email="anna@example.de")

    response = client_of(anna).post("/api/v1/invitations/accept/", {"token": token_from_mail() + "x"}, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "invitation_invalid")


def test_an_invitation_is_for_its_address_only(organization, owner):
    invite(client_of(owner))
    mallory = UserFactory.create(email="mallory@example.de")

    response = client_of(mallory).post("/api/v1/invitations/accept/", {"token": token_from_mail()}, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "invitation_other_user")
    assert memberships(organization) == [(owner.email, "owner")]


def test_only_owners_make_owners(organization, member_of):
    admin = member_of(organization, Role.ADMIN)

    response = invite(client_of(admin), role=Role.OWNER)

    assert response.status_code == 400
    assert response.json()["fields"] == {"role": ["Only an owner can make someone an owner."]}
    assert Invitation.objects.for_organization(organization).count() == 0


def test_the_last_owner_can_neither_leave_nor_be_demoted(organization, owner):
    membership = Membership.objects.for_organization(organization).get(user=owner)
    client = client_of(owner)

    leave = client.post("/api/v1/organizations/rheinwerk/members/leave/")
    demote = client.patch(f"/api/v1/organizations/rheinwerk/members/{membership.pk}/", {"role": "admin"}, format="json")

    assert (leave.status_code, leave.json()["code"]) == (400, "last_owner")
    assert demote.status_code == 400
    assert demote.json()["fields"] == {
        "role": ["An organization needs at least one owner: make someone else owner first."]
    }
    assert memberships(organization) == [(owner.email, "owner")]


def test_owner_hands_over_and_leaves(organization, owner, member_of):
    successor = member_of(organization, Role.ADMIN)
    successor_membership = Membership.objects.for_organization(organization).get(user=successor)
    client = client_of(owner)

    promoted = client.patch(
        f"/api/v1/organizations/rheinwerk/members/{successor_membership.pk}/", {"role": "owner"}, format="json"
    )
    left = client.post("/api/v1/organizations/rheinwerk/members/leave/")

    assert (promoted.status_code, left.status_code) == (200, 204)
    assert memberships(organization) == [(successor.email, "owner")]
    assert list(
        AuditEvent.objects.for_organization(organization)
        .filter(action__startswith="membership.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["membership.role_changed", "membership.removed"]


def test_admins_cannot_remove_owners(organization, owner, member_of):
    admin = member_of(organization, Role.ADMIN)
    owner_membership = Membership.objects.for_organization(organization).get(user=owner)

    before = (memberships(organization), AuditEvent.objects.for_organization(organization).count())

    response = client_of(admin).delete(f"/api/v1/organizations/rheinwerk/members/{owner_membership.pk}/")

    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Only an owner can remove an owner.", "code": "permission_denied", "fields": {}},
    )
    assert (memberships(organization), AuditEvent.objects.for_organization(organization).count()) == before


def test_a_member_of_another_organization_cannot_be_touched(organization, other_organization, owner, member_of):
    stranger = member_of(other_organization, Role.VIEWER)
    foreign = Membership.objects.for_organization(other_organization).get(user=stranger)

    response = client_of(owner).delete(f"/api/v1/organizations/rheinwerk/members/{foreign.pk}/")

    assert response.status_code == 404
    assert memberships(other_organization) == [(stranger.email, "viewer")]


def test_a_user_belongs_to_several_organizations(organization, other_organization, owner, member_of):
    other_owner = member_of(other_organization, Role.OWNER)
    client_of(other_owner).post(
        "/api/v1/organizations/delft/invitations/", {"email": owner.email, "role": "viewer"}, format="json"
    )

    client_of(owner).post("/api/v1/invitations/accept/", {"token": token_from_mail()}, format="json")

    me = client_of(owner).get("/api/v1/me/").json()
    assert sorted((m["organization"]["slug"], m["role"]) for m in me["memberships"]) == [
        ("delft", "viewer"),
        ("rheinwerk", "owner"),
    ]


def test_only_the_invited_address_declines_and_the_refusal_does_not_show_it(organization, owner):
    invite(client_of(owner))
    token = token_from_mail()
    stranger = UserFactory.create(email="stranger@example.de")
    before = (memberships(organization), list(Invitation.objects.for_organization(organization).values_list("status")))
    audit_before = AuditEvent.objects.for_organization(organization).count()

    declined = client_of(stranger).post("/api/v1/invitations/decline/", {"token": token}, format="json")
    accepted = client_of(stranger).post("/api/v1/invitations/accept/", {"token": token}, format="json")

    refusal = {
        "detail": "This invitation was sent to another e-mail address; sign in with that address to answer it.",
        "code": "invitation_other_user",
        "fields": {},
    }
    assert (declined.status_code, declined.json()) == (400, refusal)
    assert (accepted.status_code, accepted.json()) == (400, refusal)
    assert (
        memberships(organization),
        list(Invitation.objects.for_organization(organization).values_list("status")),
    ) == before
    assert AuditEvent.objects.for_organization(organization).count() == audit_before
