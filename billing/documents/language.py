"""The language an organization's documents are worded in."""

from __future__ import annotations

from collections.abc import Iterable

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


def organization_document_languages(organization_ids: Iterable[int]) -> dict[int, str]:
    """``organization_document_language`` of many organizations in one query (every ID gets a language)."""
    ids = list(organization_ids)
    preferred: dict[int, str] = {}
    owners = (
        Membership.objects.unscoped()
        .filter(organization_id__in=ids, role=Role.OWNER)
        .order_by("organization_id", "pk")
        .values_list("organization_id", "user__preferred_language")
    )
    for organization_id, language in owners:  # the first owner of each (a few owners each: no DISTINCT ON needed)
        preferred.setdefault(organization_id, language)
    languages: dict[int, str] = {}
    for organization_id in ids:
        language = (preferred.get(organization_id) or "")[:2].lower()
        languages[organization_id] = language if language in DOCUMENT_LANGUAGES else DEFAULT_LANGUAGE
    return languages
