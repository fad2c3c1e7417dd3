"""What went wrong with an instance, in words an operator can act on. Pure: the raw error text stays the detail.

The cloud drivers raise ``CloudError`` with technical text (HTTP status, exception names, the cloud's own fault
message); ``failure_summary`` names the kind of problem. The first rule whose pattern matches wins.
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

RULES: tuple[tuple[re.Pattern[str], Promise], ...] = (
    (
        re.compile(r"quota", re.IGNORECASE),
        _("The cloud refused to create the server: its quota is used up."),
    ),
    (
        re.compile(r"did not become ACTIVE", re.IGNORECASE),
        _("The server did not finish starting in time."),
    ),
    (
        re.compile(r"went into ERROR|while booting", re.IGNORECASE),
        _("The server failed while starting in the cloud."),
    ),
    (
        re.compile(
            r"cannot reach the cloud|answered 5\d\d|HTTP 5\d\d|timed? ?out|ConnectionError|Connection refused",
            re.IGNORECASE,
        ),
        _("The cloud could not be reached or had an outage."),
    ),
    (
        re.compile(r"HTTP 40[13]|identity service|Keystone|token", re.IGNORECASE),
        _("The cloud's identity service refused Kontor's request."),
    ),
    (
        re.compile(r"no cloud flavor|has no .+ named|no network|external network", re.IGNORECASE),
        _("The cloud lacks something Kontor's configuration names (a flavor, image or network)."),
    ),
    (
        re.compile(r"is gone", re.IGNORECASE),
        _("The server no longer exists in the cloud."),
    ),
)

UNKNOWN = _("Provisioning failed for a reason Kontor does not recognize; see the technical detail.")


def failure_summary(error: str) -> str:
    """The kind of problem behind a stored error, in the active language; empty for no error."""
    if not error.strip():
        return ""
    for pattern, summary in RULES:
        if pattern.search(error):
            return str(summary)
    return str(UNKNOWN)
