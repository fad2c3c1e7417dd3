"""Self-service sign-up through the API: validation, refusals that store nothing, verification, approval."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from tenants.choices import OrganizationStatus, Role
from tenants.models import AuditEvent, Consent, Membership, Organization, User
from tests.factories import OrganizationFactory

# Real commits: the e-mails and task sends happen after commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

VALID = {
    "legal_name": "Rheinwerk Robotics GmbH",
    "country": "DE",
    "street": "Werkstraße 1",
    "postal_code": "50667",
    "city": "Köln",
    "vat_id": "DE 136 695 976",
    "billing_email": "invoices@rheinwerk.example",
    "email": "Jonas@Rheinwerk.example",
    "full_name": "Jonas Weber",
    "password": "a long passphrase 2026",
    "language": "de",
    "accept_terms": True,
}


CHECK_YOUR_EMAIL = {
    "next_step": "Check your e-mail: we sent the next step to the address given. Confirm it with the link; we then "
    "review the sign-up."
}


def snapshot():
    return (
        Organization.objects.count(),
        User.objects.count(),
        Membership.objects.unscoped().count(),
        Consent.objects.unscoped().count(),
        AuditEvent.objects.unscoped().count(),
        len(mail.outbox),
    )


def signup(api_client, **overrides):
    return api_client.post("/api/v1/signup/", {**VALID, **overrides}, format="json")


def confirm_email(client):
    link = re.search(r"http://[^\s]+/accounts/confirm-email/[^\s/]+/", mail.outbox[-1].body).group(0)
    return client.post(link.split("8000", 1)[-1] if "8000" in link else link)


def test_signup_creates_the_pending_company_its_owner_and_the_evidence(api_client, legal_documents):
    response = signup(api_client)

    assert (response.status_code, response.json()) == (202, CHECK_YOUR_EMAIL)
    organization = Organization.objects.get()
    assert organization.slug == "rheinwerk-robotics-gmbh"
    assert (organization.status, organization.vat_id, organization.country, organization.city) == (
        OrganizationStatus.PENDING_VERIFICATION,
        "DE136695976",
        "DE",
        "Köln",
    )
    owner = User.objects.get()
    assert (owner.email, owner.full_name, owner.preferred_language) == ("jonas@rheinwerk.example", "Jonas Weber", "de")
    assert Membership.objects.for_organization(organization).get().role == Role.OWNER
    assert EmailAddress.objects.get(user=owner).verified is False
    assert sorted(Consent.objects.for_organization(organization).values_list("document__kind", flat=True)) == [
        "dpa",
        "privacy",
        "terms",
    ]
    assert list(AuditEvent.objects.for_organization(organization).order_by("id").values_list("action", flat=True)) == [
        "organization.created",
        "membership.created",
        "organization.signed_up",
        "consent.accepted",
        "consent.accepted",
        "consent.accepted",
    ]
    subjects = sorted(message.subject for message in mail.outbox)
    assert len(subjects) == 2  # our "we received it" note and allauth's verification link
    assert any("/accounts/confirm-email/" in message.body for message in mail.outbox)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"country": "US"}, "country", "Kontor serves companies in the EU, the EEA and Switzerland; US is not served."),
        ({"country": "XX"}, "country", "Kontor serves companies in the EU, the EEA and Switzerland; XX is not served."),
        (
            {"vat_id": "DE136695977"},
            "vat_id",
            "DE136695977 is not a valid VAT ID for DE (wrong format or check digit).",
        ),
        (
            {"vat_id": "FR40303265045"},
            "vat_id",
            "FR40303265045 is a VAT ID of another country (FR); the company is registered in DE.",
        ),
        ({"password": "short"}, "password", "This password is too short. It must contain at least 12 characters."),
        (
            {"accept_terms": False},
            "accept_terms",
            "Accept the Terms of Service, the Data Processing Agreement and the Privacy Notice to continue.",
        ),
        ({"street": "  "}, "street", "This field may not be blank."),
    ],
)
def test_bad_signups_are_refused_with_the_reason_and_store_nothing(
    api_client, legal_documents, overrides, field, message
):
    before = snapshot()

    response = signup(api_client, **overrides)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert message in body["fields"][field]
    assert snapshot() == before


def test_a_known_company_gets_the_same_answer_and_only_the_email_tells(api_client, legal_documents):
    OrganizationFactory.create(vat_id="DE136695976")
    before = snapshot()

    response = signup(api_client, email="someone.else@example.de", language="en")

    assert (response.status_code, response.json()) == (202, CHECK_YOUR_EMAIL)
    assert snapshot()[:5] == before[:5]  # no organization, user, membership, consent or audit row
    assert [(message.to, message.subject) for message in mail.outbox[before[5] :]] == [
        (["someone.else@example.de"], "Kontor: your sign-up")
    ]
    assert "a company with the VAT ID DE136695976 is already registered with Kontor" in mail.outbox[-1].body


def test_a_known_person_gets_the_same_answer_and_only_the_email_tells(api_client, legal_documents, owner):
    before = snapshot()

    response = signup(api_client, email=owner.email.upper())

    assert (response.status_code, response.json()) == (202, CHECK_YOUR_EMAIL)
    assert snapshot()[:5] == before[:5]
    assert [(message.to, message.subject) for message in mail.outbox[before[5] :]] == [
        ([owner.email], "Kontor: a sign-up with your e-mail address")
    ]
    assert "someone tried to sign up Rheinwerk Robotics GmbH for Kontor with your e-mail address" in (
        mail.outbox[-1].body
    )


def test_signup_errors_speak_german(api_client, legal_documents):
    response = api_client.post("/api/v1/signup/", {**VALID, "country": "US"}, format="json", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 400
    assert response.json()["fields"]["country"] != [
        "Kontor serves companies in the EU, the EEA and Switzerland; US is not served."
    ]


def test_a_swiss_company_signs_up_with_its_uid(api_client, legal_documents):
    response = signup(api_client, country="CH", vat_id="CHE-116.281.710 MWST", legal_name="Alpen AI AG")

    assert response.status_code == 202
    assert Organization.objects.get().vat_id == "CHE116281710MWST"


def test_verifying_the_email_moves_the_signup_to_approval(api_client, client, legal_documents, settings):
    settings.KONTOR_AUTO_APPROVAL_RULES = ["vies_confirmed_eu"]
    signup(api_client)

    confirm_email(client)

    organization = Organization.objects.get()
    assert organization.status == OrganizationStatus.PENDING_APPROVAL  # VIES has not confirmed: an operator decides
    assert EmailAddress.objects.get().verified is True


def test_operator_approval_activates_the_organization(
    api_client, client, legal_documents, operator, django_capture_on_commit_callbacks, monkeypatch
):
    from provisioning.organizations import organization_activate
    from provisioning.tasks import organization_activate_task

    activated = []
    monkeypatch.setattr(
        organization_activate_task,
        "apply_async",
        lambda args, **kw: activated.append(organization_activate(organization_id=args[0])),
    )
    signup(api_client, language="en")
    confirm_email(client)
    ops = type(api_client)()
    ops.force_authenticate(operator)

    response = ops.post("/api/v1/ops/organizations/rheinwerk-robotics-gmbh/approve/")

    assert response.status_code == 200
    organization = Organization.objects.get()
    assert (organization.status, organization.approval_rule, len(activated)) == (OrganizationStatus.ACTIVE, "", 1)
    assert organization.cloud_project_id
    assert [(m.to, m.subject) for m in mail.outbox[-2:]] == [
        (["jonas@rheinwerk.example"], "Kontor: Rheinwerk Robotics GmbH is approved"),
        (["jonas@rheinwerk.example"], "Kontor: Rheinwerk Robotics GmbH is ready"),
    ]


def test_operator_rejects_with_a_reason_that_reaches_the_owner(api_client, client, legal_documents, operator):
    signup(api_client)
    confirm_email(client)
    ops = type(api_client)()
    ops.force_authenticate(operator)

    refused = ops.post("/api/v1/ops/organizations/rheinwerk-robotics-gmbh/reject/", {"reason": ""}, format="json")
    rejected = ops.post(
        "/api/v1/ops/organizations/rheinwerk-robotics-gmbh/reject/",
        {"reason": "The VAT ID belongs to another company."},
        format="json",
    )

    assert refused.status_code == 400
    assert rejected.status_code == 200
    assert Organization.objects.get().status == OrganizationStatus.REJECTED
    assert "The VAT ID belongs to another company." in mail.outbox[-1].body


def test_the_approval_queue_shows_the_evidence(api_client, client, legal_documents, operator):
    OrganizationFactory.create(legal_name="RHEINWERK ROBOTICS GMBH", slug="older")
    signup(api_client)
    confirm_email(client)
    ops = type(api_client)()
    ops.force_authenticate(operator)

    queue = ops.get("/api/v1/ops/organizations/?status=pending_approval").json()["results"]

    assert [(o["slug"], o["owner_email_verified"], o["possible_duplicates"], o["vat_id"]) for o in queue] == [
        ("rheinwerk-robotics-gmbh", True, ["older"], "DE136695976")
    ]
