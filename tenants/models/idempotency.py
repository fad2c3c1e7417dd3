"""Claims of ``Idempotency-Key`` headers on the API: one row per key, written before the request does anything."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from tenants.models.core import Organization
from tenants.scoping import TenantOwnedModel


class IdempotentRequest(TenantOwnedModel):
    """A client's ``Idempotency-Key`` for one operation, claimed before the request runs (Stripe's semantics).

    Invariants: one row per (organization, caller, operation, key), so exactly one copy of concurrent retries owns
    the key; ``fingerprint`` (method, path and body) never changes, so the same key with another request is refused;
    ``status_code`` is empty while the owner works and set once, in the transaction of the request's own writes, with
    the answer (``response_body``, encrypted at rest: it may hold a secret shown once, such as a new API key's token).
    A row past ``expires_at`` no longer counts and is deleted by the periodic cleanup.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    caller = models.CharField(max_length=64)  # "api_key:<id>" or "user:<id>"
    operation = models.CharField(max_length=100)  # "<view>.<action>", e.g. "ReservationViewSet.create"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    owner_token = models.CharField(max_length=32)  # which copy holds the claim (a released claim is deleted)
    claimed_until = models.DateTimeField()  # after this, a claim without an answer may be taken over
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["organization", "caller", "operation", "key"], name="tenants_idem_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"
