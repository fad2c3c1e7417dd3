"""SCIM provisioning: tokens, people created by the provider, and deprovisioning.

Deprovisioning a person ends every session they have, removes their membership of the organization and revokes the
API keys they created in it — one transaction, audited; the sessions are deleted after it commits.
"""

from __future__ import annotations

import hmac
import secrets

from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from identity.models import ExternalIdentity, ScimToken
from tenants.audit import Actor, audit_record
from tenants.choices import OrganizationStatus, Role
from tenants.keys import hash_secret
from tenants.models import ApiKey, Membership, Organization, User

TOKEN_PREFIX = "scim_"


def scim_token_create(*, actor: Actor, organization: Organization) -> tuple[ScimToken, str]:
    """A new SCIM token; the full token is returned once and never stored."""
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ScimToken.objects.create(
            organization=organization, prefix=prefix, secret_hash=hash_secret(secret), created_by=actor.user
        )
        audit_record(actor=actor, action="scim_token.created", target=token, organization=organization, data={})
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


def scim_token_authenticate(raw: str) -> ScimToken | None:
    """The usable token ``raw`` names, or None (unknown, wrong secret, revoked, organization not active)."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix, _sep, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    # Across organizations on purpose: the token is what names the organization.
    token = ScimToken.objects.unscoped().filter(prefix=prefix).select_related("organization").first()
    if token is None or not hmac.compare_digest(token.secret_hash, hash_secret(secret)):
        return None
    if token.revoked_at is not None or token.organization.status != OrganizationStatus.ACTIVE:
        return None
    return token


def scim_user_create(
    *, actor: Actor, organization: Organization, email: str, full_name: str, external_id: str
) -> ExternalIdentity:
    """Provision a person: an account without a password (they sign in through the provider) and no role — roles
    come from the group mappings at sign-in."""
    email = email.strip().lower()
    if not email or "@" not in email:
        raise ValidationError({"userName": [_("userName must be an e-mail address.")]}, code="invalid_value")
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, None, full_name=full_name[:200])
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        subject = external_id or email
        if ExternalIdentity.objects.for_organization(organization).filter(Q(user=user) | Q(subject=subject)).exists():
            raise ValidationError(
                {"userName": [ValidationError(_("This person is already provisioned."), code="uniqueness")]}
            )
        identity = ExternalIdentity.objects.create(
            organization=organization,
            user=user,
            subject=subject,
            last_sign_in_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="scim.user_provisioned",
            target=identity,
            organization=organization,
            data={"user_id": user.pk, "email": email},
        )
    return identity


def scim_user_update(*, actor: Actor, organization: Organization, identity: ExternalIdentity, full_name: str) -> None:
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=identity.user_id)
        if user.full_name != full_name[:200]:
            user.full_name = full_name[:200]
            user.save(update_fields=["full_name"])
            audit_record(
                actor=actor,
                action="scim.user_updated",
                target=identity,
                organization=organization,
                data={"user_id": user.pk},
            )


def scim_user_activate(*, actor: Actor, organization: Organization, identity: ExternalIdentity) -> None:
    """Let a deprovisioned person sign in again (their role comes back from the group mappings at sign-in)."""
    with transaction.atomic():
        locked = ExternalIdentity.objects.for_organization(organization).select_for_update().get(pk=identity.pk)
        if not locked.active:
            locked.active = True
            locked.save(update_fields=["active"])
            audit_record(
                actor=actor,
                action="scim.user_activated",
                target=locked,
                organization=organization,
                data={"user_id": locked.user_id},
            )


def _end_sessions(user_id: int) -> int:
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user_id):
            session.delete()
            ended += 1
    return ended


def scim_user_deprovision(
    *, actor: Actor, organization: Organization, identity: ExternalIdentity, forget: bool = False
) -> None:
    """End the person's sessions, remove their membership and revoke the API keys they created here. ``forget``
    also removes the external identity (SCIM DELETE). Refused for the organization's last owner."""
    with transaction.atomic():
        owners = list(
            Membership.objects.for_organization(organization).select_for_update().filter(role=Role.OWNER).order_by("id")
        )
        membership = (
            Membership.objects.for_organization(organization)
            .select_for_update()
            .filter(user_id=identity.user_id)
            .first()
        )
        if membership is not None and membership.role == Role.OWNER and len(owners) == 1:
            raise ValidationError(
                _("The organization's last owner cannot be deprovisioned: make someone else owner first."),
                code="last_owner",
            )
        now = timezone.now()
        keys = (
            ApiKey.objects.for_organization(organization)
            .select_for_update()
            .filter(created_by_id=identity.user_id, revoked_at__isnull=True)
        )
        revoked = sorted(keys.values_list("prefix", flat=True))
        keys.update(revoked_at=now)
        if membership is not None:
            Membership.objects.for_organization(organization).filter(pk=membership.pk).delete()
        audit_record(
            actor=actor,
            action="scim.user_deprovisioned",
            target=identity,
            organization=organization,
            data={
                "user_id": identity.user_id,
                "removed_role": membership.role if membership else None,
                "revoked_api_keys": revoked,
                "forgotten": forget,
            },
        )
        if forget:
            ExternalIdentity.objects.for_organization(organization).filter(pk=identity.pk).delete()
        else:
            ExternalIdentity.objects.for_organization(organization).filter(pk=identity.pk).update(active=False)
        user_id = identity.user_id
        transaction.on_commit(lambda: _end_sessions(user_id))
