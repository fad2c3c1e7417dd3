"""Cloud drivers, chosen by ``settings.KONTOR_CLOUD_DRIVER``."""

from __future__ import annotations

import copy
import os
import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from provisioning.drivers.base import CloudDriver, CloudError, CloudProject

__all__ = ["CloudDriver", "CloudError", "CloudProject", "get_driver"]

_local = threading.local()


def _made(name: str) -> CloudDriver:
    # Imported on demand: a process loads only the driver it uses (openstacksdk is heavy).
    if name == "simulator":
        from provisioning.drivers.simulator import SimulatorDriver

        return SimulatorDriver()
    if name == "openstack":
        from provisioning.drivers.openstack import OpenStackDriver

        return OpenStackDriver()
    raise ImproperlyConfigured(f"Unknown KONTOR_CLOUD_DRIVER {name!r}; use 'simulator' or 'openstack'.")


def get_driver() -> CloudDriver:
    """The driver of this process and thread, made at the first call and reused by every later task of a worker
    process: the OpenStack driver keeps its authenticated sessions (tokens, kept-alive HTTP connections) and the
    projects it converged (``OpenStackDriver.ensure_project``) instead of starting over in every task.

    A new one after a fork (a prefork pool's child never uses its parent's sockets) and whenever the settings name
    another driver or other options (tests override them)."""
    name = settings.KONTOR_CLOUD_DRIVER
    options: Any = settings.KONTOR_OPENSTACK if name == "openstack" else None
    made: tuple[int, str, Any, CloudDriver] | None = getattr(_local, "driver", None)
    if made is not None:
        pid, made_name, made_options, driver = made
        if pid == os.getpid() and made_name == name and made_options == options:
            return driver
    driver = _made(name)
    _local.driver = (os.getpid(), name, copy.deepcopy(options), driver)
    return driver
