"""sentinel:// broker, RedBeat and cache URLs: a private redis-server and a ``redis-server --sentinel`` monitoring it,
both on loopback; a real Celery worker takes a task through Sentinel and the cache it writes is read through it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from portal.sentinel import SentinelAddress, sentinel_parse
from tests.s3_server import free_port

ROOT = Path(__file__).resolve().parents[2]
MASTER = "kontor"


def test_sentinel_urls_are_read_as_kombu_writes_them():
    assert sentinel_parse("sentinel://:s3cret@valkey-0:26379/1;sentinel://valkey-1:26380/1") == SentinelAddress(
        sentinels=(("valkey-0", 26379), ("valkey-1", 26380)), db=1, password="s3cret"
    )
    assert sentinel_parse("sentinel://valkey-0") == SentinelAddress(
        sentinels=(("valkey-0", 26379),), db=0, password=None
    )
    with pytest.raises(ValueError, match="not a sentinel:// URL: 'redis://valkey-0:6379'"):
        sentinel_parse("sentinel://valkey-0:26379;redis://valkey-0:6379")


def wait_for_ping(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis(port=port, socket_timeout=1).ping()
            return
        except redis.ConnectionError:
            assert process.poll() is None, "redis-server exited at start"
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)


@pytest.fixture
def sentinel(tmp_path: Path) -> Iterator[tuple[int, int]]:
    """(data port, sentinel port): a primary and one sentinel monitoring it as ``kontor`` (quorum 1)."""
    data_port, sentinel_port = free_port(), free_port()
    primary = subprocess.Popen(
        ["redis-server", "--port", str(data_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    config = tmp_path / "sentinel.conf"
    config.write_text(
        f"port {sentinel_port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor {MASTER} 127.0.0.1 {data_port} 1\nsentinel down-after-milliseconds {MASTER} 5000\n"
    )
    watcher = subprocess.Popen(["redis-server", str(config), "--sentinel"], stdout=subprocess.DEVNULL)
    try:
        wait_for_ping(data_port, primary)
        wait_for_ping(sentinel_port, watcher)
        yield data_port, sentinel_port
    finally:
        for process in (watcher, primary):
            process.terminate()
            process.wait(timeout=10)


CLIENT = textwrap.dedent(
    """
    import time, django
    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from redbeat.schedulers import get_redis
    from portal.celery import app
    from portal.tasks import BENCH_COUNTER_KEY

    assert settings.CACHES["default"]["BACKEND"] == "portal.cache.SentinelRedisCache"
    cache.set("sentinel-check", "through sentinel", timeout=60)
    assert cache.get("sentinel-check") == "through sentinel"
    cache.set(BENCH_COUNTER_KEY, 0, timeout=None)
    app.send_task("portal.tasks.bench_ping", queue="default")
    deadline = time.monotonic() + 60
    while cache.get(BENCH_COUNTER_KEY) != 1:
        assert time.monotonic() < deadline, "the worker never ran the task"
        time.sleep(0.2)
    assert get_redis(app).ping()  # RedBeat's schedule and lock, through the same sentinel
    print("round trip through sentinel")
    """
)


def test_a_task_and_the_cache_go_through_sentinel(sentinel):
    data_port, sentinel_port = sentinel
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "REDIS_URL": f"sentinel://127.0.0.1:{sentinel_port}/3",
        "CELERY_BROKER_URL": f"sentinel://127.0.0.1:{sentinel_port}/4",
        "KONTOR_SENTINEL_MASTER": MASTER,
    }
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "portal", "worker", "--queues=default", "--pool=solo"),
            *("--without-gossip", "--without-mingle", "--loglevel=WARNING"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        client = subprocess.run(
            [sys.executable, "-c", CLIENT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
    finally:
        worker.terminate()
        _, worker_errors = worker.communicate(timeout=30)

    assert (client.returncode, client.stdout.strip()) == (0, "round trip through sentinel"), (
        client.stderr[-2000:] + worker_errors[-2000:]
    )
    # The data is on the primary Sentinel named: the cache in database 3, the broker's bindings in database 4.
    cached = redis.Redis(port=data_port, db=3)
    assert list(cached.scan_iter("*sentinel-check")) == [b":1:sentinel-check"]
    assert redis.Redis(port=data_port, db=4).exists("_kombu.binding.default") == 1
