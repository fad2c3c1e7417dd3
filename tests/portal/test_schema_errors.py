"""Every operation documents the error statuses it can answer, in the one error shape, with their codes; and the bug
classes schemathesis found stay fixed (a bad cursor is a 400, blank e-mails and platform audit events match the
schema, accepting documents answers what it documents)."""

from __future__ import annotations

import pytest
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tenants.audit import Actor, audit_record
from tenants.models import Membership
from tests.reservations.conftest import catalog, customer  # noqa: F401

pytestmark = pytest.mark.django_db
ORG = "/api/v1/organizations/{organization_slug}"
ERROR = {"$ref": "#/components/schemas/Error"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_error_answer_of_every_operation_has_the_one_shape_and_lists_its_codes(schema):
    problems = [
        (method, path, status)
        for path, method, operation in operations(schema)
        for status, response in operation["responses"].items()
        if status[0] in "45"
        and (response["content"] != {"application/json": {"schema": ERROR}} or not response["x-error-codes"])
    ]

    assert problems == []
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "detail", "fields"]


def test_every_operation_documents_what_the_shared_plumbing_answers(schema):
    missing = []
    for path, method, operation in operations(schema):
        statuses = set(operation["responses"])
        expected = {"401", "406"}
        if "{" in path:
            expected.add("404")
        if "requestBody" in operation:
            expected |= {"400", "413", "415"}
        if any(parameter["in"] == "query" for parameter in operation.get("parameters", [])):
            expected.add("400")
        if not expected <= statuses:
            missing.append((method, path, sorted(expected - statuses)))

    assert missing == []


def test_an_organization_operation_lists_authentication_role_and_scope_refusals(schema):
    responses = schema["paths"][f"{ORG}/invoices/"]["get"]["responses"]

    assert responses["401"]["x-error-codes"] == ["authentication_failed", "not_authenticated"]
    assert responses["403"]["x-error-codes"] == ["permission_denied"]
    assert responses["404"]["x-error-codes"] == ["not_found"]
    assert responses["400"]["x-error-codes"] == ["invalid"]  # page_size, cursor


def test_a_public_read_has_no_403_and_only_a_wrong_key_is_a_401(schema):
    responses = schema["paths"]["/api/v1/catalog/items/"]["get"]["responses"]

    assert "403" not in responses
    assert responses["401"]["x-error-codes"] == ["authentication_failed"]


def test_booking_lists_the_rules_refusals_and_the_conflicts_the_view_declares(schema):
    responses = schema["paths"][f"{ORG}/reservations/"]["post"]["responses"]

    assert {"no_capacity", "idempotency_in_progress"} <= set(responses["409"]["x-error-codes"])
    assert {"quota_exceeded", "consent_required", "window_too_long", "parse_error", "too_deeply_nested"} <= set(
        responses["400"]["x-error-codes"]
    )
    assert responses["422"]["x-error-codes"] == ["idempotency_key_reused"]
    assert "Retry-After" in responses["409"]["headers"]
    assert "`no_capacity`" in responses["409"]["description"]


def test_an_operation_with_an_idempotency_key_header_says_how_replays_work(schema):
    operation = schema["paths"][f"{ORG}/reservations/"]["post"]

    assert "Idempotency-Key" in [parameter["name"] for parameter in operation["parameters"]]
    assert "answers with the original status and body" in operation["description"]


def test_a_throttled_operation_documents_429_with_retry_after_and_the_rate_limit_headers(schema):
    responses = schema["paths"]["/api/v1/signup/"]["post"]["responses"]

    assert responses["429"]["x-error-codes"] == ["throttled"]
    assert responses["429"]["headers"]["Retry-After"]["required"] is True
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(responses["429"]["headers"])
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(responses["202"]["headers"])


def test_the_cloud_being_down_is_a_documented_503_on_instance_actions(schema):
    path = f"{ORG}/reservations/{{reservation_pk}}/instances/{{index}}/reboot/"
    responses = schema["paths"][path]["post"]["responses"]

    assert responses["503"]["x-error-codes"] == ["cloud_unavailable"]


# --- the bug classes the fuzzing run found --------------------------------------------------------------------------


@pytest.mark.parametrize("cursor", ["not-base64!", "cD1hYmM=", "%C3%BC"])  # junk, "p=abc" for an integer ordering
def test_a_cursor_the_api_did_not_hand_out_is_a_400_on_the_cursor_not_a_404(customer, cursor):  # noqa: F811
    client = APIClient()
    client.force_authenticate(Membership.objects.for_organization(customer).get().user)

    response = client.get(f"/api/v1/organizations/rheinwerk/reservations/?cursor={cursor}")

    assert (response.status_code, response.json()) == (
        400,
        {
            "detail": "The request has invalid fields.",
            "code": "invalid",
            "fields": {"cursor": ["This cursor is not valid: use a link from a list answer."]},
        },
    )


def test_a_field_that_may_be_blank_claims_no_format_an_empty_string_breaks(schema):
    billing_email = schema["components"]["schemas"]["ApprovalQueue"]["properties"]["billing_email"]

    assert "format" not in billing_email


def test_a_platform_audit_event_has_no_organization_and_the_schema_allows_it(schema, operator):
    with transaction.atomic():
        audit_record(actor=Actor.for_user(operator), action="operator.test", target=operator, organization=None)
    client = APIClient()
    client.force_authenticate(operator)

    response = client.get("/api/v1/ops/audit-events/")

    assert [event["organization"] for event in response.json()["results"]] == [None]
    assert schema["components"]["schemas"]["AuditEvent"]["properties"]["organization"]["type"] == ["string", "null"]


def test_accepting_documents_answers_the_200_it_documents(schema, customer):  # noqa: F811
    client = APIClient()
    client.force_authenticate(Membership.objects.for_organization(customer).get().user)

    response = client.post("/api/v1/organizations/rheinwerk/consents/", {"documents": []}, format="json")

    assert (response.status_code, response.json()) == (200, {"missing": []})
    assert set(schema["paths"][f"{ORG}/consents/"]["post"]["responses"]) >= {"200"}
    assert "201" not in schema["paths"][f"{ORG}/consents/"]["post"]["responses"]
