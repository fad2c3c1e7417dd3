"""Auto-approval rules: each approves a sign-up without an operator when its evidence suffices.

``settings.KONTOR_AUTO_APPROVAL_RULES`` names the rules in force, tried in order; the first that matches approves
the organization and is recorded on it (``approval_rule``) and in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.countries import EU_COUNTRIES
from tenants.models import Organization


def vies_confirmed_eu(organization: Organization) -> bool:
    """An EU company whose VAT ID VIES confirmed."""
    return organization.country in EU_COUNTRIES and organization.vat_id_verified_at is not None


RULES: dict[str, Callable[[Organization], bool]] = {"vies_confirmed_eu": vies_confirmed_eu}


def matching_rule(organization: Organization) -> str | None:
    for name in settings.KONTOR_AUTO_APPROVAL_RULES:
        try:
            rule = RULES[name]
        except KeyError:
            raise ImproperlyConfigured(f"Unknown auto-approval rule {name!r}; known: {sorted(RULES)}") from None
        if rule(organization):
            return name
    return None
