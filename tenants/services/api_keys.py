"""API keys for partner integrations: the secret is shown once and stored only as a digest."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.audit import Actor, audit_record
from tenants.keys import KEY_PREFIX, hash_secret
from tenants.models import ApiKey, Organization
from tenants.permissions import SCOPE_VALUES


def api_key_create(
    *, actor: Actor, organization: Organization, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Create an API key; returns it with the full token, which is shown once and never stored."""
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors["name"] = [_("Give the key a name you will recognize it by.")]
    unknown = sorted(set(scopes) - SCOPE_VALUES)
    if unknown:
        errors["scopes"] = [_("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(unknown)}]
    elif not scopes:
        errors["scopes"] = [_("Choose at least one scope.")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry must be in the future.")]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            organization=organization,
            name=name[:100],
            prefix=prefix,
            secret_hash=hash_secret(secret),
            scopes=sorted(set(scopes)),
            created_by=actor.user,
            expires_at=expires_at,
        )
        audit_record(
            actor=actor,
            action="api_key.created",
            target=api_key,
            organization=organization,
            data={"name": api_key.name, "scopes": api_key.scopes, "prefix": prefix},
        )
    return api_key, f"{KEY_PREFIX}{prefix}_{secret}"


def api_key_revoke(*, actor: Actor, organization: Organization, api_key: ApiKey) -> ApiKey:
    """Revoke a key; revoking a revoked key changes nothing."""
    with transaction.atomic():
        locked = ApiKey.objects.for_organization(organization).select_for_update().get(pk=api_key.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor,
                action="api_key.revoked",
                target=locked,
                organization=organization,
                data={"prefix": locked.prefix},
            )
    return locked
