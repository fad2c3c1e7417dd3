"""The one table of role → allowed actions, and of API-key scope → actions.

The API (``OrganizationScopeMixin``) and the portal both ask ``role_allows`` / ``scope_allows``; the full matrix is
tested in tests/tenants/test_permissions.py. Actions a key can never take (creating keys, exporting the
organization's data, changing the organization) belong to no scope.
"""

from __future__ import annotations

from enum import StrEnum

from tenants.choices import Role


class Action(StrEnum):
    ORGANIZATION_VIEW = "organization.view"
    ORGANIZATION_UPDATE = "organization.update"
    ORGANIZATION_CLOSE = "organization.close"
    MEMBERS_VIEW = "members.view"
    MEMBERS_MANAGE = "members.manage"
    API_KEYS_MANAGE = "api_keys.manage"
    AUDIT_VIEW = "audit.view"
    DATA_EXPORT = "data.export"
    CATALOG_QUOTE = "catalog.quote"
    RESERVATIONS_VIEW = "reservations.view"
    RESERVATIONS_MANAGE = "reservations.manage"
    QUOTA_REQUEST = "quota.request"
    BILLING_VIEW = "billing.view"
    BILLING_MANAGE = "billing.manage"
    WEBHOOKS_VIEW = "webhooks.view"
    WEBHOOKS_MANAGE = "webhooks.manage"
    CLOUD_VIEW = "cloud.view"
    CLOUD_MANAGE = "cloud.manage"
    IDENTITY_VIEW = "identity.view"
    IDENTITY_MANAGE = "identity.manage"


class Scope(StrEnum):
    ORGANIZATION_READ = "organization:read"
    MEMBERS_READ = "members:read"
    MEMBERS_MANAGE = "members:manage"
    AUDIT_READ = "audit:read"
    CATALOG_READ = "catalog:read"
    RESERVATIONS_READ = "reservations:read"
    RESERVATIONS_WRITE = "reservations:write"
    BILLING_READ = "billing:read"
    BILLING_WRITE = "billing:write"
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_WRITE = "webhooks:write"
    CLOUD_READ = "cloud:read"
    CLOUD_WRITE = "cloud:write"
    IDENTITY_READ = "identity:read"
    IDENTITY_WRITE = "identity:write"


A = Action
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    # Single sign-on, its policy and SCIM decide who gets in and with which role: owners only.
    Role.ADMIN: frozenset(Action)
    - {A.ORGANIZATION_CLOSE, A.DATA_EXPORT, A.QUOTA_REQUEST, A.IDENTITY_VIEW, A.IDENTITY_MANAGE},
    Role.MEMBER: frozenset(
        {A.ORGANIZATION_VIEW, A.MEMBERS_VIEW, A.CATALOG_QUOTE, A.RESERVATIONS_VIEW, A.RESERVATIONS_MANAGE, A.CLOUD_VIEW}
    ),
    Role.BILLING: frozenset(
        {
            A.ORGANIZATION_VIEW,
            A.MEMBERS_VIEW,
            A.CATALOG_QUOTE,
            A.RESERVATIONS_VIEW,
            A.BILLING_VIEW,
            A.BILLING_MANAGE,
            A.CLOUD_VIEW,
        }
    ),
    Role.VIEWER: frozenset({A.ORGANIZATION_VIEW, A.MEMBERS_VIEW, A.CATALOG_QUOTE, A.RESERVATIONS_VIEW, A.CLOUD_VIEW}),
}

SCOPE_ACTIONS: dict[Scope, frozenset[Action]] = {
    Scope.ORGANIZATION_READ: frozenset({A.ORGANIZATION_VIEW}),
    Scope.MEMBERS_READ: frozenset({A.MEMBERS_VIEW}),
    Scope.MEMBERS_MANAGE: frozenset({A.MEMBERS_VIEW, A.MEMBERS_MANAGE}),
    Scope.AUDIT_READ: frozenset({A.AUDIT_VIEW}),
    Scope.CATALOG_READ: frozenset({A.CATALOG_QUOTE}),
    Scope.RESERVATIONS_READ: frozenset({A.RESERVATIONS_VIEW}),
    Scope.RESERVATIONS_WRITE: frozenset({A.RESERVATIONS_VIEW, A.RESERVATIONS_MANAGE}),
    Scope.BILLING_READ: frozenset({A.BILLING_VIEW}),
    Scope.BILLING_WRITE: frozenset({A.BILLING_VIEW, A.BILLING_MANAGE}),
    Scope.WEBHOOKS_READ: frozenset({A.WEBHOOKS_VIEW}),
    Scope.WEBHOOKS_WRITE: frozenset({A.WEBHOOKS_VIEW, A.WEBHOOKS_MANAGE}),
    Scope.CLOUD_READ: frozenset({A.CLOUD_VIEW}),
    Scope.CLOUD_WRITE: frozenset({A.CLOUD_VIEW, A.CLOUD_MANAGE}),
    # Only while the key's creator is an owner (identity.api checks it: an admin's key cannot reach further).
    Scope.IDENTITY_READ: frozenset({A.IDENTITY_VIEW}),
    Scope.IDENTITY_WRITE: frozenset({A.IDENTITY_VIEW, A.IDENTITY_MANAGE}),
}


def role_allows(role: str, action: Action) -> bool:
    return action in ROLE_ACTIONS.get(Role(role), frozenset())


SCOPE_VALUES = frozenset(scope.value for scope in Scope)


def scope_allows(scopes: list[str], action: Action) -> bool:
    return any(action in SCOPE_ACTIONS[Scope(scope)] for scope in scopes if scope in SCOPE_VALUES)
