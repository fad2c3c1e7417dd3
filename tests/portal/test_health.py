from __future__ import annotations

import pytest
from django.core.cache import cache

from portal.celery import app
from portal.tasks import BEAT_HEARTBEAT_KEY

pytestmark = pytest.mark.django_db


def test_healthz_says_the_process_is_up(client):
    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_checks_database_broker_and_cache(client):
    cache.set(BEAT_HEARTBEAT_KEY, "2026-11-25T10:00:00+00:00")

    response = client.get("/readyz")

    assert (response.status_code, response.json()) == (
        200,
        {
            "status": "ok",
            "checks": {"database": "ok", "broker": "ok", "cache": "ok"},
            "beat_last_heartbeat": "2026-11-25T10:00:00+00:00",
        },
    )


def test_readyz_stays_ready_but_degraded_when_the_broker_is_unreachable(client, monkeypatch):
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    monkeypatch.setattr(app.conf, "broker_write_url", "redis://127.0.0.1:1/0")

    response = client.get("/readyz")

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["checks"]["database"], body["checks"]["cache"]) == ("degraded", "ok", "ok")
    assert body["checks"]["broker"].startswith("OperationalError:")
    assert "Retry-After" not in response


def test_readyz_is_503_with_retry_after_when_the_database_is_down(client, monkeypatch):
    from portal.web import health

    monkeypatch.setattr(health, "_check_database", lambda: "OperationalError: connection refused")

    response = client.get("/readyz")

    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert (response.json()["status"], response.json()["checks"]["database"]) == (
        "unavailable",
        "OperationalError: connection refused",
    )
