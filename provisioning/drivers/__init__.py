"""Cloud drivers, chosen by ``settings.KONTOR_CLOUD_DRIVER``."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from provisioning.drivers.base import CloudDriver, CloudError, CloudProject

__all__ = ["CloudDriver", "CloudError", "CloudProject", "get_driver"]


def get_driver() -> CloudDriver:
    name = settings.KONTOR_CLOUD_DRIVER
    # Imported on demand: a process loads only the driver it uses (openstacksdk is heavy).
    if name == "simulator":
        from provisioning.drivers.simulator import SimulatorDriver

        return SimulatorDriver()
    if name == "openstack":
        from provisioning.drivers.openstack import OpenStackDriver

        return OpenStackDriver()
    raise ImproperlyConfigured(f"Unknown KONTOR_CLOUD_DRIVER {name!r}; use 'simulator' or 'openstack'.")
