"""The parts a fault test breaks on purpose: a private ``redis-server`` on a free loopback port (the broker, restarted
empty at will) and real ``celery worker`` processes on it, against the test database. Shared by the fault suite
(``tests/faults/``) and the longer manual run (``bench/fault_run.py``)."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import redis
from celery import Celery
from kombu import pools as kombu_pools

ROOT = Path(__file__).resolve().parents[2]
QUEUES = "default,provisioning,documents,email,metering"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


#: Ports for servers the suite restarts: below Linux's ephemeral range (32768-60999), which the kernel hands to
#: outgoing connections and to every ``bind(0)`` elsewhere in the suite (live servers, other private servers started
#: by the pytest process running beside this one). A port from that range, freed while its broker is down, can be
#: taken in that second; one below it can only be taken by someone asking for it by number.
RESTARTABLE_PORTS = range(20000, 32000)


def free_restartable_port() -> int:
    for port in random.sample(RESTARTABLE_PORTS, 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class PrivateRedis:
    """A ``redis-server`` of this test alone, without persistence: a restart comes back empty."""

    def __init__(self) -> None:
        self.port = free_restartable_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        process = self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        if not wait_until(lambda: _pings(client) or process.poll() is not None, timeout=10, interval=0.05):
            raise RuntimeError("the private redis-server did not start")
        # The server answering must be the one just started (not one that took the port while it was free).
        if process.poll() is not None or client.info("server")["process_id"] != process.pid:
            raise RuntimeError(f"port {self.port} was taken while the private redis-server was down")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # no shutdown save: what an outage does
            self.process.wait(timeout=10)
        self.process = None

    def restart_empty(self, down_seconds: float = 1.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()
        self.restarts += 1

    def keys(self) -> int:
        return int(redis.Redis(port=self.port).dbsize())


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class Worker:
    """A real ``celery -A portal worker`` process (prefork) on the private broker; its log goes to a file."""

    def __init__(self, name: str, env: dict[str, str], concurrency: int = 2) -> None:
        self.name = name
        self.log = Path(tempfile.mkstemp(prefix=f"kontor-fault-{name}-", suffix=".log")[1])
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--queues={QUEUES}",
                f"--hostname={name}@%h",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def crashed(self) -> bool:
        """Celery's words for a worker that gave up (the kombu ``restore_unacked`` crash among them)."""
        return "Unrecoverable error" in self.output()

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: nothing is acknowledged, nothing cleaned up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.unlink(missing_ok=True)


def worker_env(*, database_url: str, broker: PrivateRedis, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "portal.settings_test"),
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker.url(1),
        "REDIS_URL": broker.url(0),
        "KONTOR_SIMULATOR_BOOT_SECONDS": "2",
        # A message held by a killed worker comes back after 4 s; the others sweep for such messages every second.
        "KONTOR_BROKER_VISIBILITY_TIMEOUT": "4",
        "KONTOR_BROKER_RESTORE_INTERVAL": "1",
        "KONTOR_BROKER_RESTORE_THROTTLE": "1",
        **extra,
    }


@contextlib.contextmanager
def producing_to(app: Celery, broker: PrivateRedis) -> Iterator[None]:
    """Send this process's task messages to the private broker (and back to the configured one afterwards)."""
    # Celery reads CELERY_BROKER_URL from the environment before its configuration (``conf.broker_url`` is a
    # read-only property over both): switching the variable switches the app.
    previous_env = os.environ.get("CELERY_BROKER_URL")

    def reset() -> None:
        # ``app.pool`` is kombu's process-wide pool for the broker URL: closing it alone would leave a closed pool in
        # kombu's registry, and every later send to that URL in this process would fail ("Acquire on closed pool").
        # ``pools.reset`` closes every pooled connection and forgets the pools, so the next send builds new ones.
        kombu_pools.reset()
        app._pool = None  # type: ignore[attr-defined]
        with contextlib.suppress(AttributeError, KeyError):
            app.__dict__["amqp"]._producer_pool = None

    os.environ["CELERY_BROKER_URL"] = broker.url(1)
    reset()
    try:
        yield
    finally:
        if previous_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = previous_env
        reset()
