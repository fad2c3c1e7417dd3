"""Every domain event becomes outbox rows in the transaction of its change: no event without its change, no change
without its event. The rows' delivery tasks are queued after the commit."""

from __future__ import annotations

from core.events import Event, ReadAhead, subscribe
from webhooks.selectors import live_endpoints_statement
from webhooks.services import deliveries_record, deliveries_record_many, deliveries_wanted, deliveries_wanted_from


@subscribe(
    during_transaction=True,
    batch=deliveries_record_many,
    writes_for=deliveries_wanted,
    read_ahead=ReadAhead(statement=live_endpoints_statement, writes_for=deliveries_wanted_from),
)
def record_webhook_deliveries(event: Event) -> None:
    deliveries_record(event)
