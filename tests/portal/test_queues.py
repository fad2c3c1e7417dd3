"""Queues, time limits, Berlin crontab schedules and the single beat (RedBeat's lock in Redis)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import time_machine
from django.conf import settings

from portal.celery import app

ROOT = Path(__file__).resolve().parents[2]
QUEUES = ["default", "provisioning", "documents", "email", "metering"]


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_each_kind_of_work_has_its_queue():
    assert {name: queue_of(name) for name in sorted(settings.KONTOR_TASK_QUEUES)} == {
        "billing.check_budgets": "email",
        "billing.draft_invoices": "metering",
        "billing.finalize_invoices": "metering",
        "billing.render_invoice_documents": "documents",
        "billing.render_missing_documents": "documents",
        "metering.run": "metering",
        "provisioning.deprovision_instance": "provisioning",
        "provisioning.deprovision_reservation": "provisioning",
        "provisioning.dispatch_due": "provisioning",
        "provisioning.organization_activate": "provisioning",
        "provisioning.provision_instance": "provisioning",
        "provisioning.provision_reservation": "provisioning",
        "provisioning.provision_reservations": "provisioning",
        "provisioning.reconcile": "provisioning",
        "provisioning.sweep": "provisioning",
        "reservations.redrive_notices": "email",
        "reservations.send_end_reminders": "email",
        "reservations.write_notice": "email",
        "reservations.write_pending_notices": "email",
        "tenants.resend_stale_emails": "email",
        "tenants.send_email": "email",
        "tenants.send_pending_emails": "email",
    }
    assert queue_of("portal.tasks.beat_heartbeat") == "default"
    assert queue_of("tenants.vat_check") == "default"
    app.loader.import_default_modules()
    kontor_tasks = {name for name in app.tasks if not name.startswith(("celery.", "tests."))}
    assert {queue_of(name) for name in kontor_tasks} == set(QUEUES)


def test_tasks_have_the_soft_and_hard_time_limits_of_their_queue():
    app.loader.import_default_modules()
    limits = {
        name: (app.tasks[name].soft_time_limit, app.tasks[name].time_limit)
        for name in ("billing.render_invoice_documents", "provisioning.provision_instance", "metering.run")
    }
    assert limits == {
        "billing.render_invoice_documents": (240, 300),
        "provisioning.provision_instance": (120, 180),
        "metering.run": (1500, 1800),
    }
    assert (app.conf.task_soft_time_limit, app.conf.task_time_limit) == (60, 120)


def test_every_queue_has_a_worker_in_the_procfile():
    procfile = (ROOT / "Procfile").read_text()
    assert sorted(re.findall(r"--queues=(\w+)", procfile)) == sorted(QUEUES)
    assert procfile.startswith("web: exec gunicorn --config deploy/gunicorn.conf.py portal.wsgi:application\n")


@pytest.mark.parametrize(
    ("last_run", "next_run"),
    [
        # 02:15 in Berlin is 00:15 UTC in summer and 01:15 UTC in winter.
        (datetime(2026, 7, 1, 0, 15, tzinfo=UTC), datetime(2026, 7, 2, 0, 15, tzinfo=UTC)),
        (datetime(2026, 1, 10, 1, 15, tzinfo=UTC), datetime(2026, 1, 11, 1, 15, tzinfo=UTC)),
    ],
)
def test_drafts_run_daily_at_a_quarter_past_two_berlin_time(last_run, next_run):
    schedule = app.conf.beat_schedule["billing-draft-invoices"]["schedule"]
    schedule.app = app  # the settings build the crontab before the app exists: it reads the app's time zone
    with time_machine.travel(last_run.replace(minute=20), tick=False):
        remaining = schedule.remaining_estimate(last_run.astimezone(schedule.tz))
        assert (schedule.now() + remaining).astimezone(UTC) == next_run


def start_beat(prefix: str, name: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "KONTOR_REDBEAT_KEY_PREFIX": prefix,
        "KONTOR_REDBEAT_LOCK_TIMEOUT": "6",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel=INFO", f"--pidfile=/tmp/{name}.pid"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def sent_tasks(output: str) -> list[str]:
    return re.findall(r"Scheduler: Sending due task ([\w-]+)", output)


class Output:
    """A process's output, read line by line in a thread, so the test waits for what it says, not for a time."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.reader.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, condition: Callable[[str], bool], timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self.text) and time.monotonic() < deadline:
            time.sleep(0.2)


def test_one_beat_runs_at_a_time_and_another_takes_over_when_it_dies():
    assert app.conf.beat_scheduler == "redbeat.RedBeatScheduler"
    prefix = f"kontor-test-{uuid.uuid4().hex[:8]}:"
    store = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    first = start_beat(prefix, "beat-first")
    first_log = Output(first)
    try:
        deadline = time.monotonic() + 30
        while not store.exists(f"{prefix}:lock") and time.monotonic() < deadline:
            time.sleep(0.2)
        second = start_beat(prefix, "beat-second")
        second_log = Output(second)
        try:
            # New entries are first due one interval after the start: dispatch-due after 15 s.
            first_log.wait_for(lambda text: "provisioning-dispatch-due" in sent_tasks(text))
            first.send_signal(signal.SIGKILL)  # a node lost: no clean release of the lock
            first.wait(timeout=10)
            first_log.reader.join(timeout=10)
            # The lock expires after 6 s and the waiting beat takes it; dispatch-due is due every 15 s.
            second_log.wait_for(
                lambda text: "provisioning-dispatch-due" in sent_tasks(text.partition("beat: Acquired lock")[2])
            )
        finally:
            second.terminate()
            second.wait(timeout=20)
            second_log.reader.join(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
        schedule_keys = sorted(key.decode() for key in store.keys(f"{prefix}*"))
        for key in store.keys(f"{prefix}*"):
            store.delete(key)
        with app.connection_for_write() as connection:
            for queue in QUEUES:
                connection.default_channel.queue_purge(queue)  # type: ignore[attr-defined]

    first_output, second_output = first_log.text, second_log.text
    assert "provisioning-dispatch-due" in sent_tasks(first_output)
    before_takeover, _, after_takeover = second_output.partition("beat: Acquired lock")
    assert sent_tasks(before_takeover) == []
    assert "provisioning-dispatch-due" in sent_tasks(after_takeover)
    # The schedule and its last runs are in Redis, not on the pod's disk.
    assert f"{prefix}billing-draft-invoices" in schedule_keys
    assert f"{prefix}:schedule" in schedule_keys
