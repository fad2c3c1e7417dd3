"""The cloud driver interface. Every call is idempotent: it first looks for what it would create."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class CloudError(Exception):
    """The cloud refused or failed a request. ``transient`` errors are worth retrying."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class CloudProject:
    id: str
    name: str


class CloudDriver(Protocol):
    def ensure_project(self, *, organization_id: int, name: str) -> CloudProject:
        """Return the organization's project, creating it only if no project tagged with the organization exists."""
        ...
