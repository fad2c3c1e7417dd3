"""Teams: invitations, roles and leaving. An organization always keeps at least one owner."""

from __future__ import annotations

import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.audit import Actor, audit_record
from tenants.choices import InvitationStatus, Role
from tenants.models import Invitation, Membership, Organization, User
from tenants.notifications import send_to_address

INVITATION_SALT = "kontor.invitation"


class InvitationError(ValidationError):
    """An invitation link that cannot be used: invalid, expired, answered, revoked or for someone else."""


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT, compress=True)


def _check_may_grant(*, role: str, may_manage_owners: bool) -> None:
    if role == Role.OWNER and not may_manage_owners:
        raise ValidationError({"role": [_("Only an owner can make someone an owner.")]}, code="permission_denied")


def invitation_create(
    *, actor: Actor, organization: Organization, email: str, role: str, may_manage_owners: bool
) -> Invitation:
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role %(role)s.") % {"role": role}]})
    _check_may_grant(role=role, may_manage_owners=may_manage_owners)
    if Membership.objects.for_organization(organization).filter(user__email=email).exists():
        raise ValidationError({"email": [_("%(email)s is already a member.") % {"email": email}]})
    if Invitation.objects.for_organization(organization).filter(email=email, status=InvitationStatus.PENDING).exists():
        raise ValidationError(
            {"email": [_("%(email)s has a pending invitation already; revoke it first.") % {"email": email}]}
        )
    days = settings.KONTOR_INVITATION_DAYS
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            role=role,
            nonce=secrets.token_hex(16),
            invited_by=actor.user,
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_record(
            actor=actor,
            action="invitation.created",
            target=invitation,
            organization=organization,
            data={"email": email, "role": role},
        )
        send_to_address(
            email,
            "invitation",
            {
                "organization": organization,
                "inviter": actor.label,
                "role": Role(role).label,
                "days": days,
                "accept_path": reverse("portal:invitation", args=[invitation_token(invitation)]),
            },
            language=getattr(actor.user, "preferred_language", "en"),
        )
    return invitation


def invitation_from_token(token: str) -> Invitation:
    try:
        payload = signing.loads(token, salt=INVITATION_SALT)
    except signing.BadSignature:
        raise InvitationError(_("This invitation link is not valid."), code="invitation_invalid") from None
    invitation = (
        Invitation.objects.unscoped()
        .select_related("organization")
        .filter(pk=payload.get("i"), nonce=payload.get("n"))
        .first()
    )
    if invitation is None:
        raise InvitationError(_("This invitation link is not valid."), code="invitation_invalid")
    return invitation


def _lock_usable(token: str) -> Invitation:
    invitation = invitation_from_token(token)
    locked = Invitation.objects.unscoped().select_for_update().select_related("organization").get(pk=invitation.pk)
    if locked.status != InvitationStatus.PENDING:
        raise InvitationError(
            _("This invitation has already been %(status)s.")
            % {"status": InvitationStatus(locked.status).label.lower()},
            code="invitation_used",
        )
    if locked.is_expired():
        raise InvitationError(_("This invitation has expired; ask for a new one."), code="invitation_expired")
    return locked


def invitation_accept(*, actor: Actor, user: User, token: str) -> Membership:
    with transaction.atomic():
        invitation = _lock_usable(token)
        if invitation.email != user.email.lower():
            raise _for_another_address()
        organization = invitation.organization
        if Membership.objects.for_organization(organization).filter(user=user).exists():
            raise InvitationError(
                _("You are already a member of %(name)s.") % {"name": organization.legal_name}, code="already_member"
            )
        membership = Membership.objects.create(organization=organization, user=user, role=invitation.role)
        Invitation.objects.unscoped().filter(pk=invitation.pk).update(
            status=InvitationStatus.ACCEPTED, responded_at=timezone.now(), accepted_by=user
        )
        audit_record(
            actor=actor,
            action="invitation.accepted",
            target=invitation,
            organization=organization,
            data={"email": invitation.email, "role": invitation.role},
        )
        audit_record(
            actor=actor,
            action="membership.created",
            target=membership,
            organization=organization,
            data={"user_id": user.pk, "role": invitation.role},
        )
    return membership


def _for_another_address() -> InvitationError:
    # Never the invited address: whoever holds the link and is signed in as someone else learns nothing from it.
    return InvitationError(
        _("This invitation was sent to another e-mail address; sign in with that address to answer it."),
        code="invitation_other_user",
    )


