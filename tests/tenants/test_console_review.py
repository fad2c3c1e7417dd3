"""The operator console's review page: the evidence, and approve / reject / retry / suspend behind a confirmation;
the audit log's filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone, translation

from tenants.audit import Actor, audit_record
from tenants.choices import LegalDocumentKind, OrganizationStatus, VatCheckResult
from tenants.models import AuditEvent, Consent, LegalDocument, Organization, VatCheck
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

S = OrganizationStatus
RAW_ERROR = "ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: /vies"


@pytest.fixture
def pending(monkeypatch):
    """A German sign-up waiting for approval whose VIES check failed, with an unverified owner and the Terms."""
    monkeypatch.setattr("provisioning.tasks.organization_activate_task.apply_async", lambda args, **kw: None)
    organization = OrganizationFactory.create(
        legal_name="Rheinwerk Robotics GmbH",
        slug="rheinwerk",
        status=S.PENDING_APPROVAL,
        vat_id="DE136695976",
        billing_email="invoices@rheinwerk.example",
    )
    owner = MembershipFactory.create(organization=organization, user__email="jonas@rheinwerk.example").user
    EmailAddress.objects.filter(user=owner).update(verified=False)
    VatCheck.objects.create(
        organization=organization, vat_id="DE136695976", result=VatCheckResult.UNAVAILABLE, error=RAW_ERROR
    )
    terms = LegalDocument.objects.create(
        kind=LegalDocumentKind.TERMS,
        version="2026-01",
        title="Terms",
        body="…",
        effective_at=timezone.now() - timedelta(days=1),
    )
    Consent.objects.create(organization=organization, document=terms, user=owner)
    return organization


def test_the_review_page_shows_the_evidence_in_words(console_client, pending):
    OrganizationFactory.create(legal_name="Rheinwerk-Robotics AG", slug="rheinwerk-ag", status=S.ACTIVE)
    OrganizationFactory.create(
        legal_name="Kölner Werkzeug KG", slug="koeln", billing_email="ap@rheinwerk.example", status=S.REJECTED
    )

    response = console_client.get(f"/ops/tenants/organization/{pending.pk}/review/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "VIES service unavailable — the number could not be checked" in content
    assert "ConnectionError" not in content
    assert "Germany (DE)" in content
    assert "jonas@rheinwerk.example</td><td><strong>no</strong>" in content
    assert "Terms of Service</td><td>2026-01</td><td>jonas@rheinwerk.example" in content
    assert "Rheinwerk-Robotics AG</a> (rheinwerk-ag)</td><td>Active</td><td>similar name</td>" in content
    assert "Kölner Werkzeug KG</a> (koeln)</td><td>Rejected</td><td>same e-mail domain</td>" in content
    assert [
        f"/ops/tenants/organization/{pending.pk}/review/{slug}/" in content
        for slug in ("approve", "reject", "retry-vat-check", "close", "suspend")
    ] == [True, True, True, True, False]


def test_the_change_page_shows_no_raw_exception_text(console_client, pending):
    content = console_client.get(f"/ops/tenants/organization/{pending.pk}/change/").content.decode()

    assert "VIES service unavailable — the number could not be checked" in content
    assert "ConnectionError" not in content
    assert f"/ops/tenants/organization/{pending.pk}/review/" in content


def test_approval_needs_a_confirmation_that_acknowledges_the_failed_vat_check(console_client, pending):
    url = f"/ops/tenants/organization/{pending.pk}/review/approve/"

    page = console_client.get(url).content.decode()
    unacknowledged = console_client.post(url, {})
    pending.refresh_from_db()
    status_before = pending.status
    approved = console_client.post(url, {"acknowledge": "on"})

    assert "Warning: VIES did not confirm the VAT ID. VIES service unavailable — the number could not be checked." in (
        page
    )
    assert (unacknowledged.status_code, status_before) == (200, S.PENDING_APPROVAL)
    assert "This field is required." in unacknowledged.content.decode()
    assert (approved.status_code, approved.url) == (302, f"/ops/tenants/organization/{pending.pk}/review/")
    pending.refresh_from_db()
    assert pending.status == S.PROVISIONING
    event = AuditEvent.objects.for_organization(pending).get(action="organization.provisioning")
    assert (event.actor_label, event.data["reason"]) == ("operator@kontor.example", "approved by an operator")


def test_a_confirmed_vat_id_needs_no_acknowledgement(console_client, pending):
    VatCheck.objects.create(organization=pending, vat_id="DE136695976", result=VatCheckResult.VALID)
    Organization.objects.filter(pk=pending.pk).update(vat_id_verified_at=timezone.now())
    url = f"/ops/tenants/organization/{pending.pk}/review/approve/"

    page = console_client.get(url).content.decode()
    approved = console_client.post(url, {})

    assert "Warning: VIES did not confirm" not in page
    assert approved.status_code == 302
    pending.refresh_from_db()
    assert pending.status == S.PROVISIONING


def test_rejection_requires_a_reason(console_client, pending, mailoutbox):
    url = f"/ops/tenants/organization/{pending.pk}/review/reject/"

    refused = console_client.post(url, {"reason": "  "})
    pending.refresh_from_db()
    status_before = pending.status
    rejected = console_client.post(url, {"reason": "The VAT ID belongs to another company."})

    assert (refused.status_code, status_before) == (200, S.PENDING_APPROVAL)
    assert "This field is required." in refused.content.decode()
    assert rejected.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.status_reason) == (S.REJECTED, "The VAT ID belongs to another company.")


def test_a_refused_decision_says_why_and_changes_nothing(console_client, pending):
    Organization.objects.filter(pk=pending.pk).update(status=S.REJECTED)
    url = f"/ops/tenants/organization/{pending.pk}/review/approve/"

    page = console_client.get(url).content.decode()
    response = console_client.post(url, {"acknowledge": "on"}, follow=True)

    assert "This is not possible while the organization is in the status “Rejected”." in page
    assert "An organization cannot go from Rejected to Provisioning." in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == S.REJECTED
    assert not AuditEvent.objects.for_organization(pending).exists()


def test_suspension_shows_its_effects_and_asks_for_a_reason(console_client):
    organization = OrganizationFactory.create(status=S.ACTIVE)
    url = f"/ops/tenants/organization/{organization.pk}/review/suspend/"

    page = console_client.get(url).content.decode()
    refused = console_client.post(url, {"reason": ""})
    organization.refresh_from_db()
    status_before = organization.status
    suspended = console_client.post(url, {"reason": "Invoices unpaid."})

    assert "New bookings and extensions are refused until the organization is reactivated." in page
    assert "0 running reservations keep running until their booked end" in page
    assert (refused.status_code, status_before) == (200, S.ACTIVE)
    assert suspended.status_code == 302
    organization.refresh_from_db()
    assert (organization.status, organization.status_reason) == (S.SUSPENDED, "Invoices unpaid.")


def test_the_changelist_has_no_bulk_approval_and_links_each_sign_up_to_its_review(console_client, pending):
    content = console_client.get("/ops/tenants/organization/?status__exact=pending_approval").content.decode()

    assert 'value="approve"' not in content
    assert f'<a href="/ops/tenants/organization/{pending.pk}/review/">Review and decide</a>' in content


def test_the_audit_log_hides_seeding_by_default_and_filters_by_actor_kind(console_client, operator, organization):
    customer = MembershipFactory.create(organization=organization).user
    with transaction.atomic():
        for actor, action in (
            (Actor.system("seed_catalog"), "flavor.seeded"),
            (Actor.system("seed_demo"), "organization.demo_created"),
            (Actor.system("vies"), "vat_check.valid"),
            (Actor.for_user(operator), "organization.suspended"),
            (Actor.for_user(customer), "reservation.requested"),
        ):
            audit_record(actor=actor, action=action, target=organization, organization=organization)

    def actions(query: str) -> list[str]:
        response = console_client.get(f"/ops/tenants/auditevent/{query}")
        return [event.action for event in response.context["cl"].result_list]

    assert actions("") == ["reservation.requested", "organization.suspended", "vat_check.valid"]
    assert actions("?actor_kind=seeding") == ["organization.demo_created", "flavor.seeded"]
    assert actions("?actor_kind=operator") == ["organization.suspended"]
    assert actions("?actor_kind=user") == ["reservation.requested"]
    assert actions("?actor_kind=system") == ["vat_check.valid"]
    assert len(actions("?actor_kind=all")) == 5
    assert actions("?actor_kind=all&action=flavor.seeded") == ["flavor.seeded"]
    assert actions(f"?organization__id__exact={organization.pk}&actor_kind=operator") == ["organization.suspended"]
    content = console_client.get("/ops/tenants/auditevent/").content.decode()
    assert "All but seeding" in content
    assert "System (seeding)" in content


def test_the_review_page_speaks_german(console_client, pending):
    content = console_client.get(
        f"/ops/tenants/organization/{pending.pk}/review/", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    confirm = console_client.get(
        f"/ops/tenants/organization/{pending.pk}/review/approve/", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()

    assert "Rheinwerk Robotics GmbH prüfen" in content
    assert "VIES-Dienst nicht erreichbar — die Nummer konnte nicht geprüft werden" in content
    assert "Achtung: VIES hat die USt-IdNr. nicht bestätigt." in confirm
    assert "Bestätigen: Genehmigen" in confirm


def test_a_reason_the_platform_wrote_is_stored_in_english_and_shown_in_the_readers_language(console_client, pending):
    url = f"/ops/tenants/organization/{pending.pk}/review/approve/"
    console_client.post(url, {"acknowledge": "on"}, HTTP_ACCEPT_LANGUAGE="de")
    pending.refresh_from_db()

    german = console_client.get(f"/ops/tenants/organization/{pending.pk}/review/", HTTP_ACCEPT_LANGUAGE="de")
    english = console_client.get(f"/ops/tenants/organization/{pending.pk}/review/", HTTP_ACCEPT_LANGUAGE="en")

    assert pending.status_reason == "approved by an operator"
    assert "— von einem Betreiber freigegeben</p>" in german.content.decode()
    assert "— approved by an operator</p>" in english.content.decode()


def test_an_operators_reason_is_shown_as_written_in_every_language(console_client, pending):
    Organization.objects.filter(pk=pending.pk).update(
        status=S.REJECTED, status_reason="Die USt-IdNr. gehört einer anderen Firma."
    )

    english = console_client.get(f"/ops/tenants/organization/{pending.pk}/review/", HTTP_ACCEPT_LANGUAGE="en")

    assert "— Die USt-IdNr. gehört einer anderen Firma.</p>" in english.content.decode()


def test_an_approval_by_rule_and_the_activation_read_in_german_with_their_names():
    organization = OrganizationFactory.create(
        status=S.ACTIVE, approval_rule="eu-vat-confirmed", cloud_project_id="4f1c0e", status_reason=""
    )

    by_rule = Organization(**{**_fields(organization), "status_reason": "approved by rule eu-vat-confirmed"})
    activated = Organization(**{**_fields(organization), "status_reason": "cloud project 4f1c0e"})
    with translation.override("de"):
        assert by_rule.status_reason_display() == "freigegeben nach Regel eu-vat-confirmed"
        assert activated.status_reason_display() == "Cloud-Projekt 4f1c0e"


def _fields(organization: Organization) -> dict[str, object]:
    return {field.attname: getattr(organization, field.attname) for field in Organization._meta.concrete_fields}


def test_retrying_the_vat_check_from_the_console_asks_vies_again(
    console_client, pending, monkeypatch, django_capture_on_commit_callbacks
):
    from tenants.services import vat_check_run

    monkeypatch.setattr(
        "tenants.tasks.vat_check_task.apply_async", lambda args, **kw: vat_check_run(organization_id=args[0])
    )
    url = f"/ops/tenants/organization/{pending.pk}/review/retry-vat-check/"

    page = console_client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the task runs after the commit, as a worker would
        response = console_client.post(url, {})

    assert "Kontor asks VIES again in the background" in page
    assert response.status_code == 302
    assert list(AuditEvent.objects.for_organization(pending).order_by("id").values_list("action", "actor_label")) == [
        ("vat_check.retry_requested", "operator@kontor.example"),
        ("vat_check.unavailable", "vies"),
    ]
    # The test settings' VIES is a closed port on loopback: asked again, it fails again, and says so in words.
    assert VatCheck.objects.for_organization(pending).filter(result=VatCheckResult.UNAVAILABLE).count() == 2


@pytest.mark.parametrize(
    ("status", "country", "vat_id", "decisions", "vat_words"),
    [
        (S.PENDING_VERIFICATION, "DE", "", ["reject", "close"], "No VAT ID given."),
        (
            S.PENDING_APPROVAL,
            "CH",
            "",
            ["approve", "reject", "close"],
            "VIES covers EU companies only; Switzerland is checked by hand.",
        ),
        (S.ACTIVE, "DE", "DE136695976", ["retry-vat-check", "suspend", "close"], "Not checked yet"),
        (S.SUSPENDED, "DE", "", ["reactivate", "close"], "No VAT ID given."),
        (S.CLOSED, "DE", "", [], "No VAT ID given."),
    ],
)
def test_the_review_page_offers_what_the_lifecycle_allows(
    console_client, status, country, vat_id, decisions, vat_words
):
    organization = OrganizationFactory.create(status=status, country=country, vat_id=vat_id)

    response = console_client.get(f"/ops/tenants/organization/{organization.pk}/review/")

    assert [decision.slug for decision in response.context["decisions"]] == decisions
    assert response.context["vat_status"] == vat_words
