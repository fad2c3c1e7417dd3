from enum import StrEnum


class ReservationEventType(StrEnum):
    BUDGET_THRESHOLD_REACHED = "budget.threshold_reached"
    CREDIT_NOTE_ISSUED = "credit_note.issued"
    INSTANCE_REBOOTED = "instance.rebooted"
    INSTANCE_RUNNING = "instance.running"
    INSTANCE_STOPPED = "instance.stopped"
    INVOICE_FINALIZED = "invoice.finalized"
    ORGANIZATION_STATUS_CHANGED = "organization.status_changed"
    QUOTA_REQUEST_DECIDED = "quota_request.decided"
    RESERVATION_ACTIVE = "reservation.active"
    RESERVATION_CANCELLED = "reservation.cancelled"
    RESERVATION_CREATED = "reservation.created"
    RESERVATION_ENDED = "reservation.ended"
    RESERVATION_ENDING = "reservation.ending"
    RESERVATION_EXTENDED = "reservation.extended"
    RESERVATION_FAILED = "reservation.failed"
    RESERVATION_PROVISIONING = "reservation.provisioning"
    RESERVATION_SCHEDULED = "reservation.scheduled"
    WEBHOOK_TEST = "webhook.test"

    def __str__(self) -> str:
        return str(self.value)
