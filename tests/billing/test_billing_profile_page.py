"""The billing-profile page: owners and billing admins set buyer reference, Leitweg-ID, billing e-mail address and
e-invoice format; refusals in the user's language, changes audited; others are refused."""

from __future__ import annotations

import pytest

from billing.documents.models import BillingProfile
from tenants.choices import Role
from tenants.models import AuditEvent, Organization
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def signed_in(client, organization, role):
    client.force_login(MembershipFactory.create(organization=organization, role=role).user)
    return client


def test_a_billing_admin_saves_the_profile_and_it_is_audited(client, customer):
    signed_in(client, customer, Role.BILLING)
    url = f"/orgs/{customer.slug}/billing-profile/"

    page = client.get(url)
    saved = client.post(
        url,
        {
            "buyer_reference": "Kostenstelle 12",
            "leitweg_id": "991-33333test-33",
            "billing_email": "AP@Rheinwerk.example",
            "e_invoice_format": "both",
        },
        follow=True,
    )

    assert page.status_code == 200
    assert f'href="{url}"' in page.content.decode()  # in the navigation, next to Invoices
    assert saved.redirect_chain == [(url, 302)]
    assert "The billing profile was saved." in saved.content.decode()
    profile = BillingProfile.objects.for_organization(customer).get()
    assert (profile.buyer_reference, profile.leitweg_id, profile.e_invoice_format) == (
        "Kostenstelle 12",
        "991-33333TEST-33",
        "both",
    )
    assert Organization.objects.get(pk=customer.pk).billing_email == "ap@rheinwerk.example"
    event = AuditEvent.objects.unscoped().get(action="billing.profile_updated")
    assert event.data["after"] == {
        "buyer_reference": "Kostenstelle 12",
        "leitweg_id": "991-33333TEST-33",
        "e_invoice_format": "both",
        "billing_email": "ap@rheinwerk.example",
    }


@pytest.mark.parametrize(
    ("language", "messages"),
    [
        (
            "de",
            [
                "991-33333TEST-34 ist keine gültige Leitweg-ID (Format und Prüfziffern werden geprüft).",
                "Die Käuferreferenz hat 201 Zeichen; erlaubt sind höchstens 200.",
                "keine-adresse ist keine gültige E-Mail-Adresse.",
            ],
        ),
        (
            "en",
            [
                "991-33333TEST-34 is not a valid Leitweg-ID (format and check digits are checked).",
                "The buyer reference has 201 characters; at most 200 are allowed.",
                "keine-adresse is not a valid e-mail address.",
            ],
        ),
    ],
)
def test_bad_input_is_refused_in_the_users_language_and_nothing_changes(client, customer, language, messages):
    signed_in(client, customer, Role.OWNER)
    before = Organization.objects.get(pk=customer.pk).billing_email

    response = client.post(
        f"/orgs/{customer.slug}/billing-profile/",
        {
            "buyer_reference": "P" * 201,
            "leitweg_id": "991-33333TEST-34",
            "billing_email": "keine-adresse",
            "e_invoice_format": "xrechnung",
        },
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 200
    content = response.content.decode()
    for message in messages:
        assert message in content
    assert not BillingProfile.objects.for_organization(customer).exists()
    assert Organization.objects.get(pk=customer.pk).billing_email == before
    assert not AuditEvent.objects.unscoped().filter(action="billing.profile_updated").exists()


def test_a_member_without_billing_manage_is_refused_and_sees_no_link(client, customer):
    signed_in(client, customer, Role.MEMBER)

    response = client.post(
        f"/orgs/{customer.slug}/billing-profile/", {"buyer_reference": "X", "e_invoice_format": "both"}
    )

    assert response.status_code == 403
    assert "billing-profile" not in client.get("/dashboard/").content.decode()
    assert not BillingProfile.objects.for_organization(customer).exists()
