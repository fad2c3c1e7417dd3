"""The broker (Redis, no persistence) restarts empty while 20 reservations are being provisioned: the workers keep
running (kombu's ``restore_unacked`` crash is worked around, portal/kombu_fixes.py), reconnect, and the sweeper
re-drives what the lost messages were doing, so every reservation ends active with one server per instance."""

from __future__ import annotations

import kombu
import pytest
from kombu.simple import SimpleQueue
from kombu.transport import redis as redis_transport

from provisioning.models import SimulatedServer
from tests.faults.harness import wait_until
from tests.faults.provisioning import active, book_and_start, servers_per_instance, states, sweep

pytestmark = pytest.mark.django_db(transaction=True)


def test_broker_restarted_empty_mid_provisioning_ends_all_active_with_workers_alive(
    broker, start_worker, fault_inventory, customer, make_quote, settings
):
    settings.KONTOR_SWEEP_STALE_SECONDS = 3  # the sweeper's threshold, lowered from ten minutes
    workers = [start_worker("outage-a"), start_worker("outage-b")]
    ids = book_and_start(organization=customer, make_quote=make_quote, count=20)

    # Mid-provisioning: some servers are booting (their polls are messages held by the workers), none is done.
    assert wait_until(lambda: SimulatedServer.objects.count() >= 4, timeout=60), [w.output()[-3000:] for w in workers]
    assert active(ids) < 20
    broker.restart_empty()
    assert broker.keys() == 0

    def healed() -> bool:
        sweep()
        return active(ids) == 20

    assert wait_until(healed, timeout=90, interval=2), states(ids)
    alive = [worker.alive() for worker in workers]
    logs = [(worker.process.returncode, worker.output()[-4000:]) for worker in workers]
    assert alive == [True, True], logs
    assert [worker.crashed() for worker in workers] == [False, False], logs
    assert set(servers_per_instance(ids).values()) == {1}
    assert len(servers_per_instance(ids)) == 20


def delivered_then_collected(broker):
    """A channel holding a delivered, unacknowledged message, whose connection ``collect()`` detached from its
    transport — the state Celery's consumer leaves before it closes the connection after a broker failure."""
    with kombu.Connection(broker.url(3)) as producer:
        producer.SimpleQueue("kombu-fix").put({"n": 1})
    consumer = kombu.Connection(broker.url(3))
    channel = consumer.default_channel
    assert SimpleQueue(channel, "kombu-fix").get(timeout=5).payload == {"n": 1}
    consumer._do_close_transport()  # what collect() ends with: transport.client = None
    return channel


def test_closing_a_collected_channel_with_unacked_messages_does_not_raise(broker):
    channel = delivered_then_collected(broker)

    channel.close()  # unpatched kombu raises AttributeError here, which stops a worker

    with kombu.Connection(broker.url(3)) as inspector:  # Redis kept its data: the visibility timeout restores it
        assert inspector.default_channel.client.zcard("unacked_index") == 1


def test_the_pinned_kombu_still_needs_the_fix(broker, monkeypatch):
    """When this fails, kombu fixed ``restore_unacked`` after ``collect()``: remove portal/kombu_fixes.py."""
    monkeypatch.setattr(redis_transport.QoS, "restore_unacked", redis_transport.QoS.restore_unacked.__wrapped__)
    channel = delivered_then_collected(broker)

    with pytest.raises(AttributeError, match="hostname"):
        channel.close()
