"""Writing the audit log. Every service that changes something that matters calls ``audit_record``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from core.http import client_ip
from core.statements import Statement, insert_statement
from tenants.choices import ActorType
from tenants.models import ApiKey, AuditEvent, Organization, User

if TYPE_CHECKING:
    from django.http import HttpRequest


class AuditOutsideTransactionError(RuntimeError):
    """An audit row must be written in the same transaction as the change it records."""


# System actors whose label starts with this are the seeding commands (``seed_demo``, ``seed_catalog``...): their
# events are demo and reference data, which the console's audit log keeps apart from what happened in operation.
SEEDING_LABEL_PREFIX = "seed_"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user, an API key or the system (a task, a command), and from where."""

    type: ActorType
    user: User | None = None
    api_key: ApiKey | None = None
    label: str = "system"
    ip_address: str | None = None
    request_id: str = ""

    @classmethod
    def for_user(cls, user: User, *, ip_address: str | None = None, request_id: str = "") -> Actor:
        return cls(ActorType.USER, user=user, label=user.email, ip_address=ip_address, request_id=request_id)

    @classmethod
    def for_api_key(cls, api_key: ApiKey, *, ip_address: str | None = None, request_id: str = "") -> Actor:
        return cls(
            ActorType.API_KEY,
            api_key=api_key,
            label=f"api-key:{api_key.prefix}",
            ip_address=ip_address,
            request_id=request_id,
        )

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(ActorType.SYSTEM, label=label)

    @classmethod
    def for_link(cls, request: HttpRequest, *, label: str) -> Actor:
        """Someone not signed in who holds a link sent by e-mail (declining an invitation): the link is the proof."""
        return cls(
            ActorType.SYSTEM,
            label=label,
            ip_address=client_ip(request),
            request_id=getattr(request, "request_id", ""),
        )

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        ip_address = client_ip(request)
        request_id = getattr(request, "request_id", "")
        auth = getattr(request, "auth", None)
        if isinstance(auth, ApiKey):
            return cls.for_api_key(auth, ip_address=ip_address, request_id=request_id)
        user = request.user
        if not isinstance(user, User):
            raise ValueError("An anonymous request cannot act; authenticate first.")
        return cls.for_user(user, ip_address=ip_address, request_id=request_id)


def audit_record(
    *,
    actor: Actor,
    action: str,
    target: models.Model,
    organization: Organization | None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. Must run inside the caller's ``transaction.atomic`` block."""
    if not transaction.get_connection().in_atomic_block:
        raise AuditOutsideTransactionError(f"audit_record({action!r}) called outside transaction.atomic().")
    event = _audit_event(actor, AuditEntry(action=action, target=target, organization=organization, data=data))
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class AuditEntry:
    """One event for ``audit_record_many``: the arguments of ``audit_record`` but the actor."""

    action: str
    target: models.Model
    organization: Organization | None
    data: dict[str, Any] | None = None


def audit_record_many(*, actor: Actor, entries: list[AuditEntry]) -> list[AuditEvent]:
    """Append several audit events by one actor in one INSERT (a step that makes several changes at once), in the
    order given. Must run inside the caller's ``transaction.atomic`` block, like ``audit_record``."""
    if not transaction.get_connection().in_atomic_block:
        raise AuditOutsideTransactionError("audit_record_many() called outside transaction.atomic().")
    return AuditEvent.objects.bulk_create(_audit_event(actor, entry) for entry in entries)


def audit_statement(*, actor: Actor, entries: list[AuditEntry], prefix: str = "audit") -> Statement:
    """``audit_record_many``'s INSERT as a statement the caller sends with others in one round trip (a booking sends
    its audit rows with its reservation and its allocations), which it must run in the transaction of the change;
    checked here like ``audit_record_many``."""
    if not transaction.get_connection().in_atomic_block:
        raise AuditOutsideTransactionError("audit_statement() called outside transaction.atomic().")
    return insert_statement([_audit_event(actor, entry) for entry in entries], prefix=prefix)


def _audit_event(actor: Actor, entry: AuditEntry) -> AuditEvent:
    """The unsaved row of one event: the one mapping of actor and target onto the audit log's columns."""
    return AuditEvent(
        actor_type=actor.type,
        actor_user=actor.user,
        actor_api_key=actor.api_key,
        actor_label=actor.label[:254],
        organization=entry.organization,
        action=entry.action,
        target_type=entry.target._meta.label_lower,
        target_id=str(entry.target.pk),
        target_label=str(entry.target)[:254],
        data=entry.data or {},
        ip_address=actor.ip_address,
        request_id=actor.request_id,
    )
