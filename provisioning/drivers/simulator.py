"""The embedded simulated region (the provisioning issue extends it with servers, latency and failure rates)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import IntegrityError, transaction

from provisioning.drivers.base import CloudError, CloudProject
from provisioning.models import SimulatedProject


class SimulatorDriver:
    def ensure_project(self, *, organization_id: int, name: str) -> CloudProject:
        if settings.KONTOR_SIMULATOR.get("fail_project_creation"):
            raise CloudError("simulated failure: the identity service refused to create the project")
        tag = f"kontor-org-{organization_id}"
        project = SimulatedProject.objects.filter(organization_tag=tag).first()
        if project is None:
            try:
                with transaction.atomic():
                    project = SimulatedProject.objects.create(
                        project_id=uuid.uuid4().hex, name=name, organization_tag=tag
                    )
            except IntegrityError:  # a concurrent delivery of the same task created it first
                project = SimulatedProject.objects.get(organization_tag=tag)
        return CloudProject(id=project.project_id, name=project.name)
