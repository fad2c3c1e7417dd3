"""Reads of the tenancy core. Tenant-owned lists always take the organization."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.models import ApiKey, AuditEvent, Membership, Organization, User
from tenants.scoping import TenantQuerySet


def organization_list_for_user(*, user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).order_by("legal_name", "id")


def organization_get_for_actor(*, slug: str, user: User | None, api_key: ApiKey | None) -> Organization | None:
    """The organization named by ``slug`` if the caller belongs to it; None otherwise (the caller answers 404)."""
    queryset = Organization.objects.filter(slug=slug)
    if api_key is not None:
        queryset = queryset.filter(pk=api_key.organization_id)
    elif user is not None:
        queryset = queryset.filter(memberships__user=user)
    else:
        return None
    return queryset.first()


def membership_get(*, organization: Organization, user: User) -> Membership | None:
    return Membership.objects.for_organization(organization).filter(user=user).first()


def membership_list(*, organization: Organization) -> TenantQuerySet[Membership]:
    return Membership.objects.for_organization(organization).select_related("user")


def audit_event_list(*, organization: Organization) -> TenantQuerySet[AuditEvent]:
    return AuditEvent.objects.for_organization(organization)
