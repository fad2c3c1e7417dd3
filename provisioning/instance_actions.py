"""What a customer may do to an instance: reboot it (soft or hard) and read its console log — both audited, both refused
with the reason when the instance is not running — and rename it."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from provisioning.drivers import get_driver
from provisioning.models import Instance, InstanceState
from reservations.choices import ReservationState
from tenants.audit import Actor, audit_record
from tenants.models import Organization

MAX_CONSOLE_LINES = 1000
# A host name label (RFC 1123): what a customer would name a machine, and safe anywhere a name is shown or used.
INSTANCE_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def instance_get(*, organization: Organization, reservation_id: int, index: int) -> Instance | None:
    """The organization's instance ``index`` of the reservation; another organization's is None, like a missing one."""
    return (
        Instance.objects.for_organization(organization)
        .select_related("reservation", "organization")
        .filter(reservation_id=reservation_id, index=index)
        .first()
    )


def _require_running(instance: Instance, what: str) -> None:
    if instance.state != InstanceState.RUNNING or instance.reservation.state != ReservationState.ACTIVE:
        raise ValidationError(
            _("%(what)s needs a running instance; this one is %(state)s.")
            % {"what": what, "state": InstanceState(instance.state).label.lower()},
            code="invalid_state",
        )


def instance_reboot(*, actor: Actor, instance: Instance, hard: bool) -> None:
    """Reboot the instance's server: soft (the operating system shuts down and starts) or hard (power cycle)."""
    _require_running(instance, _("A reboot"))
    driver = get_driver()
    project = driver.ensure_project(organization_id=instance.organization_id, name=instance.organization.slug)
    driver.reboot_server(project_id=project.id, server_id=instance.cloud_server_id, hard=hard)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="instance.rebooted",
            target=instance,
            organization=instance.organization,
            data={"hard": hard},
        )


def instance_console_log(*, actor: Actor, instance: Instance, lines: int) -> str:
    """The last ``lines`` lines (1 to 1,000) of the server's console. Reading it is audited: it may show secrets."""
    if not 1 <= lines <= MAX_CONSOLE_LINES:
        raise ValidationError(
            {"lines": [_("Ask for 1 to %(max)s lines.") % {"max": MAX_CONSOLE_LINES}]}, code="invalid"
        )
    _require_running(instance, _("The console log"))
    driver = get_driver()
    project = driver.ensure_project(organization_id=instance.organization_id, name=instance.organization.slug)
    output = driver.console_log(project_id=project.id, server_id=instance.cloud_server_id, lines=lines)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="instance.console_log_read",
            target=instance,
            organization=instance.organization,
            data={"lines": lines},
        )
    return output


def instance_name_check(value: str) -> str:
    """The name as stored, or a ``ValidationError`` that says what a name may hold."""
    name = value.strip()
    if not name:
        raise ValidationError({"name": [_("Give the instance a name.")]}, code="required")
    if len(name) > 63:
        raise ValidationError({"name": [_("Use at most 63 characters.")]}, code="max_length")
    if not INSTANCE_NAME.fullmatch(name):
        raise ValidationError(
            {
                "name": [
                    _(
                        "Use lowercase letters, digits and hyphens, starting and ending with a letter or digit "
                        "(like gpu-node-1)."
                    )
                ]
            },
            code="invalid",
        )
    return name


def instance_rename(*, actor: Actor, instance: Instance, name: str) -> Instance:
    """Rename the instance (Kontor's name; the cloud's server keeps its tag). Unique within the reservation."""
    new_name = instance_name_check(name)
    with transaction.atomic():
        locked = Instance.objects.for_organization(instance.organization).select_for_update().get(pk=instance.pk)
        if locked.name == new_name:
            return locked
        taken = (
            Instance.objects.for_organization(instance.organization)
            .filter(reservation_id=locked.reservation_id, name=new_name)
            .exclude(pk=locked.pk)
            .exists()
        )
        if taken:
            raise ValidationError(
                {"name": [_("Another instance of this reservation is called %(name)s.") % {"name": new_name}]},
                code="unique",
            )
        old_name = locked.name
        locked.name = new_name
        locked.save(update_fields=["name", "updated_at"])
        audit_record(
            actor=actor,
            action="instance.renamed",
            target=locked,
            organization=instance.organization,
            data={"from": old_name, "to": new_name},
        )
    return locked
