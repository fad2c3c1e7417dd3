"""The e-invoicing profile through the API: billing managers set it, others read it, outsiders get a 404."""

from __future__ import annotations

import pytest

from billing.documents.models import BillingProfile
from tenants.choices import Role
from tenants.models import AuditEvent
from tests.catalog.test_api import csrf_client
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def user_with(organization, role):
    return MembershipFactory.create(organization=organization, role=role).user


def test_a_billing_manager_sets_the_profile_and_reads_it_back(client_for, customer):
    api = csrf_client(client_for(user_with(customer, Role.BILLING)))
    url = f"/api/v1/organizations/{customer.slug}/billing-profile/"

    before = api.get(url)
    put = api.put(
        url,
        {"buyer_reference": " PO-2026-17 ", "leitweg_id": "991-33333test-33", "e_invoice_format": "both"},
        format="json",
    )

    assert (before.status_code, before.json()) == (
        200,
        {"buyer_reference": "", "leitweg_id": "", "e_invoice_format": "facturx", "billing_email": ""},
    )
    assert (put.status_code, put.json()) == (
        200,
        {
            "buyer_reference": "PO-2026-17",
            "leitweg_id": "991-33333TEST-33",
            "e_invoice_format": "both",
            "billing_email": "",
        },
    )
    assert api.get(url).json() == put.json()
    assert list(
        AuditEvent.objects.for_organization(customer)
        .filter(action="billing.profile_updated")
        .values_list("data", flat=True)
    ) == [
        {
            "before": {"buyer_reference": "", "leitweg_id": "", "e_invoice_format": "facturx", "billing_email": ""},
            "after": {
                "buyer_reference": "PO-2026-17",
                "leitweg_id": "991-33333TEST-33",
                "e_invoice_format": "both",
                "billing_email": "",
            },
        }
    ]


def test_a_wrong_leitweg_id_is_refused_in_the_error_shape_and_nothing_changes(client_for, customer):
    api = csrf_client(client_for(user_with(customer, Role.BILLING)))
    url = f"/api/v1/organizations/{customer.slug}/billing-profile/"

    refused = api.put(url, {"leitweg_id": "991-33333TEST-34", "e_invoice_format": "xrechnung"}, format="json")

    assert refused.status_code == 400
    assert list(refused.json()["fields"]) == ["leitweg_id"]
    assert "991-33333TEST-34 is not a valid Leitweg-ID" in refused.json()["fields"]["leitweg_id"][0]
    assert BillingProfile.objects.for_organization(customer).count() == 0
    assert AuditEvent.objects.for_organization(customer).filter(action="billing.profile_updated").count() == 0


def test_members_may_not_change_it_and_outsiders_do_not_see_it(client_for, customer):
    url = f"/api/v1/organizations/{customer.slug}/billing-profile/"
    member = csrf_client(client_for(user_with(customer, Role.MEMBER)))
    other = OrganizationFactory.create(legal_name="Andere GmbH", slug="andere")
    body = {"buyer_reference": "X", "leitweg_id": "", "e_invoice_format": "both"}

    assert member.put(url, body, format="json").status_code == 403
    outsider = csrf_client(client_for(user_with(other, Role.OWNER)))
    assert outsider.get(url).status_code == 404
    assert outsider.put(url, body, format="json").status_code == 404
    assert BillingProfile.objects.unscoped().count() == 0
