"""Every event type is documented in the OpenAPI description as a webhook with its versioned payload."""

from __future__ import annotations

from drf_spectacular.generators import SchemaGenerator

from webhooks.event_types import EVENT_TYPES, TEST_EVENT


def test_every_event_type_is_an_openapi_webhook_with_its_payload():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert schema["openapi"] == "3.1.0"
    assert list(schema["webhooks"]) == [*EVENT_TYPES, TEST_EVENT]
    body = schema["webhooks"]["reservation.active"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/ReservationEvent"}
    envelope = schema["components"]["schemas"]["ReservationEvent"]
    assert sorted(envelope["properties"]) == [
        "data",
        "event_id",
        "organization",
        "sequence",
        "subject",
        "timestamp",
        "type",
        "version",
    ]
    assert envelope["properties"]["data"] == {"$ref": "#/components/schemas/Reservation"}
    invoice = schema["webhooks"]["invoice.finalized"]["post"]["requestBody"]["content"]["application/json"]
    assert invoice["schema"] == {"$ref": "#/components/schemas/InvoiceEvent"}
