"""Celery plumbing against the real Redis broker with a real worker."""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun, task_prerun
from django.core.cache import cache
from django.db import OperationalError, connection, transaction

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


def _dsn() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _backend_pid_and_close_at() -> tuple[int, float | None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    return pid, connection.close_at


@app.task(name="tests.portal.record_backend_pid")
def record_backend_pid(key: str) -> None:
    """Records the PostgreSQL backend that served this task: the same one for two tasks means one connection."""
    cache.set(key, _backend_pid_and_close_at()[0], timeout=60)


@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_its_database_connection_from_one_task_to_the_next():
    """Celery's Django fixup would close the connection around every task (a new PostgreSQL backend for each); the
    worker keeps it as Django keeps a request's (``CONN_MAX_AGE``), so two tasks in a row share one backend."""
    assert connection.settings_dict["CONN_MAX_AGE"] > 0
    keys = [f"kontor:test:backend-pid:{uuid.uuid4().hex}" for _ in range(3)]
    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge("default")  # type: ignore[attr-defined]

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        for key in keys:
            record_backend_pid.delay(key)
            assert wait_for(lambda key=key: cache.get(key) is not None)

    pids = [cache.get(key) for key in keys]
    assert len(set(pids)) == 1


@pytest.mark.django_db(transaction=True)
def test_around_each_task_a_broken_or_aged_connection_is_closed_and_a_healthy_one_kept():
    """What the worker runs before and after each task: Django's rule for requests (``close_old_connections``)."""
    pid, _close_at = _backend_pid_and_close_at()
    task_prerun.send(sender=record_backend_pid, task_id="t1", task=record_backend_pid, args=(), kwargs={})
    assert _backend_pid_and_close_at()[0] == pid  # kept

    connection.close_at = time.monotonic() - 1  # past CONN_MAX_AGE
    task_postrun.send(sender=record_backend_pid, task_id="t1", task=record_backend_pid, args=(), kwargs={})
    assert connection.connection is None
    renewed, _close_at = _backend_pid_and_close_at()
    assert renewed != pid

    # The backend dies under the kept connection (a restart, a failover): the task's error marks the connection.
    with psycopg.connect(_dsn(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [renewed])
    with pytest.raises(OperationalError), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert connection.errors_occurred
    task_prerun.send(sender=record_backend_pid, task_id="t2", task=record_backend_pid, args=(), kwargs={})
    assert connection.connection is None
    assert _backend_pid_and_close_at()[0] not in (pid, renewed)
