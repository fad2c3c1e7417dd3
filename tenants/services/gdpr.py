"""GDPR: an organization's data export (Art. 20) and a user's erasure (Art. 17).

Erasure removes the person and keeps what German retention law requires (invoices: §147 AO, 10 years; the audit
trail): those records stay, pointing to a pseudonymized user, with the person's e-mail address and IP addresses
replaced in the audit rows.
"""

from __future__ import annotations

import json
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.audit import Actor, audit_record
from tenants.choices import InvitationStatus, OrganizationStatus, Role
from tenants.gdpr import EXPORT_SECTIONS
from tenants.models import AuditEvent, AuditRedaction, Invitation, Membership, Organization, User

EXPORT_FORMAT = "kontor-organization-export/1"


def organization_export(*, actor: Actor, organization: Organization) -> dict[str, Any]:
    """All of the organization's data as one JSON-ready document. The export itself is audited."""
    with transaction.atomic():
        audit_record(actor=actor, action="organization.exported", target=organization, organization=organization)
        archive: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "exported_at": timezone.now(),
            "organization": {
                field: getattr(organization, field)
                for field in (
                    "legal_name",
                    "slug",
                    "country",
                    "street",
                    "postal_code",
                    "city",
                    "billing_email",
                    "vat_id",
                    "vat_id_verified_at",
                    "status",
                    "created_at",
                )
            },
        }
        for name, section in sorted(EXPORT_SECTIONS.items()):
            archive[name] = section(organization)
    # Round-trip through JSON so callers get plain types (datetimes as ISO strings, Decimals as strings).
    result: dict[str, Any] = json.loads(json.dumps(archive, cls=DjangoJSONEncoder))
    return result


def _replace(value: Any, old: str, new: str) -> Any:
    return json.loads(json.dumps(value).replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1]))


def user_erase(*, actor: Actor, user: User) -> User:
    """Erase a person: refused while they are the last owner of an organization that is not closed."""
    sole = [
        membership.organization.legal_name
        for membership in user.memberships.select_related("organization")
        .filter(role=Role.OWNER)
        .exclude(organization__status=OrganizationStatus.CLOSED)
        if not Membership.objects.for_organization(membership.organization)
        .filter(role=Role.OWNER)
        .exclude(user=user)
        .exists()
    ]
    if sole:
        raise ValidationError(
            _("You are the only owner of %(names)s: make someone else owner, or close it, first.")
            % {"names": ", ".join(sorted(sole))},
            code="last_owner",
        )
    email = user.email
    pseudonym = f"erased-user-{user.pk}@erased.invalid"
    with transaction.atomic():
        for membership in user.memberships.select_related("organization"):
            audit_record(
                actor=actor,
                action="membership.removed",
                target=membership,
                organization=membership.organization,
                data={"user_id": user.pk, "reason": "erasure"},
            )
        user.memberships.all().delete()
        Invitation.objects.unscoped().filter(email=email, status=InvitationStatus.PENDING).update(
            status=InvitationStatus.REVOKED, responded_at=timezone.now()
        )
        Invitation.objects.unscoped().filter(email=email).update(email=pseudonym)
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()
        User.objects.filter(pk=user.pk).update(
            email=pseudonym,
            full_name="",
            is_active=False,
            password="!erased",  # unusable
        )
        redaction = AuditRedaction.objects.create(pseudonym=pseudonym)
        touched = AuditEvent.objects.unscoped().filter(
            Q(actor_user=user) | Q(target_label__contains=email) | Q(actor_label=email) | Q(data__icontains=email)
        )
        for event in touched:
            AuditEvent.objects.unscoped().filter(pk=event.pk).update(
                actor_label=event.actor_label.replace(email, pseudonym),
                target_label=event.target_label.replace(email, pseudonym),
                data=_replace(event.data, email, pseudonym),
                ip_address=None if event.actor_user_id == user.pk else event.ip_address,
            )
        AuditRedaction.objects.filter(pk=redaction.pk).update(is_open=False)
        user.refresh_from_db()
        audit_record(
            actor=Actor.system("gdpr-erasure"),
            action="user.erased",
            target=user,
            organization=None,
            data={"user_id": user.pk},
        )
    return user
