"""The language an organization's documents are worded in."""

from __future__ import annotations

from tenants.choices import Role
from tenants.models import Membership, Organization

DOCUMENT_LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"


def organization_document_language(organization: Organization) -> str:
    """The preferred language of the organization's first owner, if the documents speak it; else German."""
    preferred = (
        Membership.objects.for_organization(organization)
        .filter(role=Role.OWNER)
        .order_by("pk")
        .values_list("user__preferred_language", flat=True)
        .first()
    )
    language = (preferred or "")[:2].lower()
    return language if language in DOCUMENT_LANGUAGES else DEFAULT_LANGUAGE
