"""The usage API: the organization's records only, filtered, paginated by cursor, in a constant number of queries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metering.choices import Meter
from metering.models import UsageRecord
from tenants.choices import Role
from tests.billing.usage import reservation, usage
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
__all__ = ["reservation"]


def utc(day: int, hour: int) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def user_with(organization, role):
    return MembershipFactory.create(organization=organization, role=role).user


@pytest.fixture
def records(reservation) -> list[UsageRecord]:
    return [
        usage(reservation, utc(5, 10), 14400, "3.1234"),
        usage(reservation, utc(5, 11), 7200, "3.1234"),
        usage(reservation, utc(6, 10), 3600, "0.8800", Meter.LICENSE_GPU_SECONDS),
    ]


def url(organization) -> str:
    return f"/api/v1/organizations/{organization.slug}/usage/"


def test_lists_the_organizations_usage_newest_first(client_for, customer, records):
    api = client_for(user_with(customer, Role.BILLING))

    response = api.get(url(customer))

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": record.pk,
            "reservation": record.reservation_id,
            "instance": None,
            "meter": str(record.meter),
            "hour": record.hour.isoformat().replace("+00:00", "Z"),
            "quantity": record.quantity,
            "flavor": "b200-x4",
            "unit_price": str(record.unit_price),
            "invoiced": False,
        }
        for record in reversed(records)
    ]


def test_filters_by_hour_reservation_flavor_and_meter(client_for, customer, records, reservation):
    api = client_for(user_with(customer, Role.BILLING))

    def ids(**query: object) -> list[int]:
        response = api.get(url(customer), query)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    first, second, third = (record.pk for record in records)
    assert ids(since="2026-10-05T11:00:00Z") == [third, second]
    assert ids(until="2026-10-05T11:00:00Z") == [first]
    assert ids(since="2026-10-05T10:00:00Z", until="2026-10-06T00:00:00Z") == [second, first]
    assert ids(reservation=reservation.pk) == [third, second, first]
    assert ids(reservation=reservation.pk + 1000) == []
    assert ids(flavor="b200-x4") == [third, second, first]
    assert ids(flavor="b200-x8") == []
    assert ids(meter=Meter.LICENSE_GPU_SECONDS) == [third]
    assert api.get(url(customer), {"meter": "bitcoin"}).status_code == 400
    assert api.get(url(customer), {"since": "yesterday"}).status_code == 400


def test_pages_with_a_cursor(client_for, customer, records):
    api = client_for(user_with(customer, Role.BILLING))

    first = api.get(url(customer), {"page_size": 2}).json()
    second = api.get(first["next"]).json()

    assert [row["id"] for row in first["results"] + second["results"]] == [r.pk for r in reversed(records)]
    assert second["next"] is None


def test_uses_a_constant_number_of_queries(client_for, customer, reservation):
    api = client_for(user_with(customer, Role.BILLING))
    usage(reservation, utc(5, 10), 3600, "1.0000")
    with CaptureQueriesContext(connection) as one:
        assert len(api.get(url(customer)).json()["results"]) == 1
    for hour in range(11, 20):
        usage(reservation, utc(5, hour), 3600, "1.0000")

    with CaptureQueriesContext(connection) as many:
        assert len(api.get(url(customer)).json()["results"]) == 10

    assert len(many) == len(one)


def test_another_organization_is_404_and_a_member_without_billing_view_403(client_for, customer, records):
    other = OrganizationFactory.create(legal_name="Andere GmbH", slug="andere")
    outsider = client_for(user_with(other, Role.OWNER))
    assert outsider.get(url(customer)).status_code == 404
    assert outsider.get(url(other)).json()["results"] == []

    member = client_for(user_with(customer, Role.MEMBER))
    assert member.get(url(customer)).status_code == 403
    assert UsageRecord.objects.unscoped().count() == 3
