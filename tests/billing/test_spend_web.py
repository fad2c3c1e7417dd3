from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from tenants.choices import Role
from tests.billing.usage import reservation, usage  # noqa: F401  (fixture)
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 15, 12, 30, tzinfo=UTC)


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def test_page_shows_spend_and_chart(travel, reservation, customer, client):  # noqa: F811
    usage(reservation, datetime(2026, 3, 1, 0, tzinfo=UTC), 3600, "2.5000")
    usage(reservation, datetime(2026, 3, 2, 0, tzinfo=UTC), 5400, "1.0000")
    user = MembershipFactory.create(organization=customer, role=Role.BILLING).user
    client.force_login(user)
    response = client.get(f"/orgs/{customer.slug}/spend/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="spend-month-to-date">€4.00' in html
    assert html.count('class="spend-segment') == 2
    assert 'data-series="used" data-flavor="B200 ×4" data-gpu-hours="1.0000"' in html
    assert 'data-series="used" data-flavor="B200 ×4" data-gpu-hours="1.5000"' in html
    assert 'id="budget-form"' in html


def test_viewer_gets_403(travel, customer, client):
    user = MembershipFactory.create(organization=customer, role=Role.VIEWER).user
    client.force_login(user)
    assert client.get(f"/orgs/{customer.slug}/spend/").status_code == 403


def test_other_organization_is_404(travel, customer, client):
    other = OrganizationFactory.create(legal_name="Delft Digital Twins B.V.", slug="delft", country="NL")
    user = MembershipFactory.create(organization=other, role=Role.OWNER).user
    client.force_login(user)
    assert client.get(f"/orgs/{customer.slug}/spend/").status_code == 404
