"""The invoice pages and the invoice API: organization-scoped lists and downloads of the stored files."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.invoices.rendering import invoice_files_render
from billing.models import InvoiceFile
from tenants.choices import Role
from tests.billing.invoice_files import finalized, seller_bank
from tests.billing.usage import reservation, usage
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
__all__ = ["reservation", "seller_bank"]


@pytest.fixture
def invoice(reservation, customer, seller_bank):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    document = finalized(customer)
    invoice_files_render(invoice_id=document.pk)
    return document


def user_with(organization, role):
    return MembershipFactory.create(organization=organization, role=role).user


def test_the_list_page_shows_the_invoice_and_its_downloads(client, customer, invoice):
    client.force_login(user_with(customer, Role.BILLING))

    page = client.get(f"/orgs/{customer.slug}/invoices/")
    pdf = client.get(f"/orgs/{customer.slug}/invoices/{invoice.pk}/pdf/")
    xml = client.get(f"/orgs/{customer.slug}/invoices/{invoice.pk}/xml/")

    assert page.status_code == 200
    assert invoice.number in page.content.decode()
    assert f"/orgs/{customer.slug}/invoices/{invoice.pk}/pdf/" in page.content.decode()
    assert (pdf.status_code, pdf["Content-Type"], pdf.content[:5]) == (200, "application/pdf", b"%PDF-")
    assert pdf["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    stored_xml = InvoiceFile.objects.unscoped().get(invoice=invoice, kind="xml")
    with stored_xml.file.open("rb") as handle:
        assert (xml.status_code, xml["Content-Type"], xml.content) == (200, "application/xml", handle.read())


def test_another_organizations_invoice_is_a_404(client, customer, invoice):
    other = OrganizationFactory.create(legal_name="Andere GmbH", slug="andere")
    client.force_login(user_with(other, Role.OWNER))

    assert client.get(f"/orgs/{other.slug}/invoices/{invoice.pk}/pdf/").status_code == 404
    assert client.get(f"/orgs/{customer.slug}/invoices/").status_code == 404
    assert invoice.number not in client.get(f"/orgs/{other.slug}/invoices/").content.decode()


def test_a_member_without_billing_view_is_refused(client, customer, invoice):
    client.force_login(user_with(customer, Role.MEMBER))

    assert client.get(f"/orgs/{customer.slug}/invoices/").status_code == 403
    assert client.get(f"/orgs/{customer.slug}/invoices/{invoice.pk}/pdf/").status_code == 403


def test_the_api_lists_retrieves_and_downloads(client_for, customer, invoice):
    api = client_for(user_with(customer, Role.BILLING))
    base = f"/api/v1/organizations/{customer.slug}/invoices/"

    listed = api.get(base)
    detail = api.get(f"{base}{invoice.pk}/")
    xml = api.get(f"{base}{invoice.pk}/xml/")
    pdf = api.get(f"{base}{invoice.pk}/pdf/")

    assert listed.status_code == 200
    assert [(row["number"], row["gross_amount"], row["files"]) for row in listed.json()["results"]] == [
        (invoice.number, "1.19", ["pdf", "xml", "xrechnung"])
    ]
    assert [
        (line["position"], line["quantity"], line["net_amount"], line["service_start"], line["service_end"])
        for line in detail.json()["lines"]
    ] == [(1, "1.000000", "1.00", "2026-10-05", "2026-10-05")]
    assert (xml.status_code, xml["Content-Type"]) == (200, "application/xml")
    assert (pdf.status_code, pdf.content[:5]) == (200, b"%PDF-")
    xrechnung = api.get(f"{base}{invoice.pk}/xrechnung/")
    assert (xrechnung.status_code, xrechnung["Content-Type"]) == (200, "application/xml")
    assert xrechnung["Content-Disposition"] == f'attachment; filename="{invoice.number}.xrechnung.xml"'
    assert b"urn:xeinkauf.de:kosit:xrechnung_3.0" in xrechnung.content


def test_the_api_answers_another_organizations_download_with_404_and_a_member_with_403(client_for, customer, invoice):
    other = OrganizationFactory.create(legal_name="Andere GmbH", slug="andere")
    outsider = client_for(user_with(other, Role.OWNER))
    assert outsider.get(f"/api/v1/organizations/{other.slug}/invoices/{invoice.pk}/pdf/").status_code == 404
    assert outsider.get(f"/api/v1/organizations/{other.slug}/invoices/").json()["results"] == []

    member = client_for(user_with(customer, Role.MEMBER))
    assert member.get(f"/api/v1/organizations/{customer.slug}/invoices/").status_code == 403


def test_the_api_list_uses_a_constant_number_of_queries(client_for, reservation, customer, invoice):
    api = client_for(user_with(customer, Role.BILLING))
    url = f"/api/v1/organizations/{customer.slug}/invoices/"
    with CaptureQueriesContext(connection) as one:
        assert api.get(url).status_code == 200
    usage(reservation, datetime(2026, 9, 5, 10, tzinfo=UTC), 3600, "1.0000")
    second = finalized(customer, month=9)
    invoice_files_render(invoice_id=second.pk)

    with CaptureQueriesContext(connection) as two:
        assert len(api.get(url).json()["results"]) == 2

    assert len(two) == len(one)
