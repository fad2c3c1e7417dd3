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

from identity.models import ExternalIdentity, ScimGroup, ScimToken
from identity.services import membership_apply_role, role_for_groups
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
    *, actor: Actor, organization: Organization, email: str, full_name: str, external_id: str, user_name: str = ""
) -> ExternalIdentity:
    """Provision a person: an account without a password (they sign in through the provider) and no role — roles
    come from the group mappings at sign-in. ``user_name`` is SCIM's userName when it is not the e-mail address."""
    email = email.strip().lower()
    user_name = user_name.strip()
    if not email or "@" not in email:
        raise ValidationError(
            {"userName": [_("userName must be an e-mail address, or emails must name one.")]}, code="invalid_value"
        )
    if user_name.lower() == email:
        user_name = ""
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, None, full_name=full_name[:200])
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        subject = external_id or email
        same_name = Q(user_name=user_name) if user_name else Q(pk__in=[])
        if (
            ExternalIdentity.objects.for_organization(organization)
            .filter(Q(user=user) | Q(subject=subject) | same_name)
            .exists()
        ):
            raise ValidationError(
                {"userName": [ValidationError(_("This person is already provisioned."), code="uniqueness")]}
            )
        identity = ExternalIdentity.objects.create(
            organization=organization,
            user=user,
            subject=subject,
            user_name=user_name,
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


def scim_user_update(
    *,
    actor: Actor,
    organization: Organization,
    identity: ExternalIdentity,
    full_name: str | None = None,
    user_name: str | None = None,
) -> None:
    """Change a person's name and/or SCIM userName (None leaves it); the e-mail address stays what it was."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=identity.user_id)
        locked = ExternalIdentity.objects.for_organization(organization).select_for_update().get(pk=identity.pk)
        changed: list[str] = []
        if full_name is not None and user.full_name != full_name[:200]:
            user.full_name = full_name[:200]
            user.save(update_fields=["full_name"])
            changed.append("name")
        if user_name is not None:
            user_name = "" if user_name.strip().lower() == user.email else user_name.strip()
            if user_name != locked.user_name:
                if (
                    user_name
                    and ExternalIdentity.objects.for_organization(organization)
                    .filter(user_name=user_name)
                    .exclude(pk=locked.pk)
                    .exists()
                ):
                    raise ValidationError(
                        {"userName": [ValidationError(_("This userName is already taken."), code="uniqueness")]}
                    )
                locked.user_name = user_name
                locked.save(update_fields=["user_name"])
                changed.append("userName")
        if changed:
            audit_record(
                actor=actor,
                action="scim.user_updated",
                target=identity,
                organization=organization,
                data={"user_id": user.pk, "changed": changed},
            )


def scim_user_set_external_id(
    *, actor: Actor, organization: Organization, identity: ExternalIdentity, external_id: str
) -> None:
    """Set the person's external ID (the provider's subject); empty resets it to the e-mail address."""
    with transaction.atomic():
        locked = (
            ExternalIdentity.objects.for_organization(organization)
            .select_for_update()
            .select_related("user")
            .get(pk=identity.pk)
        )
        subject = external_id.strip() or locked.user.email
        if subject == locked.subject:
            return
        if (
            ExternalIdentity.objects.for_organization(organization)
            .filter(subject=subject)
            .exclude(pk=locked.pk)
            .exists()
        ):
            raise ValidationError(
                {"externalId": [ValidationError(_("This externalId is already taken."), code="uniqueness")]}
            )
        previous, locked.subject = locked.subject, subject
        locked.save(update_fields=["subject"])
        audit_record(
            actor=actor,
            action="scim.user_updated",
            target=locked,
            organization=organization,
            data={"user_id": locked.user_id, "changed": ["externalId"], "previous_external_id": previous},
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


# --- Groups -------------------------------------------------------------------------------------------------------


def _apply_scim_roles(*, actor: Actor, organization: Organization, identities: list[ExternalIdentity]) -> None:
    """Set each person's role from their SCIM groups (and the groups of their last sign-in), audited."""
    owners = list(
        Membership.objects.for_organization(organization).select_for_update().filter(role=Role.OWNER).order_by("id")
    )
    for identity in identities:
        if not identity.active:
            continue
        names = [*identity.groups, *identity.scim_groups.values_list("display_name", flat=True)]
        role = role_for_groups(organization=organization, groups=names)
        before, after, membership = membership_apply_role(
            organization=organization, user=identity.user, role=role, owners=owners
        )
        if before != after:
            audit_record(
                actor=actor,
                action="membership.scim_role_changed",
                target=membership or identity,
                organization=organization,
                data={"user_id": identity.user_id, "role": after, "previous_role": before, "groups": sorted(names)},
            )


