"""The debounced enqueue of a drain (``core.tasks.enqueue_drain``): one message while its flag is set, a new one once
the drain cleared it or its TTL ran out, every writer publishes while the cache is down, and a publish that fails
leaves no flag behind."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest
from celery import shared_task
from django.core.cache import cache
from django.db import transaction

from core.tasks import drain_flag_clear, enqueue_drain, enqueue_drain_on_commit


@shared_task(name="tests.core.drain")
def drain_task() -> None:
    """A drain that does nothing; the tests count its messages."""


@pytest.fixture
def published(monkeypatch) -> Iterator[list[dict[str, object]]]:
    sent: list[dict[str, object]] = []
    monkeypatch.setattr(drain_task, "apply_async", lambda *args, **options: sent.append(options))
    drain_flag_clear("tests.core")
    yield sent
    drain_flag_clear("tests.core")


def test_one_message_while_the_flag_is_set_and_another_once_the_drain_cleared_it(published):
    assert [enqueue_drain(drain_task, flag="tests.core", ttl=30) for _ in range(3)] == [True, False, False]
    drain_flag_clear("tests.core")  # what the drain does first
    assert enqueue_drain(drain_task, flag="tests.core", ttl=30, countdown=5) is True

    assert published == [{}, {"countdown": 5}]


def test_a_flag_whose_drain_was_lost_expires_and_the_next_writer_publishes(published):
    assert enqueue_drain(drain_task, flag="tests.core", ttl=1) is True  # its message is lost
    assert enqueue_drain(drain_task, flag="tests.core", ttl=1) is False

    time.sleep(1.2)

    assert enqueue_drain(drain_task, flag="tests.core", ttl=1) is True
    assert len(published) == 2


def test_every_writer_publishes_while_the_cache_is_down(published, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    assert [enqueue_drain(drain_task, flag="tests.core", ttl=30) for _ in range(2)] == [True, True]
    drain_flag_clear("tests.core")  # logged, not raised
    assert len(published) == 2


def test_a_publish_that_fails_clears_the_flag_for_the_next_writer(monkeypatch):
    def broker_down(*args: object, **options: object) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(drain_task, "apply_async", broker_down)
    drain_flag_clear("tests.core")

    with pytest.raises(ConnectionError):
        enqueue_drain(drain_task, flag="tests.core", ttl=30)

    assert cache.get("kontor:drain:tests.core") is None


@pytest.mark.django_db
def test_the_drain_is_published_after_the_commit_and_never_after_a_rollback(
    published, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as rolled_back,
        contextlib.suppress(RuntimeError),
        transaction.atomic(),
    ):
        enqueue_drain_on_commit(drain_task, flag="tests.core", ttl=30)
        raise RuntimeError("the change failed")
    assert (rolled_back, published) == ([], [])

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_drain_on_commit(drain_task, flag="tests.core", ttl=30)
    assert published == [{}]


@pytest.mark.parametrize(("flag", "ttl", "error"), [("", 30, "non-empty"), ("a b", 30, "without spaces")])
def test_a_bad_flag_is_refused_in_the_writers_transaction(flag, ttl, error):
    with pytest.raises(ValueError, match=error):
        enqueue_drain_on_commit(drain_task, flag=flag, ttl=ttl)


def test_a_ttl_under_a_second_is_refused(published):
    with pytest.raises(ValueError, match="at least one second"):
        enqueue_drain(drain_task, flag="tests.core", ttl=0)
    assert published == []
