"""API keys: created by owners and admins, shown once, scoped, revocable, audited as the actor of their writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from tenants.choices import ActorType, Role
from tenants.models import ApiKey, AuditEvent
from tenants.permissions import Scope

pytestmark = pytest.mark.django_db


def client_of(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def key_client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def create_key(user, **body):
    payload = {"name": "ERP sync", "scopes": ["members:manage"], **body}
    return client_of(user).post("/api/v1/organizations/rheinwerk/api-keys/", payload, format="json")


def test_the_secret_is_shown_once(organization, owner):
    created = create_key(owner).json()
    listed = client_of(owner).get("/api/v1/organizations/rheinwerk/api-keys/").json()["results"]

    assert created["token"].startswith(f"ktr_{created['prefix']}_")
    assert [set(key) for key in listed] == [
        {"id", "name", "prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at"}
    ]


def test_key_writes_are_audited_with_the_key_as_actor(organization, owner):
    token = create_key(owner).json()["token"]

    response = key_client(token).post(
        "/api/v1/organizations/rheinwerk/invitations/", {"email": "anna@example.de", "role": "member"}, format="json"
    )

    assert response.status_code == 201
    event = AuditEvent.objects.for_organization(organization).get(action="invitation.created")
    key = ApiKey.objects.for_organization(organization).get()
    assert (event.actor_type, event.actor_api_key, event.actor_label) == (
        ActorType.API_KEY,
        key,
        f"api-key:{key.prefix}",
    )


def test_a_key_without_the_scope_is_forbidden(organization, owner):
    token = create_key(owner, scopes=["catalog:read"]).json()["token"]

    response = key_client(token).get("/api/v1/organizations/rheinwerk/members/")

    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_a_key_cannot_create_keys(organization, owner):
    every_scope = [scope.value for scope in Scope]
    token = create_key(owner, scopes=every_scope).json()["token"]

    response = key_client(token).post(
        "/api/v1/organizations/rheinwerk/api-keys/", {"name": "x", "scopes": ["catalog:read"]}, format="json"
    )

    assert response.status_code == 403
    assert ApiKey.objects.for_organization(organization).count() == 1


def test_a_revoked_key_is_401(organization, owner):
    created = create_key(owner).json()
    client_of(owner).post(f"/api/v1/organizations/rheinwerk/api-keys/{created['id']}/revoke/")

    response = key_client(created["token"]).get("/api/v1/organizations/rheinwerk/members/")

    assert (response.status_code, response.json()["detail"]) == (401, "This API key has been revoked or has expired.")


def test_an_expired_key_is_401(organization, owner):
    created = create_key(owner, expires_at=(timezone.now() + timedelta(days=1)).isoformat()).json()

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = key_client(created["token"]).get("/api/v1/organizations/rheinwerk/members/")

    assert response.status_code == 401


def test_a_key_used_on_another_organization_is_404(organization, other_organization, owner):
    token = create_key(owner).json()["token"]

    response = key_client(token).get("/api/v1/organizations/delft/members/")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"scopes": ["root"]}, "scopes", '"root" is not a valid choice.'),
        ({"scopes": []}, "scopes", "This list may not be empty."),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at", "The expiry must be in the future."),
    ],
)
def test_bad_key_requests_store_nothing(organization, owner, body, field, message):
    response = create_key(owner, **body)

    assert response.status_code == 400
    assert message in str(response.json()["fields"])
    assert ApiKey.objects.for_organization(organization).count() == 0


@pytest.mark.parametrize("role", [Role.MEMBER, Role.BILLING, Role.VIEWER])
def test_only_owners_and_admins_manage_keys(organization, member_of, role):
    response = create_key(member_of(organization, role))

    assert response.status_code == 403
    assert ApiKey.objects.for_organization(organization).count() == 0


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_bearer_scheme_is_case_insensitive(organization, owner, scheme):
    token = create_key(owner, scopes=["members:read"]).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")

    response = client.get("/api/v1/organizations/rheinwerk/members/")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer", "not_authenticated"),
        ("Bearer ", "not_authenticated"),
        ("Basic ktr_a_b", "not_authenticated"),
        ("Bearer ktr_", "authentication_failed"),
        ("Bearer ktr_x", "authentication_failed"),
        ("Bearer ktr__", "authentication_failed"),
        ("bearer ktr_\u00e9_x", "authentication_failed"),
    ],
)
def test_malformed_authorization_headers_are_401_never_5xx(organization, header, code):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/organizations/rheinwerk/members/")

    assert (response.status_code, response.json()["code"]) == (401, code)
    assert set(response.json()) == {"detail", "code", "fields"}


def test_the_key_lookup_reads_what_the_orm_reads(organization, owner, django_assert_num_queries):
    """ApiKeyAuthentication's lookup (compiled once per process) builds the key and its organization exactly as
    ``select_related("organization")`` does, in one query: every field, converted the same (the scopes' JSON, aware
    datetimes), the organization cached on the key."""
    from django.forms.models import model_to_dict

    from tenants.api.authentication import api_key_with_organization

    token = create_key(owner, scopes=["members:manage", "reservations:read"]).json()["token"]
    prefix = token.split("_")[1]
    ApiKey.objects.unscoped().filter(prefix=prefix).update(
        expires_at=timezone.now() + timedelta(days=3), last_used_at=timezone.now()
    )
    expected = ApiKey.objects.unscoped().select_related("organization").get(prefix=prefix)

    with django_assert_num_queries(1):
        found = api_key_with_organization(prefix)
        organization_read = found.organization

    assert found is not None
    assert (type(found), found.pk, found._state.adding, found._state.db) == (ApiKey, expected.pk, False, "default")
    assert {field.attname: getattr(found, field.attname) for field in ApiKey._meta.concrete_fields} == {
        field.attname: getattr(expected, field.attname) for field in ApiKey._meta.concrete_fields
    }
    assert found.scopes == ["members:manage", "reservations:read"]
    assert model_to_dict(organization_read) == model_to_dict(expected.organization)
    assert organization_read.created_at == expected.organization.created_at
    assert organization_read.updated_at == expected.organization.updated_at
    assert api_key_with_organization("nosuchprefix") is None
