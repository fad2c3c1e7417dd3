"""The ``data`` of each webhook payload: the same representation the REST API returns for the subject.

This module renders API representations, so it uses the apps' API serializers (like ``api/`` does); it is the
only webhooks module that does, and the domain code calls it through ``subject_representation``. Events whose
subject has no API representation (budget alerts) carry the event's own data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from billing.api.serializers import InvoiceSerializer
from billing.invoices.models import Invoice
from core.events import Event
from provisioning.models import Instance
from reservations.api.serializers import InstanceSerializer, ReservationSerializer
from reservations.models import QuotaRequest
from reservations.selectors import reservation_list
from tenants.api.serializers import OrganizationSerializer
from tenants.models import Organization


def _subject(event: Event) -> int:
    assert event.subject_id is not None  # builders run only for events about a subject
    return event.subject_id


def _reservation(event: Event, organization: Organization) -> dict[str, Any]:
    reservation = reservation_list(organization=organization).get(pk=_subject(event))
    return dict(ReservationSerializer(reservation).data)


def _instance(event: Event, organization: Organization) -> dict[str, Any]:
    instance = Instance.objects.for_organization(organization).get(pk=_subject(event))
    return {"id": instance.pk, "reservation": instance.reservation_id, **InstanceSerializer(instance).data}


def _invoice(event: Event, organization: Organization) -> dict[str, Any]:
    return dict(InvoiceSerializer(Invoice.objects.for_organization(organization).get(pk=_subject(event))).data)


def _quota_request(event: Event, organization: Organization) -> dict[str, Any]:
    request = QuotaRequest.objects.for_organization(organization).select_related("gpu_model").get(pk=_subject(event))
    return {
        "id": request.pk,
        "gpu_model": request.gpu_model.slug,
        "requested_gpus": request.requested_gpus,
        "status": request.status,
        "decision_note": request.decision_note,
        "decided_at": request.decided_at,
    }


def _organization(event: Event, organization: Organization) -> dict[str, Any]:
    return {**OrganizationSerializer(organization).data, "previous_status": event.data.get("from", "")}


BUILDERS: dict[str, Callable[[Event, Organization], dict[str, Any]]] = {
    "reservation": _reservation,
    "instance": _instance,
    "invoice": _invoice,
    "credit_note": _invoice,
    "quota_request": _quota_request,
    "organization": _organization,
}


def subject_representation(event: Event, organization: Organization) -> dict[str, Any]:
    """JSON-ready ``data`` for ``event``: the subject as the API shows it, or the event's data."""
    kind = event.name.split(".", 1)[0]
    builder = BUILDERS.get(kind)
    data: Mapping[str, Any] = (
        builder(event, organization)
        if builder is not None and (event.subject_id is not None or kind == "organization")
        else event.data
    )
    loaded: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return loaded
