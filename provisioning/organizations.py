"""An approved organization gets its cloud project: provisioning owns that step of the organization lifecycle.

Approval (tenants) moves the organization to ``provisioning`` and publishes ``organization.provisioning``;
``provisioning.receivers`` answers with the activation task, which calls ``organization_activate``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.tasks import enqueue_on_commit
from provisioning.drivers import CloudError, get_driver
from tenants.audit import Actor, audit_record
from tenants.choices import OrganizationStatus, StatusReason
from tenants.models import Organization
from tenants.notifications import notify_owners
from tenants.services import InvalidTransitionError, organization_transition

S = OrganizationStatus
ACTIVATE_TASK = "provisioning.organization_activate"


def organization_activate(*, organization_id: int) -> Organization:
    """Create the organization's cloud project and make it active. Safe to run twice and concurrently.

    The driver finds an existing project by the organization's tag before creating one. A cloud failure leaves the
    organization in provisioning with the error recorded for operators, who retry from the console.
    """
    organization = Organization.objects.get(pk=organization_id)
    if organization.status != S.PROVISIONING:
        return organization  # already activated by an earlier delivery, or closed meanwhile
    try:
        project = get_driver().ensure_project(organization_id=organization.pk, name=organization.slug)
    except CloudError as exc:
        with transaction.atomic():
            Organization.objects.filter(pk=organization.pk).update(activation_error=str(exc))
            audit_record(
                actor=Actor.system("provisioning"),
                action="organization.activation_failed",
                target=organization,
                organization=organization,
                data={"error": str(exc)},
            )
        raise
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        if locked.status != S.PROVISIONING:
            return locked
        Organization.objects.filter(pk=locked.pk).update(cloud_project_id=project.id, activation_error="")
        organization = organization_transition(
            actor=Actor.system("provisioning"),
            organization=locked,
            to_status=S.ACTIVE,
            reason=StatusReason.CLOUD_PROJECT % {"project": project.id},
        )
        notify_owners(organization, "active")
    return organization


def organization_activation_retry(*, actor: Actor, organization: Organization) -> None:
    """An operator retries a failed activation."""
    if organization.status != S.PROVISIONING:
        raise InvalidTransitionError(
            _("Only an organization in provisioning can be retried; %(name)s is %(status)s.")
            % {"name": organization.legal_name, "status": S(organization.status).label},
            code="invalid_transition",
        )
    with transaction.atomic():
        audit_record(
            actor=actor, action="organization.activation_retried", target=organization, organization=organization
        )
        enqueue_on_commit(ACTIVATE_TASK, organization.pk)