def _members(organization: Organization, member_ids: list[str]) -> list[ExternalIdentity]:
    ids = [int(value) for value in member_ids if str(value).isdigit()]
    found = list(ExternalIdentity.objects.for_organization(organization).filter(pk__in=ids).select_related("user"))
    if len(found) != len(set(member_ids)):
        raise ValidationError(
            {"members": [_("Every member must be a user of this organization.")]}, code="invalid_value"
        )
    return found


def scim_group_create(
    *, actor: Actor, organization: Organization, display_name: str, external_id: str, member_ids: list[str]
) -> ScimGroup:
    display_name = display_name.strip()
    if not display_name:
        raise ValidationError({"displayName": [_("displayName is required.")]}, code="invalid_value")
    with transaction.atomic():
        if ScimGroup.objects.for_organization(organization).filter(display_name=display_name).exists():
            raise ValidationError(
                {"displayName": [ValidationError(_("This group already exists."), code="uniqueness")]}
            )
        members = _members(organization, member_ids)
        group = ScimGroup.objects.create(organization=organization, display_name=display_name, external_id=external_id)
        group.members.set(members)
        audit_record(
            actor=actor,
            action="scim.group_created",
            target=group,
            organization=organization,
            data={"display_name": display_name, "member_ids": sorted(m.pk for m in members)},
        )
        _apply_scim_roles(actor=actor, organization=organization, identities=members)
    return group


def scim_group_update(
    *,
    actor: Actor,
    organization: Organization,
    group: ScimGroup,
    display_name: str | None = None,
    add: list[str] | None = None,
    remove: list[str] | None = None,
    replace_members: list[str] | None = None,
    external_id: str | None = None,
) -> ScimGroup:
    """Rename the group, set its external ID and/or change its members; the roles of everyone affected follow at
    once."""
    with transaction.atomic():
        locked = ScimGroup.objects.for_organization(organization).select_for_update().get(pk=group.pk)
        if external_id is not None and external_id != locked.external_id:
            locked.external_id = external_id[:255]
            locked.save(update_fields=["external_id"])
        before = set(locked.members.values_list("pk", flat=True))
        affected: dict[int, ExternalIdentity] = {m.pk: m for m in locked.members.select_related("user")}
        if display_name is not None and display_name.strip() and display_name.strip() != locked.display_name:
            locked.display_name = display_name.strip()
            locked.save(update_fields=["display_name"])
        if replace_members is not None:
            locked.members.set(_members(organization, replace_members))
        for identity in _members(organization, add or []):
            locked.members.add(identity)
        for identity in _members(organization, remove or []):
            locked.members.remove(identity)
        after_members = list(locked.members.select_related("user"))
        affected.update({m.pk: m for m in after_members})
        audit_record(
            actor=actor,
            action="scim.group_updated",
            target=locked,
            organization=organization,
            data={
                "display_name": locked.display_name,
                "added": sorted({m.pk for m in after_members} - before),
                "removed": sorted(before - {m.pk for m in after_members}),
            },
        )
        _apply_scim_roles(actor=actor, organization=organization, identities=list(affected.values()))
    return locked


def scim_group_delete(*, actor: Actor, organization: Organization, group: ScimGroup) -> None:
    with transaction.atomic():
        locked = ScimGroup.objects.for_organization(organization).select_for_update().get(pk=group.pk)
        members = list(locked.members.select_related("user"))
        audit_record(
            actor=actor,
            action="scim.group_deleted",
            target=locked,
            organization=organization,
            data={"display_name": locked.display_name},
        )
        ScimGroup.objects.for_organization(organization).filter(pk=locked.pk).delete()
        _apply_scim_roles(actor=actor, organization=organization, identities=members)


def scim_token_revoke(*, actor: Actor, organization: Organization, token: ScimToken) -> ScimToken:
    """Revoke a SCIM token at once; revoking it again changes nothing."""
    with transaction.atomic():
        locked = ScimToken.objects.for_organization(organization).select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor,
                action="scim_token.revoked",
                target=locked,
                organization=organization,
                data={"prefix": locked.prefix},
            )
    return locked
