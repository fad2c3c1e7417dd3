"""/metrics: bearer token, exact business figures from the database, queue depth from the broker."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from portal.celery import app
from portal.tasks import beat_heartbeat
from reservations.choices import ReservationState
from reservations.models import Reservation
from reservations.services import reservation_create, reservation_transition
from tenants.audit import Actor
from tests.reservations.conftest import catalog, customer, make_quote, small_inventory

pytestmark = pytest.mark.django_db
__all__ = ["catalog", "customer", "make_quote", "small_inventory"]
TOKEN = "scrape-token-5d1e0c"


def samples(response) -> dict[tuple[str, tuple], float]:
    text = response.content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_are_off_without_a_token_and_refused_without_the_right_one(client, settings):
    settings.KONTOR_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404

    settings.KONTOR_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_metrics_show_bookings_invoices_and_queue_depth(client, settings, small_inventory, customer, make_quote):
    settings.KONTOR_METRICS_TOKEN = TOKEN
    actor = Actor.system("test")
    for _ in range(2):
        reservation_create(actor=actor, organization=customer, quote=make_quote(count=1))
    reservation_transition(
        actor=actor, reservation=Reservation.objects.unscoped().first(), to_state=ReservationState.CANCELLED
    )
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("documents")  # type: ignore[attr-defined]
        connection.default_channel.client.rpush("documents", b"{}", b"{}", b"{}")  # type: ignore[attr-defined]
    try:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    finally:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge("documents")  # type: ignore[attr-defined]

    assert (response.status_code, response["Content-Type"]) == (200, "text/plain; version=0.0.4; charset=utf-8")
    figures = samples(response)
    states = {ReservationState(s).value for s in ReservationState.values}
    booked = {state: figures[("kontor_reservations", (("state", state),))] for state in states}
    assert {state: count for state, count in booked.items() if count} == {"scheduled": 1.0, "cancelled": 1.0}
    assert figures[("kontor_celery_queue_depth", (("queue", "documents"),))] == 3.0
    assert figures[("kontor_invoices", (("status", "draft"),))] == 0.0
    assert figures[("kontor_invoice_files_rendered", (("kind", "pdf"),))] == 0.0
    assert figures[("kontor_provisioning_stuck", ())] == 0.0
    assert ("kontor_metering_lag_seconds", ()) not in figures  # nothing metered yet


def test_requests_queries_and_tasks_are_counted_by_route_and_outcome(client, settings):
    settings.KONTOR_METRICS_TOKEN = TOKEN
    scrape = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    before = samples(client.get("/metrics", **scrape))

    assert client.get("/readyz").status_code == 200
    assert client.get("/api/v1/no-such-thing/").status_code == 404
    beat_heartbeat.apply()
    after = samples(client.get("/metrics", **scrape))

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("kontor_http_requests_total", route="readyz", method="GET", status="200") == 1.0
    assert grew("kontor_http_requests_total", route="api-not-found", method="GET", status="404") == 1.0
    assert grew("kontor_http_request_duration_seconds_count", route="readyz", method="GET") == 1.0
    assert grew("kontor_db_queries_total", route="readyz") >= 1.0  # the database check
    assert grew("kontor_celery_tasks_total", task="portal.tasks.beat_heartbeat", outcome="success") == 1.0
    assert grew("kontor_celery_task_duration_seconds_count", task="portal.tasks.beat_heartbeat") == 1.0
    # The webhooks app's signals are there too, from the database (none in this test).
    assert after[("kontor_webhook_deliveries", (("status", "failed"),))] == 0.0
    assert after[("kontor_webhook_deliveries_stuck", ())] == 0.0
