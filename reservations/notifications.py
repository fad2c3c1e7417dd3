"""E-mails about reservations: the consumers of the domain events, and the reminders before the end.

A lifecycle event writes one ``ReservationNotice`` row in the transaction of its change (nothing rendered there: a
booking holds its pool lock until it commits); a task renders the notice into the e-mail outbox after the commit,
once, and the sweeper re-drives a notice whose task message was lost."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.events import EarlyWrite, Event, subscribe
from core.statements import insert_statement
from core.tasks import enqueue_on_commit
from reservations.choices import ReservationKind, ReservationState
from reservations.models import Reservation, ReservationNotice, ReservationReminder
from tenants.choices import Role
from tenants.models import User
from tenants.notifications import send_to_user

# Events that people want in their inbox. The rest (requested, provisioning...) stay in the audit log.
MAILED_EVENTS = {
    "reservation.scheduled": "reservation_scheduled",
    "reservation.active": "reservation_active",
    "reservation.cancelled": "reservation_cancelled",
    "reservation.failed": "reservation_failed",
    "reservation.ended": "reservation_ended",
    "reservation.extended": "reservation_extended",
}
REMINDERS = {"48h": timedelta(hours=48), "1h": timedelta(hours=1)}
NOTICE_TASK = "reservations.write_notice"
# A notice unwritten this long after its change (its task message was lost) is re-driven by the sweeper.
NOTICE_REDRIVE_AFTER = timedelta(minutes=2)
# A written notice is kept this long (its e-mails live on in the outbox), then deleted by ``notices_prune``.
NOTICE_KEEP = timedelta(days=30)


def _recipients(reservation: Reservation) -> list[User]:
    return list(
        User.objects.filter(
            memberships__organization=reservation.organization,
            memberships__role__in=[Role.OWNER, Role.ADMIN],
            is_active=True,
        ).order_by("email")
    )


def _mail(reservation: Reservation, template: str) -> None:
    for user in _recipients(reservation):
        send_to_user(user, template, {"reservation": reservation, "organization": reservation.organization})


def _notices_queue(rows: list[tuple[int, ...]]) -> None:
    for notice_id, *_rest in rows:
        enqueue_on_commit(NOTICE_TASK, notice_id)


def notices_early_write(events: list[Event]) -> EarlyWrite | None:
    """``mail_on_event`` for ``events`` as one statement (``core.events.publish_early(writes=...)``): the notice rows
    of those that are mailed, whose ids its rows bring back to queue their task after the commit. None when no
    event is mailed."""
    notices = [
        ReservationNotice(
            organization_id=event.organization_id, reservation_id=event.subject_id, template=MAILED_EVENTS[event.name]
        )
        for event in events
        if event.name in MAILED_EVENTS and event.subject_id is not None
    ]
    if not notices:
        return None
    sql, params = insert_statement(notices, prefix="notice")
    return EarlyWrite(statement=(f"{sql} RETURNING id", params), after=_notices_queue)


@subscribe("reservation.", during_transaction=True, early=True, early_write=notices_early_write)
def mail_on_event(event: Event) -> None:
    """Owe the e-mails of a lifecycle event: one notice row in the transaction of the change; its task (queued
    after the commit, by ID) renders them into the outbox. The row holds IDs only, so it may be written before the
    change is complete (``publish_early``: a booking sends it with its allocation insert, ``notices_early_write``)."""
    template = MAILED_EVENTS.get(event.name)
    if template is None or event.subject_id is None:
        return
    notice = ReservationNotice.objects.create(
        organization_id=event.organization_id, reservation_id=event.subject_id, template=template
    )
    enqueue_on_commit(NOTICE_TASK, notice.pk)


def notice_write(*, notice_id: int, now: datetime | None = None) -> bool:
    """Render one notice into the e-mail outbox (one e-mail per owner and admin) and mark it written, in one
    transaction. False when there is nothing to do: written already, or another worker holds it right now."""
    with transaction.atomic():
        notice = (
            ReservationNotice.objects.unscoped()
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("reservation__organization", "reservation__flavor")
            .filter(pk=notice_id, written_at__isnull=True)
            .first()
        )
        if notice is None:
            return False
        _mail(notice.reservation, notice.template)
        ReservationNotice.objects.unscoped().filter(pk=notice.pk).update(written_at=now or timezone.now())
    return True


def notices_redrive(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Queue the task again for each notice left unwritten (its message was lost); writing is once per notice."""
    cutoff = (now or timezone.now()) - NOTICE_REDRIVE_AFTER
    stale = list(
        ReservationNotice.objects.unscoped()
        .filter(written_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for notice_id in stale:
        enqueue_on_commit(NOTICE_TASK, notice_id)
    return len(stale)


def notices_prune(*, now: datetime) -> int:
    """Delete the notices written more than ``NOTICE_KEEP`` before ``now`` (an unwritten one is kept until it is
    written). Returns how many."""
    deleted, _by_model = ReservationNotice.objects.unscoped().filter(written_at__lt=now - NOTICE_KEEP).delete()
    return deleted


def send_end_reminders(*, now: datetime | None = None) -> int:
    """E-mail the 48-hour and 1-hour reminders that are due. Each is sent once: the reminder row is written first,
    under a unique constraint, in the same transaction as the e-mail is scheduled."""
    now = now or timezone.now()
    sent = 0
    for kind, ahead in REMINDERS.items():
        due = (
            Reservation.objects.unscoped()
            .select_related("organization", "flavor")
            .filter(
                kind=ReservationKind.RESERVED,
                state__in=[ReservationState.SCHEDULED, ReservationState.PROVISIONING, ReservationState.ACTIVE],
                ends_at__gt=now,
                ends_at__lte=now + ahead,
            )
            .exclude(Q(reminders__kind=kind))
        )
        for reservation in due:
            try:
                with transaction.atomic():
                    ReservationReminder.objects.create(
                        organization=reservation.organization, reservation=reservation, kind=kind
                    )
                    _mail(reservation, f"reservation_reminder_{kind}")
            except IntegrityError:
                continue  # another run sent it
            sent += 1
    return sent
