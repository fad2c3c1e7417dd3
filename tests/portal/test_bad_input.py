"""No 5xx from input: undeclared methods, datetimes out of range, deep or unholdable JSON, bad page sizes — each a
400 or 405 in the one error shape, and nothing stored."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tenants.models import AuditEvent, Membership, Organization, User
from tests.reservations.conftest import catalog, customer, hour, make_quote, small_inventory  # noqa: F401
from tests.reservations.test_web import snapshot

pytestmark = pytest.mark.django_db
ORG = "/api/v1/organizations/rheinwerk"
OFFSET_ERROR = "Use a UTC offset between -14:00 and +14:00."
YEAR_ERROR = "Use a date between the years 2000 and 2100."


@pytest.fixture
def member(customer):  # noqa: F811
    client = APIClient()
    client.force_authenticate(Membership.objects.for_organization(customer).get().user)
    return client


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("put", f"{ORG}/reservations/", "GET, POST, HEAD"),
        ("options", f"{ORG}/reservations/", "GET, POST, HEAD"),
        ("trace", f"{ORG}/reservations/", "GET, POST, HEAD"),
        ("get", f"{ORG}/reservations/1/extend/", "POST"),
        ("delete", f"{ORG}/audit-events/", "GET, HEAD"),
        ("patch", f"{ORG}/members/leave/", "POST"),
    ],
)
def test_an_undeclared_method_answers_405_with_allow(member, method, path, allow):
    response = getattr(member, method)(path)

    assert response.status_code == 405
    assert response["Allow"] == allow
    assert response.json() == {
        "detail": f'Method "{method.upper()}" not allowed.',
        "code": "method_not_allowed",
        "fields": {},
    }


@pytest.mark.parametrize(
    ("path", "field", "message"),
    [
        ("/api/v1/catalog/prices/?at=2026-12-10T10:00:00-18:00", "at", OFFSET_ERROR),
        ("/api/v1/catalog/prices/?at=9998-12-10T10:00:00%2B01:00", "at", YEAR_ERROR),
        (f"{ORG}/audit-events/?since=2026-12-10T10:00:00-18:00", "since", OFFSET_ERROR),
        (f"{ORG}/audit-events/?until=1999-12-31T22:59:59Z", "until", YEAR_ERROR),
        (f"{ORG}/usage/?since=2026-12-10T10:00:00%2B15:00", "since", OFFSET_ERROR),
        (f"{ORG}/usage/?until=2101-01-01T00:00:00Z", "until", YEAR_ERROR),
        (
            f"{ORG}/availability/?flavor=b200-x4&instance_count=1&kind=reserved&starts_at=0040-01-01T00:00:00Z"
            "&ends_at=2027-02-01T00:00:00Z",
            "starts_at",
            YEAR_ERROR,
        ),
    ],
)
def test_a_datetime_out_of_range_is_a_400_on_every_read(catalog, member, path, field, message):  # noqa: F811
    response = member.get(path)

    assert response.status_code == 400
    assert response.json()["fields"] == {field: [message]}


def test_an_extension_into_year_9998_is_a_400_and_changes_nothing(small_inventory, customer, make_quote, member):  # noqa: F811
    reservation = member.post(f"{ORG}/reservations/", {"quote": make_quote().pk}, format="json").json()
    before = snapshot(customer)

    response = member.post(
        f"{ORG}/reservations/{reservation['id']}/extend/", {"ends_at": "9998-12-01T00:00:00Z"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request has invalid fields.",
        "code": "invalid",
        "fields": {"ends_at": [YEAR_ERROR]},
    }
    assert snapshot(customer) == before


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("body", "code", "detail"),
    [
        (nested(1000), "too_deeply_nested", "The JSON body is nested more than 32 levels deep."),
        (
            '{"legal_name": ' + nested(33) + "}",
            "too_deeply_nested",
            "The JSON body is nested more than 32 levels deep.",
        ),
        (
            '{"language": "\\ud800"}',
            "invalid_characters",
            "The JSON body contains a NUL character or a lone surrogate.",
        ),
        (
            '{"legal_name": "Rhein\\u0000werk"}',
            "invalid_characters",
            "The JSON body contains a NUL character or a lone surrogate.",
        ),
        ('{"\\udfff": 1}', "invalid_characters", "The JSON body contains a NUL character or a lone surrogate."),
    ],
)
def test_unholdable_json_is_refused_before_anything_reads_it(db, body, code, detail):
    before = (Organization.objects.count(), User.objects.count(), AuditEvent.objects.unscoped().count())

    response = APIClient().post("/api/v1/signup/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    if detail is not None:
        assert response.json() == {"detail": detail, "code": code, "fields": {}}
    assert (Organization.objects.count(), User.objects.count(), AuditEvent.objects.unscoped().count()) == before


@pytest.mark.parametrize("page_size", ["-5", "abc", "0", "201", "1e2", "٣"])
def test_a_page_size_outside_1_to_200_is_a_400(member, page_size):
    response = member.get(f"{ORG}/audit-events/", {"page_size": page_size})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request has invalid fields.",
        "code": "invalid",
        "fields": {"page_size": ["Give a page size from 1 to 200."]},
    }


@pytest.mark.parametrize("page_size", ["1", "200"])
def test_a_page_size_from_1_to_200_is_accepted(member, page_size):
    assert member.get(f"{ORG}/audit-events/", {"page_size": page_size}).status_code == 200