def invitation_decline(*, actor: Actor, token: str, user: User | None) -> Invitation:
    """Decline, like accepting, only as the invited address: ``user`` is the signed-in person and must be it. ``None``
    declines anonymously through the e-mailed link (the link went to the invited address; the portal asks for a
    confirmation first and shows nothing of the organization)."""
    with transaction.atomic():
        invitation = _lock_usable(token)
        if user is not None and invitation.email != user.email.lower():
            raise _for_another_address()
        Invitation.objects.unscoped().filter(pk=invitation.pk).update(
            status=InvitationStatus.DECLINED, responded_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="invitation.declined",
            target=invitation,
            organization=invitation.organization,
            data={"email": invitation.email},
        )
    invitation.refresh_from_db()
    return invitation


def invitation_revoke(*, actor: Actor, organization: Organization, invitation: Invitation) -> Invitation:
    with transaction.atomic():
        locked = Invitation.objects.for_organization(organization).select_for_update().get(pk=invitation.pk)
        if locked.status != InvitationStatus.PENDING:
            raise InvitationError(_("Only a pending invitation can be revoked."), code="invitation_used")
        Invitation.objects.for_organization(organization).filter(pk=locked.pk).update(
            status=InvitationStatus.REVOKED, responded_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="invitation.revoked",
            target=locked,
            organization=organization,
            data={"email": locked.email},
        )
    locked.refresh_from_db()
    return locked


def _lock_owners(organization: Organization) -> list[Membership]:
    return list(
        Membership.objects.for_organization(organization).select_for_update().filter(role=Role.OWNER).order_by("id")
    )


def membership_role_change(
    *, actor: Actor, organization: Organization, membership: Membership, role: str, may_manage_owners: bool
) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role %(role)s.") % {"role": role}]})
    with transaction.atomic():
        owners = _lock_owners(organization)
        locked = Membership.objects.for_organization(organization).select_for_update().get(pk=membership.pk)
        if locked.role == role:
            return locked
        if Role.OWNER in (locked.role, role):
            _check_may_grant(role=Role.OWNER, may_manage_owners=may_manage_owners)
        if locked.role == Role.OWNER and len(owners) == 1:
            raise ValidationError(
                {"role": [_("An organization needs at least one owner: make someone else owner first.")]},
                code="last_owner",
            )
        previous = locked.role
        locked.role = role
        locked.save(update_fields=["role"])
        audit_record(
            actor=actor,
            action="membership.role_changed",
            target=locked,
            organization=organization,
            data={"user_id": locked.user_id, "from": previous, "to": role},
        )
    return locked


def membership_remove(
    *, actor: Actor, organization: Organization, membership: Membership, may_manage_owners: bool
) -> None:
    with transaction.atomic():
        owners = _lock_owners(organization)
        locked = Membership.objects.for_organization(organization).select_for_update().get(pk=membership.pk)
        leaving_self = actor.user is not None and locked.user_id == actor.user.pk
        if locked.role == Role.OWNER and not (may_manage_owners or leaving_self):
            raise ValidationError(_("Only an owner can remove an owner."), code="permission_denied")
        if locked.role == Role.OWNER and len(owners) == 1:
            raise ValidationError(
                _("An organization needs at least one owner: make someone else owner before leaving."),
                code="last_owner",
            )
        audit_record(
            actor=actor,
            action="membership.removed",
            target=locked,
            organization=organization,
            data={"user_id": locked.user_id, "role": locked.role},
        )
        Membership.objects.for_organization(organization).filter(pk=locked.pk).delete()


def invitation_accept_as_new_user(
    *, token: str, full_name: str, password: str, ip_address: str | None, language: str = "en"
) -> Membership:
    """Someone invited who has no account creates it from the invitation link and joins, all or nothing.

    The link was sent to the invited address, so following it proves the address: it is stored verified. An
    address that already has an account signs in and accepts instead.
    """
    with transaction.atomic():
        invitation = _lock_usable(token)
        email = invitation.email
        if User.objects.filter(email=email).exists():
            raise InvitationError(
                _("An account with the invited address exists already: sign in to accept the invitation."),
                code="account_exists",
            )
        errors: dict[str, list[str]] = {}
        full_name = full_name.strip()
        if not full_name:
            errors["full_name"] = [_("Enter your name.")]
        try:
            validate_password(password, User(email=email, full_name=full_name))
        except ValidationError as exc:
            errors["password"] = exc.messages
        if errors:
            raise ValidationError(errors)
        user = User.objects.create_user(email, password, full_name=full_name, preferred_language=language)
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        membership = invitation_accept(actor=Actor.for_user(user, ip_address=ip_address), user=user, token=token)
    return membership
