"""The simulated cloud region: persistent, so that it behaves like a real one across restarts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SimulatedProject(models.Model):
    """A project in the simulated region. Invariant: one project per organization (the tag it is found by)."""

    project_id = models.CharField(_("project ID"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    organization_tag = models.CharField(_("organization tag"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("simulated project")
        verbose_name_plural = _("simulated projects")

    def __str__(self) -> str:
        return f"{self.name} ({self.project_id})"
