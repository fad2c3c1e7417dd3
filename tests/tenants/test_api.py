"""The tenancy API: the caller's account, organizations, members and the audit log."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tenants.audit import Actor, audit_record
from tenants.choices import Role
from tenants.models import ApiKey
from tenants.permissions import Scope
from tenants.services import api_key_create
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_me_lists_the_users_organizations_and_roles(organization, other_organization, owner, client_for):
    MembershipFactory.create(organization=other_organization, user=owner, role=Role.VIEWER)

    response = client_for(owner).get("/api/v1/me/")

    assert response.status_code == 200
    body = response.json()
    assert (body["email"], body["is_staff"]) == (owner.email, False)
    assert sorted((m["organization"]["slug"], m["role"]) for m in body["memberships"]) == [
        ("delft", "viewer"),
        ("rheinwerk", "owner"),
    ]


def test_organization_list_shows_only_my_organizations(organization, other_organization, owner, client_for):
    response = client_for(owner).get("/api/v1/organizations/")

    assert response.status_code == 200
    assert [o["slug"] for o in response.json()["results"]] == ["rheinwerk"]


def test_organization_detail(organization, owner, client_for):
    response = client_for(owner).get("/api/v1/organizations/rheinwerk/")

    assert response.status_code == 200
    assert response.json() == {
        "slug": "rheinwerk",
        "legal_name": "Rheinwerk Robotics GmbH",
        "country": "DE",
        "status": "active",
        "created_at": response.json()["created_at"],
    }


def test_members_list(organization, owner, member_of, client_for):
    viewer = member_of(organization, Role.VIEWER)

    response = client_for(viewer).get("/api/v1/organizations/rheinwerk/members/")

    assert response.status_code == 200
    assert sorted((m["email"], m["role"]) for m in response.json()["results"]) == sorted(
        [(owner.email, "owner"), (viewer.email, "viewer")]
    )


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_read_the_audit_log(organization, other_organization, member_of, client_for, role):
    user = member_of(organization, role)
    with transaction.atomic():
        audit_record(
            actor=Actor.for_user(user), action="organization.viewed", target=organization, organization=organization
        )
        audit_record(
            actor=Actor.system(),
            action="organization.viewed",
            target=other_organization,
            organization=other_organization,
        )

    response = client_for(user).get("/api/v1/organizations/rheinwerk/audit-events/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(e["organization"], e["action"], e["actor_label"]) for e in results] == [
        ("rheinwerk", "organization.viewed", user.email)
    ]


@pytest.mark.parametrize("role", [Role.MEMBER, Role.BILLING, Role.VIEWER])
def test_other_roles_may_not_read_the_audit_log(organization, member_of, client_for, role):
    user = member_of(organization, role)

    response = client_for(user).get("/api/v1/organizations/rheinwerk/audit-events/")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Your role does not allow this action (audit.view).",
        "code": "permission_denied",
        "fields": {},
    }


def test_audit_log_filters_by_action_prefix(organization, owner, client_for):
    with transaction.atomic():
        audit_record(actor=Actor.system(), action="organization.viewed", target=organization, organization=organization)
        audit_record(actor=Actor.system(), action="membership.created", target=organization, organization=organization)

    response = client_for(owner).get("/api/v1/organizations/rheinwerk/audit-events/?action_prefix=membership.")

    assert [e["action"] for e in response.json()["results"]] == ["membership.created"]


def test_audit_log_is_cursor_paginated_newest_first(organization, owner, client_for):
    with transaction.atomic():
        for index in range(3):
            audit_record(actor=Actor.system(), action=f"test.{index}", target=organization, organization=organization)

    first = client_for(owner).get("/api/v1/organizations/rheinwerk/audit-events/?page_size=2").json()
    second = client_for(owner).get(first["next"]).json()

    assert [e["action"] for e in first["results"]] == ["test.2", "test.1"]
    assert [e["action"] for e in second["results"]] == ["test.0"]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("url", "make_rows"),
    [
        ("/api/v1/organizations/rheinwerk/members/", "members"),
        ("/api/v1/organizations/rheinwerk/audit-events/", "events"),
        ("/api/v1/organizations/", "organizations"),
    ],
)
def test_lists_run_a_constant_number_of_queries(organization, owner, client_for, url, make_rows):
    client = client_for(owner)

    def add_rows(count: int) -> None:
        for _ in range(count):
            if make_rows == "members":
                MembershipFactory.create(organization=organization, role=Role.VIEWER)
            elif make_rows == "events":
                with transaction.atomic():
                    audit_record(
                        actor=Actor.for_user(owner), action="x", target=organization, organization=organization
                    )
            else:
                MembershipFactory.create(user=owner, role=Role.VIEWER)

    add_rows(1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_rows(20)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200

    assert len(many.captured_queries) == len(few.captured_queries)


def test_api_key_reads_its_own_organization(organization, other_organization, owner):
    _api_key, token = api_key_create(
        actor=Actor.for_user(owner),
        organization=organization,
        name="CI",
        scopes=[Scope.ORGANIZATION_READ, Scope.MEMBERS_READ],
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    own = client.get("/api/v1/organizations/rheinwerk/members/")
    foreign = client.get("/api/v1/organizations/delft/")
    unscoped_action = client.get("/api/v1/organizations/rheinwerk/audit-events/")

    assert own.status_code == 200
    assert foreign.status_code == 404
    assert (unscoped_action.status_code, unscoped_action.json()["code"]) == (403, "permission_denied")
    assert ApiKey.objects.for_organization(organization).get().last_used_at is not None


def test_api_key_last_use_is_written_at_most_once_a_minute(organization, owner):
    _api_key, token = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name="CI", scopes=[Scope.ORGANIZATION_READ]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    with time_machine.travel("2026-11-20T10:00:00Z", tick=False):
        client.get("/api/v1/organizations/rheinwerk/")
    with time_machine.travel("2026-11-20T10:00:59Z", tick=False), CaptureQueriesContext(connection) as within:
        assert client.get("/api/v1/organizations/rheinwerk/").status_code == 200
    first = ApiKey.objects.for_organization(organization).get().last_used_at
    with time_machine.travel("2026-11-20T10:01:00Z", tick=False):
        client.get("/api/v1/organizations/rheinwerk/")
    later = ApiKey.objects.for_organization(organization).get().last_used_at

    assert [q["sql"] for q in within.captured_queries if q["sql"].startswith("UPDATE")] == []
    assert (first.isoformat(), later.isoformat()) == ("2026-11-20T10:00:00+00:00", "2026-11-20T10:01:00+00:00")


def test_api_key_stores_only_a_digest(organization, owner):
    api_key, token = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name="CI", scopes=[Scope.CATALOG_READ]
    )

    assert token.startswith(f"ktr_{api_key.prefix}_")
    assert token.split("_", 2)[2] not in api_key.secret_hash
    assert len(api_key.secret_hash) == 64


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer ktr_nope_secret", "Invalid API key."),
        ("Bearer ktr_", "Invalid API key."),
    ],
)
def test_bad_api_keys_are_refused(organization, header, detail):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/organizations/rheinwerk/")

    assert (response.status_code, response.json()) == (
        401,
        {"detail": detail, "code": "authentication_failed", "fields": {}},
    )


def test_revoked_api_key_is_refused(organization, owner):
    _api_key, token = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name="CI", scopes=[Scope.ORGANIZATION_READ]
    )
    ApiKey.objects.for_organization(organization).update(revoked_at=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.get("/api/v1/organizations/rheinwerk/")

    assert (response.status_code, response.json()["detail"]) == (401, "This API key has been revoked or has expired.")


def test_api_key_create_refuses_unknown_scopes_and_stores_nothing(organization, owner):
    with pytest.raises(ValidationError) as excinfo:
        api_key_create(actor=Actor.for_user(owner), organization=organization, name="CI", scopes=["root"])

    assert excinfo.value.message_dict == {"scopes": ["Unknown scopes: root."]}
    assert ApiKey.objects.for_organization(organization).count() == 0


def test_operator_reads_the_whole_audit_log(organization, other_organization, operator, client_for):
    with transaction.atomic():
        audit_record(actor=Actor.system(), action="a", target=organization, organization=organization)
        audit_record(actor=Actor.system(), action="b", target=other_organization, organization=other_organization)

    everything = client_for(operator).get("/api/v1/ops/audit-events/").json()["results"]
    filtered = client_for(operator).get("/api/v1/ops/audit-events/?organization=delft").json()["results"]

    assert [e["organization"] for e in everything] == ["delft", "rheinwerk"]
    assert [e["action"] for e in filtered] == ["b"]
