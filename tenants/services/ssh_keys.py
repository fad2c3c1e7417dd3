"""SSH public keys: a member's own and the organization's shared ones. Checked by ``tenants.ssh_keys``; audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tenants.audit import Actor, audit_record
from tenants.models import Organization, SshKey, User
from tenants.ssh_keys import SshKeyError, parse_ssh_public_key


def ssh_key_add(*, actor: Actor, organization: Organization, name: str, public_key: str, owner: User | None) -> SshKey:
    """Add a key: ``owner`` a member's own key, None one shared by the organization. The caller decides who may
    share (the organization's admins); a key already in the organization is refused, as is a private key (which
    is neither stored nor repeated in the message)."""
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors["name"] = [_("Give the key a name you will recognize it by.")]
    elif len(name) > 100:
        errors["name"] = [_("Use at most 100 characters.")]
    parsed = None
    try:
        parsed = parse_ssh_public_key(public_key)
    except SshKeyError as exc:
        errors["public_key"] = [str(exc)]
    if owner is not None and not organization.memberships.filter(user=owner).exists():
        errors["owner"] = [_("Only a member of the organization can own one of its keys.")]
    if (
        parsed is not None
        and SshKey.objects.for_organization(organization).filter(fingerprint=parsed.fingerprint).exists()
    ):
        errors["public_key"] = [
            _("This key (%(fingerprint)s) is already in the organization.") % {"fingerprint": parsed.fingerprint}
        ]
    if errors or parsed is None:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            key = SshKey.objects.create(
                organization=organization,
                user=owner,
                name=name,
                public_key=parsed.line,
                key_type=parsed.key_type,
                bits=parsed.bits,
                fingerprint=parsed.fingerprint,
                created_by=actor.user,
            )
            audit_record(
                actor=actor,
                action="ssh_key.added",
                target=key,
                organization=organization,
                data={"name": key.name, "fingerprint": key.fingerprint, "shared": owner is None},
            )
    except IntegrityError:  # a concurrent request added the same key first
        raise ValidationError(
            {
                "public_key": [
                    _("This key (%(fingerprint)s) is already in the organization.")
                    % {"fingerprint": parsed.fingerprint}
                ]
            }
        ) from None
    return key


def ssh_key_remove(*, actor: Actor, organization: Organization, key: SshKey) -> None:
    """Remove a key. Servers already running keep it until they are released; new orders no longer offer it."""
    if key.organization_id != organization.pk:
        raise ValidationError(_("There is no such key."), code="not_found")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="ssh_key.removed",
            target=key,
            organization=organization,
            data={"name": key.name, "fingerprint": key.fingerprint, "shared": key.user_id is None},
        )
        SshKey.objects.for_organization(organization).filter(pk=key.pk).delete()
