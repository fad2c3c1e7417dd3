"""Worker processes SIGKILLed in the middle of provisioning: their unacknowledged messages come back after the
visibility timeout (or the sweeper re-drives the work), every reservation ends active, one server per instance."""

from __future__ import annotations

import pytest

from provisioning.models import SimulatedServer
from tests.faults.harness import wait_until
from tests.faults.provisioning import active, book_and_start, servers_per_instance, states, sweep

pytestmark = pytest.mark.django_db(transaction=True)


def test_workers_killed_mid_provisioning_end_all_active_with_one_server_each(
    broker, start_worker, fault_inventory, customer, make_quote, settings
):
    settings.KONTOR_SWEEP_STALE_SECONDS = 3
    first, second = start_worker("kill-a"), start_worker("kill-b")
    ids = book_and_start(organization=customer, make_quote=make_quote, count=12)

    assert wait_until(lambda: SimulatedServer.objects.count() >= 3, timeout=60)
    first.kill()
    assert wait_until(lambda: SimulatedServer.objects.count() >= 6, timeout=60)
    second.kill()
    survivors = [start_worker("kill-c"), start_worker("kill-d")]

    def healed() -> bool:
        sweep()
        return active(ids) == 12

    assert wait_until(healed, timeout=90, interval=2), states(ids)
    counts = servers_per_instance(ids)
    assert (len(counts), set(counts.values())) == (12, {1})
    assert [worker.alive() for worker in survivors] == [True, True]
