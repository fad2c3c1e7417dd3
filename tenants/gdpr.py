"""What an organization's data export contains. Each app registers the sections it owns (in its AppConfig.ready),
so the archive grows with the product without this module knowing every app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenants.models import ApiKey, AuditEvent, Consent, Invitation, Membership, Organization, VatCheck

ExportSection = Callable[[Organization], list[dict[str, Any]]]
EXPORT_SECTIONS: dict[str, ExportSection] = {}


def register_export_section(name: str) -> Callable[[ExportSection], ExportSection]:
    def register(section: ExportSection) -> ExportSection:
        EXPORT_SECTIONS[name] = section
        return section

    return register


@register_export_section("members")
def _members(organization: Organization) -> list[dict[str, Any]]:
    return list(
        Membership.objects.for_organization(organization)
        .order_by("id")
        .values("user__email", "user__full_name", "role", "created_at")
    )


@register_export_section("invitations")
def _invitations(organization: Organization) -> list[dict[str, Any]]:
    return list(
        Invitation.objects.for_organization(organization)
        .order_by("id")
        .values("email", "role", "status", "created_at", "expires_at", "responded_at")
    )


@register_export_section("consents")
def _consents(organization: Organization) -> list[dict[str, Any]]:
    return list(
        Consent.objects.for_organization(organization)
        .order_by("id")
        .values("document__kind", "document__version", "user__email", "accepted_at", "ip_address")
    )


@register_export_section("api_keys")
def _api_keys(organization: Organization) -> list[dict[str, Any]]:
    return list(
        ApiKey.objects.for_organization(organization)
        .order_by("id")
        .values("name", "prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at")
    )


@register_export_section("vat_checks")
def _vat_checks(organization: Organization) -> list[dict[str, Any]]:
    return list(
        VatCheck.objects.for_organization(organization)
        .order_by("id")
        .values("vat_id", "result", "checked_at", "registered_name", "registered_address", "error")
    )


@register_export_section("audit_events")
def _audit_events(organization: Organization) -> list[dict[str, Any]]:
    return list(
        AuditEvent.objects.for_organization(organization)
        .order_by("id")
        .values(
            "occurred_at",
            "actor_type",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "target_label",
            "data",
            "ip_address",
        )
    )
