"""SCIM 2.0 at /scim/v2/ with a bearer token per organization: create → update → deactivate, and what
deprovisioning does (sessions ended, membership removed, API keys revoked, audited)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from identity.models import ExternalIdentity
from identity.scim_services import scim_token_create
from tenants.audit import Actor
from tenants.choices import OrganizationStatus, Role
from tenants.models import ApiKey, AuditEvent, Membership, Organization, User
from tenants.services import api_key_create

pytestmark = pytest.mark.django_db(transaction=True)  # sessions end after the commit


@pytest.fixture
def token(organization: Organization, owner: User) -> str:
    return scim_token_create(actor=Actor.for_user(owner), organization=organization)[1]


def scim(client: Client, method: str, path: str, token: str, body: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    return client.generic(
        method,
        f"/scim/v2/{path}",
        json.dumps(body) if body is not None else "",
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def create(client: Client, token: str, email: str = "ada@rheinwerk.example") -> dict[str, Any]:
    response = scim(
        client,
        "POST",
        "Users",
        token,
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": email,
            "externalId": f"ext-{email}",
            "name": {"formatted": "Ada Lovelace"},
            "active": True,
        },
    )
    assert response.status_code == 201, response.content
    data: dict[str, Any] = response.json()
    return data


def test_create_update_and_deactivate_a_user(client, token, organization):
    created = create(client, token)
    identity = ExternalIdentity.objects.for_organization(organization).get()
    assert created == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": str(identity.pk),
        "externalId": "ext-ada@rheinwerk.example",
        "userName": "ada@rheinwerk.example",
        "displayName": "Ada Lovelace",
        "name": {"formatted": "Ada Lovelace"},
        "emails": [{"value": "ada@rheinwerk.example", "primary": True}],
        "active": True,
        "meta": {
            "resourceType": "User",
            "created": identity.user.date_joined.isoformat(),
            "location": f"http://testserver/scim/v2/Users/{identity.pk}",
        },
    }
    assert Membership.objects.for_organization(organization).filter(user=identity.user).exists() is False  # no role

    renamed = scim(
        client,
        "PATCH",
        f"Users/{identity.pk}",
        token,
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Ada King"}],
        },
    )
    assert (renamed.status_code, renamed.json()["displayName"]) == (200, "Ada King")

    deactivated = scim(
        client,
        "PATCH",
        f"Users/{identity.pk}",
        token,
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": False}}],
        },
    )
    assert (deactivated.status_code, deactivated.json()["active"]) == (200, False)
    actions = list(
        AuditEvent.objects.for_organization(organization)
        .filter(action__startswith="scim.")
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == ["scim.user_provisioned", "scim.user_updated", "scim.user_deprovisioned"]


def test_deprovisioning_ends_sessions_memberships_and_api_keys(client, token, organization):
    created = create(client, token)
    user = User.objects.get(email="ada@rheinwerk.example")
    Membership.objects.create(organization=organization, user=user, role=Role.ADMIN)
    api_key, secret = api_key_create(
        actor=Actor.for_user(user), organization=organization, name="ci", scopes=["organization:read"]
    )
    portal = Client()
    portal.force_login(user)
    assert portal.get("/orgs/rheinwerk/members/").status_code == 200
    assert Client().get("/api/v1/organizations/rheinwerk/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200

    response = scim(
        client,
        "PATCH",
        f"Users/{created['id']}",
        token,
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
    )

    assert response.status_code == 200
    assert Membership.objects.for_organization(organization).filter(user=user).exists() is False
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)] == []
    page = portal.get("/orgs/rheinwerk/members/")
    assert (page.status_code, page["Location"]) == (302, "/accounts/login/?next=/orgs/rheinwerk/members/")
    assert Client().get("/api/v1/organizations/rheinwerk/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    event = AuditEvent.objects.for_organization(organization).get(action="scim.user_deprovisioned")
    assert event.data == {
        "user_id": user.pk,
        "removed_role": "admin",
        "revoked_api_keys": [api_key.prefix],
        "forgotten": False,
    }
    assert event.actor_label == f"scim:{token.split('_')[1]}"


def test_filter_and_pagination(client, token):
    for name in ["a", "b", "c"]:
        create(client, token, email=f"{name}@rheinwerk.example")
    page = scim(client, "GET", "Users?startIndex=2&count=1", token).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (3, 2, 1)
    assert [r["userName"] for r in page["Resources"]] == ["b@rheinwerk.example"]

    found = scim(client, "GET", "Users?filter=userName%20eq%20%22C@rheinwerk.example%22", token).json()
    assert [r["userName"] for r in found["Resources"]] == ["c@rheinwerk.example"]
    bad = scim(client, "GET", "Users?filter=title%20co%20%22x%22", token)
    assert (bad.status_code, bad.json()["scimType"]) == (400, "invalidFilter")


def test_a_person_is_provisioned_once(client, token, organization):
    create(client, token)
    again = scim(client, "POST", "Users", token, {"userName": "ada@rheinwerk.example"})
    assert (again.status_code, again.json()["scimType"]) == (409, "uniqueness")
    assert ExternalIdentity.objects.for_organization(organization).count() == 1


def test_another_organizations_users_are_404_and_untouched(client, token, other_organization, member_of):
    other_token = scim_token_create(
        actor=Actor.for_user(member_of(other_organization)), organization=other_organization
    )[1]
    theirs = create(client, other_token, email="zoe@delft.example")

    assert scim(client, "GET", f"Users/{theirs['id']}", token).status_code == 404
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    assert scim(client, "PATCH", f"Users/{theirs['id']}", token, patch).status_code == 404
    assert scim(client, "DELETE", f"Users/{theirs['id']}", token).status_code == 404
    assert ExternalIdentity.objects.for_organization(other_organization).get().active is True
    assert scim(client, "GET", "Users", token).json()["totalResults"] == 0


def test_tokens_of_a_disabled_organization_and_wrong_tokens_are_refused(client, token, organization):
    assert scim(client, "GET", "Users", token + "x").status_code == 401
    assert scim(client, "GET", "Users", "ktr_not_a_scim_token").status_code == 401
    Organization.objects.filter(pk=organization.pk).update(status=OrganizationStatus.SUSPENDED)
    refused = scim(client, "POST", "Users", token, {"userName": "ada@rheinwerk.example"})
    assert refused.status_code == 401
    assert User.objects.filter(email="ada@rheinwerk.example").exists() is False


def test_the_last_owner_cannot_be_deprovisioned(client, token, organization, owner):
    identity = ExternalIdentity.objects.create(
        organization=organization, user=owner, subject="owner", last_sign_in_at=owner.date_joined
    )
    response = scim(client, "DELETE", f"Users/{identity.pk}", token)
    assert response.status_code == 409
    assert Membership.objects.for_organization(organization).get(user=owner).role == Role.OWNER
    assert ExternalIdentity.objects.for_organization(organization).filter(pk=identity.pk).exists() is True


def test_delete_forgets_the_person(client, token, organization):
    created = create(client, token)
    assert scim(client, "DELETE", f"Users/{created['id']}", token).status_code == 204
    assert scim(client, "GET", f"Users/{created['id']}", token).status_code == 404
    assert ApiKey.objects.for_organization(organization).count() == 0


# --- Groups -------------------------------------------------------------------------------------------------------

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def test_group_members_get_the_mapped_role_at_once_and_lose_it_when_removed(client, token, organization, owner):
    from identity.services import group_role_mapping_set

    group_role_mapping_set(actor=Actor.for_user(owner), organization=organization, group="gpu-admins", role=Role.ADMIN)
    ada = create(client, token)
    user = User.objects.get(email="ada@rheinwerk.example")

    created = scim(client, "POST", "Groups", token, {"displayName": "gpu-admins", "members": [{"value": ada["id"]}]})

    assert created.status_code == 201
    group = created.json()
    assert (group["displayName"], [m["value"] for m in group["members"]]) == ("gpu-admins", [ada["id"]])
    assert Membership.objects.for_organization(organization).get(user=user).role == Role.ADMIN

    removed = scim(
        client,
        "PATCH",
        f"Groups/{group['id']}",
        token,
        {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": f'members[value eq "{ada["id"]}"]'}]},
    )

    assert removed.status_code == 200
    assert "members" not in removed.json()  # unassigned attributes are left out (RFC 7643 2.5)
    assert Membership.objects.for_organization(organization).filter(user=user).exists() is False
    changes = AuditEvent.objects.for_organization(organization).filter(action="membership.scim_role_changed")
    assert [(e.data["previous_role"], e.data["role"]) for e in changes.order_by("id")] == [
        (None, "admin"),
        ("admin", None),
    ]


def test_a_group_of_unmapped_name_grants_nothing(client, token, organization):
    ada = create(client, token)
    scim(client, "POST", "Groups", token, {"displayName": "everyone", "members": [{"value": ada["id"]}]})
    assert Membership.objects.for_organization(organization).exists() is True  # the owner
    assert (
        Membership.objects.for_organization(organization).filter(user__email="ada@rheinwerk.example").exists() is False
    )


def test_groups_list_filter_and_another_organizations_members_are_refused(client, token, other_organization, member_of):
    other_token = scim_token_create(
        actor=Actor.for_user(member_of(other_organization)), organization=other_organization
    )[1]
    theirs = create(client, other_token, email="zoe@delft.example")
    refused = scim(client, "POST", "Groups", token, {"displayName": "x", "members": [{"value": theirs["id"]}]})
    assert (refused.status_code, refused.json()["detail"]) == (400, "Every member must be a user of this organization.")
    scim(client, "POST", "Groups", token, {"displayName": "ops"})
    scim(client, "POST", "Groups", token, {"displayName": "dev"})
    listed = scim(client, "GET", "Groups?filter=displayName%20eq%20%22dev%22", token).json()
    assert (listed["totalResults"], [g["displayName"] for g in listed["Resources"]]) == (1, ["dev"])
    their_group = scim(client, "POST", "Groups", other_token, {"displayName": "theirs"}).json()
    assert scim(client, "GET", f"Groups/{their_group['id']}", token).status_code == 404
    assert scim(client, "DELETE", f"Groups/{their_group['id']}", token).status_code == 404
    assert scim(client, "GET", "Groups", other_token).json()["totalResults"] == 1
