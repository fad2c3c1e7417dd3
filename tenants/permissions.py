"""The one table of role → allowed actions. The API and the portal both ask ``role_allows``."""

from __future__ import annotations

from enum import StrEnum

from tenants.choices import Role


class Action(StrEnum):
    ORGANIZATION_VIEW = "organization.view"
    MEMBERS_VIEW = "members.view"
    AUDIT_VIEW = "audit.view"


ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.ADMIN: frozenset(Action),
    Role.MEMBER: frozenset({Action.ORGANIZATION_VIEW, Action.MEMBERS_VIEW}),
    Role.BILLING: frozenset({Action.ORGANIZATION_VIEW, Action.MEMBERS_VIEW}),
    Role.VIEWER: frozenset({Action.ORGANIZATION_VIEW, Action.MEMBERS_VIEW}),
}


def role_allows(role: str, action: Action) -> bool:
    return action in ROLE_ACTIONS.get(Role(role), frozenset())
