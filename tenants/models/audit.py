"""The append-only audit log."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from tenants.choices import ActorType
from tenants.models.access import ApiKey
from tenants.models.core import Organization, User
from tenants.scoping import TenantOwnedModel


class AuditEvent(TenantOwnedModel):
    """One recorded change: who did what to which object, when and from where.

    Invariants: append-only — the database refuses UPDATE and DELETE on this table (a trigger, see migration
    0002); written by ``tenants.audit.audit_record`` inside the transaction of the change it records; the actor
    columns match ``actor_type`` (a user event names a user, an API-key event names a key, a system event
    neither). ``organization`` is empty for platform-wide events, which only operators see.
    """

    occurred_at = models.DateTimeField(_("time"), db_default=Now(), db_index=True)
    actor_type = models.CharField(_("actor type"), max_length=16, choices=ActorType.choices)
    actor_user = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(_("actor"), max_length=254)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    action = models.CharField(_("action"), max_length=100)
    target_type = models.CharField(_("target type"), max_length=100)
    target_id = models.CharField(_("target ID"), max_length=64)
    target_label = models.CharField(_("target"), max_length=254, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request ID"), max_length=64, blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["organization", "-occurred_at"], name="tenants_audit_org_time"),
            # An object's history: the booking a provisioning task logs under, the sweeper's re-drive counts.
            models.Index(fields=["target_type", "target_id"], name="tenants_audit_target"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(actor_type=ActorType.USER, actor_user__isnull=False, actor_api_key__isnull=True)
                    | models.Q(actor_type=ActorType.API_KEY, actor_user__isnull=True, actor_api_key__isnull=False)
                    | models.Q(actor_type=ActorType.SYSTEM, actor_user__isnull=True, actor_api_key__isnull=True)
                ),
                name="tenants_auditevent_actor_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.target_label}"


class AuditRedaction(models.Model):
    """A GDPR erasure in progress. While a row is open inside the erasing transaction, the database lets that
    transaction pseudonymize personal data in audit rows (actor label, target label, data, IP) — and nothing else:
    who, what, which object and when stay as recorded. Other transactions cannot see the open row.
    """

    pseudonym = models.CharField(max_length=100)
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("audit redaction")
        verbose_name_plural = _("audit redactions")

    def __str__(self) -> str:
        return self.pseudonym
