"""E-mails about reservations: the consumers of the domain events, and the reminders before the end."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.events import Event, subscribe
from reservations.choices import ReservationKind, ReservationState
from reservations.models import Reservation, ReservationReminder
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


@subscribe("reservation.", during_transaction=True)
def mail_on_event(event: Event) -> None:
    """Write the e-mails of a lifecycle event into the outbox, in the transaction of the change (a task sends them)."""
    template = MAILED_EVENTS.get(event.name)
    if template is None:
        return
    reservation = Reservation.objects.unscoped().select_related("organization", "flavor").get(pk=event.subject_id)
    _mail(reservation, template)


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
