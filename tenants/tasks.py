"""Thin tasks of the tenancy core: load by ID, call one service. Each is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from provisioning.drivers import CloudError


@shared_task(
    name="tenants.organization_activate",
    autoretry_for=(CloudError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def organization_activate_task(organization_id: int) -> None:
    from tenants.services import organization_activate

    organization_activate(organization_id=organization_id)


@shared_task(name="tenants.vat_check")
def vat_check_task(organization_id: int) -> None:
    from tenants.services import vat_check_run

    vat_check_run(organization_id=organization_id)
