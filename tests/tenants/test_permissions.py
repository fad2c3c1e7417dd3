"""The full role-by-action matrix, and its enforcement by the API (the portal asks the same table)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tenants.choices import Role
from tenants.permissions import ROLE_ACTIONS, SCOPE_ACTIONS, Action, Scope, role_allows, scope_allows

A = Action
# The specification, written out by hand: which role may do what.
EXPECTED: dict[Role, set[Action]] = {
    Role.OWNER: set(Action),
    Role.ADMIN: set(Action)
    - {A.ORGANIZATION_CLOSE, A.DATA_EXPORT, A.QUOTA_REQUEST, A.IDENTITY_VIEW, A.IDENTITY_MANAGE},
    Role.MEMBER: {
        A.ORGANIZATION_VIEW,
        A.MEMBERS_VIEW,
        A.CATALOG_QUOTE,
        A.RESERVATIONS_VIEW,
        A.RESERVATIONS_MANAGE,
        A.CLOUD_VIEW,
    },
    Role.BILLING: {
        A.ORGANIZATION_VIEW,
        A.MEMBERS_VIEW,
        A.CATALOG_QUOTE,
        A.RESERVATIONS_VIEW,
        A.BILLING_VIEW,
        A.BILLING_MANAGE,
        A.CLOUD_VIEW,
    },
    Role.VIEWER: {A.ORGANIZATION_VIEW, A.MEMBERS_VIEW, A.CATALOG_QUOTE, A.RESERVATIONS_VIEW, A.CLOUD_VIEW},
}

MATRIX = [pytest.param(role, action, id=f"{role}-{action}") for role in Role for action in Action]


@pytest.mark.parametrize(("role", "action"), MATRIX)
def test_role_action_matrix(role, action):
    assert role_allows(role, action) is (action in EXPECTED[role])


def test_the_table_covers_every_role():
    assert set(ROLE_ACTIONS) == set(Role)


@pytest.mark.parametrize(("scope", "action"), [pytest.param(s, a, id=f"{s}-{a}") for s in Scope for a in Action])
def test_scope_action_matrix(scope, action):
    assert scope_allows([scope], action) is (action in SCOPE_ACTIONS[scope])


@pytest.mark.parametrize("action", [A.API_KEYS_MANAGE, A.DATA_EXPORT, A.ORGANIZATION_UPDATE, A.ORGANIZATION_CLOSE])
def test_no_scope_reaches_what_only_people_may_do(action):
    assert not scope_allows([scope.value for scope in Scope], action)


# One API request per action that has an endpoint today: (method, path, body, success status).
REQUESTS: dict[Action, tuple[str, str, dict | None, int]] = {
    A.ORGANIZATION_VIEW: ("get", "/api/v1/organizations/rheinwerk/", None, 200),
    A.MEMBERS_VIEW: ("get", "/api/v1/organizations/rheinwerk/members/", None, 200),
    A.MEMBERS_MANAGE: ("get", "/api/v1/organizations/rheinwerk/invitations/", None, 200),
    A.API_KEYS_MANAGE: ("get", "/api/v1/organizations/rheinwerk/api-keys/", None, 200),
    A.AUDIT_VIEW: ("get", "/api/v1/organizations/rheinwerk/audit-events/", None, 200),
    A.ORGANIZATION_UPDATE: ("post", "/api/v1/organizations/rheinwerk/consents/", {"documents": []}, 200),
    A.WEBHOOKS_VIEW: ("get", "/api/v1/organizations/rheinwerk/webhook-endpoints/", None, 200),
    A.CLOUD_VIEW: ("get", "/api/v1/organizations/rheinwerk/ssh-keys/", None, 200),
    A.CLOUD_MANAGE: ("delete", "/api/v1/organizations/rheinwerk/cloud-profile/ngc-api-key/", None, 204),
    A.IDENTITY_VIEW: ("get", "/api/v1/organizations/rheinwerk/identity/group-mappings/", None, 200),
    A.IDENTITY_MANAGE: (
        "post",
        "/api/v1/organizations/rheinwerk/identity/group-mappings/",
        {"group": "gpu-admins", "role": "viewer"},
        201,
    ),
}
ALLOWED = [pytest.param(r, a, id=f"{r}-{a}") for r in Role for a in REQUESTS if a in EXPECTED[r]]
REFUSED = [pytest.param(r, a, id=f"{r}-{a}") for r in Role for a in REQUESTS if a not in EXPECTED[r]]


def call(organization, member_of, role, action):
    client = APIClient()
    client.force_authenticate(member_of(organization, role))
    method, path, body, _success = REQUESTS[action]
    return getattr(client, method)(path, body, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "action"), ALLOWED)
def test_the_api_allows_what_the_matrix_allows(organization, member_of, role, action):
    response = call(organization, member_of, role, action)

    assert response.status_code == REQUESTS[action][3]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "action"), REFUSED)
def test_the_api_refuses_what_the_matrix_refuses(organization, member_of, role, action):
    response = call(organization, member_of, role, action)

    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
