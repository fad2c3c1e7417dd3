"""Thin tasks of enterprise identity: load by ID, call one service. Each is safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="identity.email_domain_check")
def email_domain_check_task(email_domain_id: int) -> None:
    from identity.services import email_domain_check

    email_domain_check(email_domain_id=email_domain_id)


@shared_task(name="identity.purge_saml_assertions")
def saml_assertion_purge_task() -> None:
    from identity.services import saml_assertion_purge

    saml_assertion_purge()
