"""The OpenAPI schema describes what the API answers: objects as objects, lists as paginated lists, and the
statuses the input checks add (405 with Allow, 429 on sign-up, 403 for a refusal of who asks)."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tenants.models import Membership
from tests.reservations.conftest import catalog, customer  # noqa: F401

pytestmark = pytest.mark.django_db
ORG = "/api/v1/organizations/{organization_slug}"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize(
    ("path", "component"),
    [(f"{ORG}/consents/", "ConsentStatus"), (f"{ORG}/availability/", "Availability")],
)
def test_object_answers_are_documented_as_objects_not_paginated_lists(schema, path, component):
    answer = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    assert answer == {"$ref": f"#/components/schemas/{component}"}


def test_the_consents_answer_has_the_documented_shape(customer):  # noqa: F811
    client = APIClient()
    client.force_authenticate(Membership.objects.for_organization(customer).get().user)

    response = client.get("/api/v1/organizations/rheinwerk/consents/")

    assert (response.status_code, response.json()) == (200, {"missing": []})


def test_sign_up_documents_its_one_answer(schema):
    responses = schema["paths"]["/api/v1/signup/"]["post"]["responses"]

    assert responses["202"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SignupResult"}
    assert "201" not in responses
