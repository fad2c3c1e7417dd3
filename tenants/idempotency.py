"""Idempotency keys claimed first (Stripe's semantics), for any operation that creates or sends something.

The flow of one request with an ``Idempotency-Key`` (the API's glue is ``portal/api/idempotency.py``):

1. ``idempotency_claim`` inserts the key's row in a transaction of its own, before the request checks anything
   (capacity, quota, budget). The unique constraint lets exactly one copy of concurrent retries own the key.
2. The owner runs the request inside one transaction that first locks the row (``idempotency_hold``) and ends with
   ``idempotency_complete``: the answer is stored in the same commit as the request's own writes, so a booking never
   exists without its stored answer, and a crash before the commit leaves nothing but a claim that can be taken over.
3. Every other copy finds the row: an answer (replayed as it was: same status, same body), another request under
   the same key (refused), or a claim still being worked on (the caller waits briefly, then answers "in progress").
4. A server error (5xx) or a crash releases the claim (``idempotency_release``), so a retry runs again; answers
   below 500 are final and replayed — a "no capacity" stays the answer to that key, as Stripe keeps a 4xx.
5. Keys expire after ``KONTOR_IDEMPOTENCY_KEY_HOURS``; ``idempotency_requests_expire`` deletes them (beat).
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from core.prepared import PreparedQuery
from core.secrets import decrypt_secret, encrypt_secret
from tenants.models import IdempotentRequest, Organization

IDEMPOTENCY_KEY_MAX_LENGTH = 255


def idempotency_key_validate(key: str) -> str:
    """An ``Idempotency-Key`` as sent, or a refusal: never cut or cleaned, since a changed key would not match its
    retries. At most 255 characters, no control characters (C0, DEL or C1)."""
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValidationError(
            _("The Idempotency-Key may have at most %(max)d characters.") % {"max": IDEMPOTENCY_KEY_MAX_LENGTH},
            code="invalid_idempotency_key",
        )
    if any(unicodedata.category(character) == "Cc" for character in key):
        raise ValidationError(
            _("The Idempotency-Key must not contain control characters."), code="invalid_idempotency_key"
        )
    return key


class ClaimOutcome(StrEnum):
    OWNED = "owned"  # this copy runs the request
    REPLAY = "replay"  # the key has a stored answer: give it again
    IN_PROGRESS = "in_progress"  # another copy holds the claim and has not answered yet
    MISMATCH = "mismatch"  # the key was used for another request


@dataclass(frozen=True)
class Claim:
    outcome: ClaimOutcome
    request: IdempotentRequest


def _lease() -> timedelta:
    return timedelta(seconds=settings.KONTOR_IDEMPOTENCY_LEASE_SECONDS)


def _outcome(row: IdempotentRequest, fingerprint: str) -> ClaimOutcome:
    if row.fingerprint != fingerprint:
        return ClaimOutcome.MISMATCH
    if row.status_code is not None:
        return ClaimOutcome.REPLAY
    return ClaimOutcome.IN_PROGRESS


def idempotency_claim(
    *, organization: Organization, caller: str, operation: str, key: str, fingerprint: str, now: datetime
) -> Claim:
    """Claim ``key`` for this request, or say who has it. Runs in a transaction of its own (commits at once when
    called outside one), so concurrent copies see the claim before any of them checks capacity."""

    def new_claim() -> IdempotentRequest:
        return IdempotentRequest(
            organization=organization,
            caller=caller,
            operation=operation,
            key=key,
            fingerprint=fingerprint,
            owner_token=secrets.token_hex(16),
            claimed_until=now + _lease(),
            created_at=now,
            expires_at=now + timedelta(hours=settings.KONTOR_IDEMPOTENCY_KEY_HOURS),
        )

    fresh = _claim_new(new_claim())
    if fresh is not None:  # the common case: a new key, claimed in one statement
        return Claim(ClaimOutcome.OWNED, fresh)
    scope = IdempotentRequest.objects.for_organization(organization).filter(caller=caller, operation=operation, key=key)
    while True:
        try:
            with transaction.atomic():
                scope.filter(expires_at__lte=now).delete()  # an expired key is a new key
                row = new_claim()
                row.save(force_insert=True)
            return Claim(ClaimOutcome.OWNED, row)
        except IntegrityError:
            pass  # a copy of this request holds the key (or held it and answered)
        existing = scope.first()
        if existing is None:
            continue  # released (a server error) or expired between the insert and the look: claim it again
        outcome = _outcome(existing, fingerprint)
        if outcome is ClaimOutcome.IN_PROGRESS and existing.claimed_until < now:
            taken = _take_over(existing, now=now)
            if taken is not None:
                return Claim(ClaimOutcome.OWNED, taken)
        return Claim(outcome, existing)  # a live owner still works on it (it holds the row's lock), or answered


def _claim_new(row: IdempotentRequest) -> IdempotentRequest | None:
    """Insert the claim unless the key has a row already (``ON CONFLICT DO NOTHING``): one statement, committed at
    once outside a transaction. None when the key has a row, live or expired, which ``idempotency_claim`` then
    looks at (and deletes, when expired) as before."""
    fields = [field for field in IdempotentRequest._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    table = quote(IdempotentRequest._meta.db_table)
    values = ", ".join(["%s"] * len(fields))
    # Names from the model's options, every value a parameter.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING RETURNING id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields])
        inserted = cursor.fetchone()
    if inserted is None:
        return None
    row.pk = inserted[0]
    row._state.adding, row._state.db = False, connection.alias
    return row


def _take_over(row: IdempotentRequest, *, now: datetime) -> IdempotentRequest | None:
    """A claim past its lease with no answer: its owner died before committing anything. A live owner holds the
    row's lock (``idempotency_hold``) for as long as it works, so ``SKIP LOCKED`` never takes a claim from it."""
    with transaction.atomic():
        stale = (
            IdempotentRequest.objects.unscoped()
            .select_for_update(skip_locked=True)
            .filter(pk=row.pk, status_code__isnull=True, claimed_until__lt=now)
            .first()
        )
        if stale is None:
            return None
        stale.owner_token = secrets.token_hex(16)
        stale.claimed_until = now + _lease()
        stale.save(update_fields=["owner_token", "claimed_until"])
        return stale


