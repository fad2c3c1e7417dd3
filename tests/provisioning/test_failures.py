"""An instance's error in words: each kind of cloud error the drivers raise gets its sentence, in both languages."""

from __future__ import annotations

import pytest
from django.utils import translation

from provisioning.failures import failure_summary


@pytest.mark.parametrize(
    ("error", "summary"),
    [
        (
            "simulated failure: quota exceeded for instances",
            "The cloud refused to create the server: its quota is used up.",
        ),
        ("the server did not become ACTIVE", "The server did not finish starting in time."),
        ("the server went into ERROR while booting", "The server failed while starting in the cloud."),
        (
            "create server kontor-instance-7: HTTP 503: Service Unavailable",
            "The cloud could not be reached or had an outage.",
        ),
        (
            "create server kontor-instance-7: cannot reach the cloud: ConnectionError(...)",
            "The cloud could not be reached or had an outage.",
        ),
        (
            "simulated failure: the identity service refused to create the project",
            "The cloud's identity service refused Kontor's request.",
        ),
        (
            "no cloud flavor is mapped to the Kontor flavor 'b200-x1'",
            "The cloud lacks something Kontor's configuration names (a flavor, image or network).",
        ),
        ("the server 3f1c is gone", "The server no longer exists in the cloud."),
        (
            "KeyError: 'addresses'",
            "Provisioning failed for a reason Kontor does not recognize; see the technical detail.",
        ),
        ("", ""),
    ],
)
def test_each_kind_of_cloud_error_reads_as_a_sentence(error, summary):
    with translation.override("en"):
        assert failure_summary(error) == summary


def test_the_summary_speaks_german():
    with translation.override("de"):
        assert failure_summary("HTTP 503") == "Die Cloud war nicht erreichbar oder gestört."
