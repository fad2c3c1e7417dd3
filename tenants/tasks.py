"""Thin tasks of the tenancy core: load by ID, call one service. Each is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from tenants.idempotency import idempotency_requests_expire
from tenants.mail import MAX_ATTEMPTS, email_send, emails_resend_stale, emails_send_pending
from tenants.services import vat_check_run


@shared_task(name="tenants.vat_check")
def vat_check_task(organization_id: int) -> None:
    vat_check_run(organization_id=organization_id)


@shared_task(
    name="tenants.send_email",
    autoretry_for=(Exception,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=MAX_ATTEMPTS,
)
def send_email_task(email_id: int) -> bool:
    """One e-mail, with backoff: the retries of an e-mail the drain could not send."""
    return email_send(email_id=email_id)


@shared_task(name="tenants.send_pending_emails")
def send_pending_emails_task() -> int:
    """The sending drain (``emails_send_pending``), scheduled debounced after each transaction that wrote e-mails."""
    return emails_send_pending()


@shared_task(name="tenants.resend_stale_emails")
def resend_stale_emails_task() -> int:
    return emails_resend_stale()


@shared_task(name="tenants.expire_idempotency_keys")
def expire_idempotency_keys_task() -> int:
    return idempotency_requests_expire(now=timezone.now())