def idempotency_refresh(claim: Claim, *, fingerprint: str, now: datetime) -> Claim:
    """Look at a claim again (a copy waiting for its twin): the answer, still in progress, or gone (released after
    a server error, or expired), in which case this copy claims the key itself."""
    row = IdempotentRequest.objects.unscoped().filter(pk=claim.request.pk).first()
    if row is None or row.expires_at <= now:
        request = claim.request
        return idempotency_claim(
            organization=request.organization,
            caller=request.caller,
            operation=request.operation,
            key=request.key,
            fingerprint=fingerprint,
            now=now,
        )
    if _outcome(row, fingerprint) is ClaimOutcome.IN_PROGRESS and row.claimed_until < now:
        taken = _take_over(row, now=now)
        if taken is not None:
            return Claim(ClaimOutcome.OWNED, taken)
    return Claim(_outcome(row, fingerprint), row)


#: The owner's lock on its claim, compiled once per process (every idempotent request takes it).
_HOLD: PreparedQuery[int] = PreparedQuery(
    lambda pk, owner_token: (
        IdempotentRequest.objects.unscoped()
        .select_for_update()
        .filter(pk=pk, owner_token=owner_token, status_code__isnull=True)
        .values_list("pk", flat=True)
    ),
    pk=int,
    owner_token=str,
)


def idempotency_hold(request: IdempotentRequest) -> bool:
    """Lock the owned claim for the owner's transaction (must run inside it). False if the claim was taken over
    meanwhile (its lease ran out before the owner started): then this copy must not run the request."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("idempotency_hold must run inside the request's transaction.")
    return bool(_HOLD(pk=request.pk, owner_token=request.owner_token))


def idempotency_complete(*, request: IdempotentRequest, status_code: int, body: str, now: datetime) -> None:
    """Store the answer, in the owner's transaction (the one holding the row's lock)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(IdempotentRequest._meta.db_table)} "  # noqa: S608 (the model's table)
            "SET status_code = %s, response_body = %s, completed_at = %s WHERE id = %s AND owner_token = %s",
            [
                status_code,
                encrypt_secret(body),
                IdempotentRequest._meta.get_field("completed_at").get_db_prep_save(now, connection),
                request.pk,
                request.owner_token,
            ],
        )


def idempotency_release(*, request: IdempotentRequest) -> None:
    """Give the key back after a server error or a crash: the next retry runs the request again."""
    IdempotentRequest.objects.unscoped().filter(
        pk=request.pk, owner_token=request.owner_token, status_code__isnull=True
    ).delete()


def idempotency_answer(request: IdempotentRequest) -> tuple[int, str]:
    """The stored answer of a completed claim: status code and body."""
    if request.status_code is None:
        raise ValueError("the claim has no answer yet")
    return request.status_code, decrypt_secret(request.response_body)


def idempotency_requests_expire(*, now: datetime) -> int:
    """Delete keys past their expiry (answered or not). Safe to run twice or concurrently."""
    deleted, _by_model = IdempotentRequest.objects.unscoped().filter(expires_at__lte=now).delete()
    return deleted
