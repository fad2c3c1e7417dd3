"""The webhook payloads in the OpenAPI description (``SPECTACULAR_SETTINGS["WEBHOOKS"]``): one entry per event
type, each an envelope whose ``data`` is the subject as the API returns it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from billing.api.serializers import InvoiceSerializer
from reservations.api.serializers import InstanceSerializer, ReservationSerializer
from tenants.api.serializers import OrganizationSerializer
from webhooks.event_types import EVENT_TYPES, PAYLOAD_VERSION, TEST_EVENT

SIGNATURE = (
    "Signed with the Standard Webhooks scheme: headers `webhook-id` (the same on every retry and resend: "
    "deduplicate by it), `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "
    "id.timestamp.body>`, space-separated, two of them while a rotated secret overlaps). Answer 2xx within 5 "
    "seconds; anything else (redirects included, which are not followed) is retried with exponential back-off "
    "for 72 hours. Deliveries may arrive out of order: order a subject's events by `sequence`."
)


class EnvelopeSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=[*EVENT_TYPES, TEST_EVENT])
    version = serializers.CharField(help_text=f"The payload version, now {PAYLOAD_VERSION}.")
    event_id = serializers.CharField(help_text="The event's ID, the same for every endpoint that receives it.")
    timestamp = serializers.DateTimeField()
    organization = serializers.CharField(help_text="The organization's slug.")
    subject = serializers.CharField(help_text="What the event is about, as `<kind>:<id>`, e.g. `reservation:42`.")
    sequence = serializers.IntegerField(help_text="1, 2, 3... per subject, in the order the changes happened.")


class InstanceDataSerializer(InstanceSerializer):
    id = serializers.IntegerField()
    reservation = serializers.IntegerField()


class BudgetAlertDataSerializer(serializers.Serializer[Any]):
    month = serializers.CharField(help_text="YYYY-MM")
    threshold = serializers.CharField(help_text="50, 80 or 100 (per cent).")
    spent = serializers.DecimalField(max_digits=14, decimal_places=2)
    limit = serializers.DecimalField(max_digits=14, decimal_places=2)


class QuotaRequestDataSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    gpu_model = serializers.CharField()
    requested_gpus = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["approved", "rejected"])
    decision_note = serializers.CharField()
    decided_at = serializers.DateTimeField()


class OrganizationDataSerializer(OrganizationSerializer):
    previous_status = serializers.CharField()

    class Meta(OrganizationSerializer.Meta):
        fields = [*OrganizationSerializer.Meta.fields, "previous_status"]


class TestDataSerializer(serializers.Serializer[Any]):
    endpoint = serializers.IntegerField()
    message = serializers.CharField()


def _envelope(name: str, data: serializers.Field[Any, Any, Any, Any]) -> type[serializers.Serializer[Any]]:
    return type(name, (EnvelopeSerializer,), {"data": data, "__module__": __name__})


ReservationEventSerializer = _envelope("ReservationEvent", ReservationSerializer())
InstanceEventSerializer = _envelope("InstanceEvent", InstanceDataSerializer())
InvoiceEventSerializer = _envelope("InvoiceEvent", InvoiceSerializer())
BudgetEventSerializer = _envelope("BudgetThresholdEvent", BudgetAlertDataSerializer())
QuotaRequestEventSerializer = _envelope("QuotaRequestEvent", QuotaRequestDataSerializer())
OrganizationEventSerializer = _envelope("OrganizationEvent", OrganizationDataSerializer())
TestEventSerializer = _envelope("TestEvent", TestDataSerializer())

BY_KIND: dict[str, type[serializers.Serializer[Any]]] = {
    "reservation": ReservationEventSerializer,
    "instance": InstanceEventSerializer,
    "invoice": InvoiceEventSerializer,
    "credit_note": InvoiceEventSerializer,
    "budget": BudgetEventSerializer,
    "quota_request": QuotaRequestEventSerializer,
    "organization": OrganizationEventSerializer,
    "webhook": TestEventSerializer,
}
EXAMPLE = {
    "type": "budget.threshold_reached",
    "version": PAYLOAD_VERSION,
    "event_id": "evt_0f6c2b9e5d7a4c1e8b3a9d2f4e6c8a10",
    "timestamp": "2026-12-01T11:00:00+00:00",
    "organization": "rheinwerk",
    "subject": "organization:7",
    "sequence": 3,
    "data": {"month": "2026-12", "threshold": "80", "spent": "8000.00", "limit": "10000.00"},
}


def _webhook(event_type: str) -> OpenApiWebhook:
    serializer = BY_KIND[event_type.split(".", 1)[0]]
    examples = [OpenApiExample("A budget alert", value=EXAMPLE)] if event_type == "budget.threshold_reached" else []
    return OpenApiWebhook(
        name=event_type,
        decorator=extend_schema(
            summary=f"{event_type} (payload version {PAYLOAD_VERSION})",
            description=SIGNATURE,
            request={"application/json": serializer},
            examples=examples,
            responses={200: OpenApiResponse(description="Received (any 2xx).")},
        ),
    )


def setting_name(event_type: str) -> str:
    return event_type.replace(".", "_").upper()


# drf-spectacular imports each webhook by its path (``SPECTACULAR_SETTINGS["WEBHOOKS"]``).
for _event_type in (*EVENT_TYPES, TEST_EVENT):
    globals()[setting_name(_event_type)] = _webhook(_event_type)
