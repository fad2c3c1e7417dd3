"""Thin provisioning tasks: load by ID, call one service step; poll by retrying with a countdown.

Transient cloud errors retry with exponential backoff and jitter (``retry_backoff``); past ``max_retries`` the
reservation fails and its GPUs are released.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import structlog
from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db.models import F
from django.utils import timezone

from provisioning import network, services
from provisioning.drivers import CloudError
from provisioning.models import Instance
from provisioning.organizations import ACTIVATE_TASK, organization_activate
from provisioning.sweeper import provisioning_sweep
from reservations.models import Reservation

logger = structlog.get_logger(__name__)

MAX_RETRIES = 30  # polls and transient-error retries together; about a few minutes with the backoff cap


@shared_task(
    name=ACTIVATE_TASK,
    autoretry_for=(CloudError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def organization_activate_task(organization_id: int) -> None:
    organization_activate(organization_id=organization_id)


def _bind_booking_context(*, reservation_id: int) -> None:
    """Log with the request ID of the booking that caused this work, when the message did not carry one (beat)."""
    if structlog.contextvars.get_contextvars().get("request_id"):
        return
    booking = (
        Reservation.objects.unscoped()
        .filter(pk=reservation_id)
        .values(request_id=services.booking_request_id(reservation_id), organization_slug=F("organization__slug"))
        .first()
    )
    if booking:
        _bind_request(request_id=booking["request_id"], organization_slug=booking["organization_slug"])


def _bind_request(*, request_id: str | None, organization_slug: str) -> None:
    if request_id and not structlog.contextvars.get_contextvars().get("request_id"):
        structlog.contextvars.bind_contextvars(request_id=request_id, organization=organization_slug)


@shared_task(name="provisioning.provision_reservation")
def provision_reservation_task(reservation_id: int) -> None:
    """Create the reservation's instances and provision them: the first one's first step here (a reservation of
    one server whose server is ACTIVE at the first look needs no second task), the others and every later poll in
    ``provision_instance_task``. The sweeper re-drives this task; every step is safe to repeat."""
    _provision_reservation(reservation_id)


@shared_task(name="provisioning.provision_reservations")
def provision_reservations_task(*reservation_ids: int) -> None:
    """``provision_reservation_task`` for reservations that started together (``dispatch_due``'s claim, sent in
    chunks of ``PROVISION_BATCH`` by ``provisioning.receivers``): one message instead of one per reservation, each
    reservation provisioned as that task does, in turn, and logged with its own booking's request ID.

    A reservation whose step raises is logged and passed over, so it holds back none after it; the task then fails
    with the first such error (as that reservation's own task would have), and the sweeper re-drives what is left
    in provisioning. A time limit stops the whole message (it is not delivered again): the reservations it had not
    reached stay in provisioning, and the sweeper re-drives each of them (every step is safe to repeat)."""
    context = structlog.contextvars.get_contextvars()
    first_error: Exception | None = None
    try:
        for reservation_id in reservation_ids:
            structlog.contextvars.clear_contextvars()
            structlog.contextvars.bind_contextvars(**context)
            try:
                _provision_reservation(reservation_id)
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:
                logger.exception("provisioning.reservation_step_failed", reservation_id=reservation_id)
                first_error = first_error or exc
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**context)
    if first_error is not None:
        raise first_error


def _provision_reservation(reservation_id: int) -> None:
    """The instances come back read as the step reads them, with the booking's request ID for the log: the first
    step reads nothing again."""
    instances = services.reservation_instances_starting(reservation_id=reservation_id)
    if not instances:
        return
    first, *others = instances
    _bind_request(request_id=first.booking_request_id, organization_slug=first.organization.slug)  # type: ignore[attr-defined]
    logger.info("provisioning.reservation_started", reservation_id=reservation_id)
    for instance in others:
        provision_instance_task.delay(instance.pk)
    again = _provision_step(instance_id=first.pk, retries=0, instance=first)
    if again is not None:
        provision_instance_task.apply_async(args=(first.pk,), countdown=again.countdown)


@dataclass(frozen=True)
class _Again:
    """Poll the instance again after ``countdown`` seconds (``error``: the transient cloud error that stopped it)."""

    countdown: float
    error: CloudError | None = None


def _provision_step(*, instance_id: int, retries: int, instance: Instance | None = None) -> _Again | None:
    """One provisioning step of the instance; past ``MAX_RETRIES`` (or on a permanent cloud error) the reservation
    fails. None when there is nothing more to do."""
    try:
        step = services.instance_provision_step(instance_id=instance_id, instance=instance)
    except CloudError as exc:
        if not exc.transient or retries >= MAX_RETRIES:
            services.instance_provision_failed(instance_id=instance_id, error=str(exc))
            return None
        return _Again(countdown=min(2**retries, 60) * (0.5 + _jitter()), error=exc)
    logger.info("provisioning.instance_step", instance_id=instance_id, done=step.done, retries=retries)
    if step.done:
        return None
    if retries >= MAX_RETRIES:
        services.instance_provision_failed(instance_id=instance_id, error="the server did not become ACTIVE")
        return None
    return _Again(countdown=step.countdown)


@shared_task(bind=True, name="provisioning.provision_instance", max_retries=MAX_RETRIES)
def provision_instance_task(self: Task[Any, Any], instance_id: int) -> None:
    reservation_id = Instance.objects.unscoped().filter(pk=instance_id).values_list("reservation_id", flat=True).first()
    if reservation_id is not None:
        _bind_booking_context(reservation_id=reservation_id)
    again = _provision_step(instance_id=instance_id, retries=self.request.retries)
    if again is not None:
        raise self.retry(exc=again.error, countdown=again.countdown)


@shared_task(name="provisioning.deprovision_reservation")
def deprovision_reservation_task(reservation_id: int) -> None:
    for instance_id in services.reservation_instances_to_stop(reservation_id=reservation_id):
        deprovision_instance_task.delay(instance_id)


@shared_task(bind=True, name="provisioning.deprovision_instance", max_retries=MAX_RETRIES)
def deprovision_instance_task(self: Task[Any, Any], instance_id: int) -> None:
    try:
        step = services.instance_deprovision_step(instance_id=instance_id)
    except CloudError as exc:
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 60) * (0.5 + _jitter())) from exc
    if not step.done:
        raise self.retry(countdown=step.countdown)
    release_instance_network_task.delay(instance_id)


@shared_task(bind=True, name="provisioning.release_instance_network", max_retries=MAX_RETRIES)
def release_instance_network_task(self: Task[Any, Any], instance_id: int) -> None:
    """After the server is gone: its floating IP and keypair, and the reservation's security group with the last
    instance. What a lost message leaves behind, reconciliation releases."""
    try:
        network.instance_network_release(instance_id=instance_id)
    except CloudError as exc:
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 60) * (0.5 + _jitter())) from exc


@shared_task(bind=True, name="provisioning.push_service_token", max_retries=MAX_RETRIES)
def push_service_token_task(self: Task[Any, Any], reservation_id: int) -> None:
    """After a rotation: the sealed token into each server's metadata. Retried on transient cloud errors."""
    try:
        network.service_token_push(reservation_id=reservation_id)
    except CloudError as exc:
        if not exc.transient:
            raise
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 60) * (0.5 + _jitter())) from exc


@shared_task(name="provisioning.dispatch_due")
def dispatch_due_task() -> None:
    services.dispatch_due()


@shared_task(name="provisioning.sweep")
def sweep_task() -> dict[str, int]:
    result = provisioning_sweep(now=timezone.now())
    return {kind: len(ids) for kind, ids in result.redriven.items()}


@shared_task(name="provisioning.reconcile")
def reconcile_task() -> int:
    return len(services.reconcile())


def _jitter() -> float:
    return random.random()  # noqa: S311  # spreading retries, not security
