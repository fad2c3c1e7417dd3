"""E-mails about reservations: the consumers of the domain events, and the reminders before the end.

A lifecycle event writes one ``ReservationNotice`` row in the transaction of its change (nothing rendered there: a
booking holds its pool lock until it commits) and schedules, after the commit, the debounced notice drain
(``core.tasks.enqueue_drain_on_commit``: one cache round trip, a broker message only when none is queued). The
drain (``notices_write_pending``) renders the unwritten notices of a batch into the e-mail outbox and marks them
written in one transaction, then sends those e-mails itself after its commit; the sweeper re-drives notices left
unwritten (a lost message, a notice that failed to render)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q, prefetch_related_objects
from django.utils import timezone

from core.events import EarlyWrite, Event, subscribe
from core.statements import insert_statement
from core.tasks import drain_flag_clear, enqueue_drain_on_commit, enqueue_on_commit
from reservations.choices import ReservationKind, ReservationState
from reservations.models import Reservation, ReservationNotice, ReservationReminder
from tenants.choices import Role
from tenants.mail import emails_send, emails_write
from tenants.models import Membership, OutgoingEmail, User
from tenants.notifications import render_for_user, send_to_user

logger = logging.getLogger(__name__)

# Events that people want in their inbox. The rest (requested, provisioning...) stay in the audit log.
MAILED_EVENTS = {
    "reservation.scheduled": "reservation_scheduled",
    "reservation.active": "reservation_active",
    "reservation.cancelled": "reservation_cancelled",
    "reservation.failed": "reservation_failed",
    "reservation.ended": "reservation_ended",
    "reservation.extended": "reservation_extended",
}
# What a template reads beyond the reservation, its organization and flavor, fetched for the whole batch.
TEMPLATE_PREFETCH = {"reservation_active": ("instances__network",)}
REMINDERS = {"48h": timedelta(hours=48), "1h": timedelta(hours=1)}
NOTICE_DRAIN_TASK = "reservations.write_pending_notices"
# The cache flag that says a notice drain is queued, and how long it lives when that message was lost.
NOTICE_DRAIN_FLAG = "reservations.notices"
NOTICE_DRAIN_TTL = 60
# How long the drain a writer schedules waits before it runs, gathering the notices other transactions write
# meanwhile into the same run (activations come in bursts; a drain has a fixed cost of ~13 ms of reads and a mail
# connection, about once per activation without the wait). Customers get the e-mail at most this much later. The
# flag lives longer (``NOTICE_DRAIN_TTL``), so writers meanwhile find it set and publish nothing.
NOTICE_DRAIN_GATHER_SECONDS = 1
# Notices rendered per batch (one transaction); a full batch schedules the next drain.
NOTICE_BATCH = 100
# A drain skips at most this many notices that fail to render before it stops for this run.
NOTICE_SKIPPED_MAX = 1000
# A notice unwritten this long after its change (its drain message was lost, or it failed to render) is re-driven
# by the sweeper.
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


def _drain_after_commit(*, gather: bool = True) -> None:
    """Schedule the debounced notice drain after the commit: ``gather`` (a writer's) waits
    ``NOTICE_DRAIN_GATHER_SECONDS`` first; a drain continuing after a full batch does not."""
    countdown = {"countdown": NOTICE_DRAIN_GATHER_SECONDS} if gather else {}
    enqueue_drain_on_commit(NOTICE_DRAIN_TASK, flag=NOTICE_DRAIN_FLAG, ttl=NOTICE_DRAIN_TTL, **countdown)


def _notices_queue(rows: list[tuple[int, ...]]) -> None:
    if rows:
        _drain_after_commit()


def notices_early_write(events: list[Event]) -> EarlyWrite | None:
    """``mail_on_event`` for ``events`` as one statement (``core.events.publish_early(writes=...)``): the notice rows
    of those that are mailed; once rows came back, the drain is scheduled after the commit. None when no event is
    mailed."""
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
    """Owe the e-mails of a lifecycle event: one notice row in the transaction of the change; the notice drain
    (scheduled after the commit, debounced) renders them into the outbox. The row holds IDs only, so it may be
    written before the change is complete (``publish_early``: a booking sends it with its allocation insert,
    ``notices_early_write``)."""
    template = MAILED_EVENTS.get(event.name)
    if template is None or event.subject_id is None:
        return
    ReservationNotice.objects.create(
        organization_id=event.organization_id, reservation_id=event.subject_id, template=template
    )
    _drain_after_commit()


@dataclass(frozen=True)
class NoticeBatch:
    """One batch of the drain: notices taken (locked), written, and the ids of those that failed to render."""

    taken: int
    written: int
    failed: frozenset[int]


def _render_notice(notice: ReservationNotice, recipients: list[User]) -> list[OutgoingEmail]:
    reservation = notice.reservation
    context: dict[str, Any] = {"reservation": reservation, "organization": reservation.organization}
    emails = []
    for user in recipients:
        subject, body = render_for_user(user, notice.template, context)
        emails.append(OutgoingEmail(to=user.email, subject=subject, body=body, template=notice.template))
    return emails


def _notices_write_batch(
    *, limit: int, now: datetime | None, only: Collection[int] = (), skip: Collection[int] = ()
) -> NoticeBatch:
    """Render up to ``limit`` unwritten notices (oldest first, ``FOR UPDATE SKIP LOCKED``: two drains never take the
    same one) into the outbox and mark them written, in one transaction; the e-mails are sent after its commit.

    The batch reads in a few statements whatever its size: the notices with their reservations, organizations and
    flavors, the instances and addresses the "running" template lists (only when a batch has one), the owners and
    admins of all the organizations; then one INSERT of the e-mails and one UPDATE of the notices.

    A notice that fails to render is skipped and logged (skip-and-log, no savepoint): rendering writes nothing, so
    the others are written as usual and the failed one stays unwritten, for the sweeper to re-drive once the cause
    is fixed. A database error while rendering is not skipped: it aborts the transaction, so the whole batch rolls
    back and is tried again."""
    with transaction.atomic():
        taken = (
            ReservationNotice.objects.unscoped()
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("reservation__organization", "reservation__flavor")
            .filter(written_at__isnull=True)
        )
        if only:
            taken = taken.filter(pk__in=only)
        if skip:
            taken = taken.exclude(pk__in=skip)
        notices = list(taken.order_by("created_at", "pk")[:limit])
        if not notices:
            return NoticeBatch(taken=0, written=0, failed=frozenset())
        for template, lookups in TEMPLATE_PREFETCH.items():
            needing = [notice.reservation for notice in notices if notice.template == template]
            if needing:
                prefetch_related_objects(needing, *lookups)
        recipients: dict[int, list[User]] = defaultdict(list)
        for membership in (
            Membership.objects.unscoped()
            .select_related("user")
            .filter(
                organization_id__in={notice.organization_id for notice in notices},
                role__in=[Role.OWNER, Role.ADMIN],
                user__is_active=True,
            )
            .order_by("user__email", "pk")
        ):
            recipients[membership.organization_id].append(membership.user)
        emails: list[OutgoingEmail] = []
        written: list[int] = []
        failed: set[int] = set()
        for notice in notices:
            try:
                rendered = _render_notice(notice, recipients[notice.organization_id])
            except DatabaseError:
                raise
            except Exception:
                logger.exception(
                    "notice.render_failed: notice %s (%s of reservation %s) left unwritten",
                    notice.pk,
                    notice.template,
                    notice.reservation_id,
                )
                failed.add(notice.pk)
                continue
            emails.extend(rendered)
            written.append(notice.pk)
        email_ids = [email.pk for email in emails_write(emails)] if emails else []
        if written:
            ReservationNotice.objects.unscoped().filter(pk__in=written).update(written_at=now or timezone.now())
        if email_ids:
            transaction.on_commit(lambda: emails_send(email_ids=email_ids))
    return NoticeBatch(taken=len(notices), written=len(written), failed=frozenset(failed))


def notices_write_pending(*, limit: int = NOTICE_BATCH, now: datetime | None = None) -> int:
    """The notice drain: write a batch of unwritten notices into the outbox (and send their e-mails right after).
    Returns how many notices were written.

    Its flag is cleared before the batch is read (``core.tasks.enqueue_drain``): a notice committed after that read
    schedules a drain of its own. A full batch that wrote something schedules the next drain (a fresh message,
    so one run stays short). A full batch of notices that all failed to render is passed over within this run, so
    such notices never hold back the ones behind them; they stay unwritten for the sweeper."""
    if limit < 1:
        raise ValueError(f"A batch writes at least one notice, not {limit!r}.")
    drain_flag_clear(NOTICE_DRAIN_FLAG)
    skipped: set[int] = set()
    written = 0
    while True:
        batch = _notices_write_batch(limit=limit, now=now, skip=skipped)
        written += batch.written
        skipped |= batch.failed
        if batch.taken < limit:
            return written
        if batch.written:
            _drain_after_commit(gather=False)
            return written
        if len(skipped) >= NOTICE_SKIPPED_MAX:
            logger.error("notice.drain_stopped: %s notices failed to render in one run", len(skipped))
            return written


def notice_write(*, notice_id: int, now: datetime | None = None) -> bool:
    """Render one notice into the outbox and mark it written (the ``reservations.write_notice`` messages queued
    before the drain existed, one per notice). False when there is nothing to do: written already, another worker
    holds it right now, or it failed to render."""
    if isinstance(notice_id, bool) or not isinstance(notice_id, int):
        raise TypeError(f"A notice is named by its id, not {type(notice_id).__name__}.")
    return _notices_write_batch(limit=1, now=now, only=[notice_id]).written == 1


def notices_redrive(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Publish the notice drain when notices were left unwritten past ``NOTICE_REDRIVE_AFTER`` (the drain's message
    was lost, or they failed to render), whatever the drain's flag says. Returns how many (at most ``limit``)."""
    cutoff = (now or timezone.now()) - NOTICE_REDRIVE_AFTER
    stale = (
        ReservationNotice.objects.unscoped()
        .filter(written_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    count = len(stale)
    if count:
        enqueue_on_commit(NOTICE_DRAIN_TASK)
    return count


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
