"""Celery plumbing against the real Redis broker with a real worker."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.db import transaction

from core.tasks import enqueue_on_commit
from portal.celery import app
from portal.tasks import BEAT_HEARTBEAT_KEY, beat_heartbeat
from tests.factories import OrganizationFactory


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_the_app_is_configured_for_at_least_once_delivery():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_always_eager is False
    assert app.conf.broker_url.startswith("redis://")
    assert app.conf.task_serializer == "json"


def test_beat_schedule_is_defined_in_code_and_names_registered_tasks():
    app.loader.import_default_modules()  # every app's tasks module, as a worker and beat load them at start
    assert app.conf.beat_schedule["beat-heartbeat"]["task"] == "portal.tasks.beat_heartbeat"
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_heartbeat_and_a_second_delivery_does_no_harm():
    cache.delete(BEAT_HEARTBEAT_KEY)
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("default")  # type: ignore[attr-defined]

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        beat_heartbeat.delay()
        assert wait_for(lambda: cache.get(BEAT_HEARTBEAT_KEY) is not None)
        first = cache.get(BEAT_HEARTBEAT_KEY)
        beat_heartbeat.delay()
        assert wait_for(lambda: cache.get(BEAT_HEARTBEAT_KEY) != first)

    assert cache.get(BEAT_HEARTBEAT_KEY) > first


@pytest.mark.django_db
def test_enqueue_waits_for_commit(django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(beat_heartbeat, "apply_async", lambda args, **options: sent.append(args))

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_on_commit(beat_heartbeat, 42)
        assert sent == []

    assert sent == [(42,)]


@pytest.mark.django_db
def test_enqueue_refuses_objects_instead_of_ids():
    organization = OrganizationFactory.create()

    with pytest.raises(TypeError, match="Tasks take IDs, not Organization"):
        enqueue_on_commit(beat_heartbeat, organization)  # type: ignore[arg-type]
