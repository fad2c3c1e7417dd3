"""Operators suspend, reactivate and close organizations and retry VAT checks: exact states, audit rows, refusals
that change nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tenants.audit import Actor
from tenants.choices import OrganizationStatus, VatCheckResult
from tenants.models import AuditEvent, Organization, VatCheck
from tenants.services import (
    InvalidTransitionError,
    organization_close,
    organization_reactivate,
    organization_suspend,
    vat_check_retry,
)
from tenants.vies import vies_status_text
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

S = OrganizationStatus


def audit_trail(organization: Organization) -> list[tuple[str, str, dict]]:
    return list(
        AuditEvent.objects.for_organization(organization).order_by("id").values_list("action", "actor_label", "data")
    )


def test_suspend_then_reactivate_records_who_and_why(operator):
    organization = OrganizationFactory.create(status=S.ACTIVE)
    actor = Actor.for_user(operator)

    organization_suspend(actor=actor, organization=organization, reason="  Invoices unpaid since October.  ")
    suspended = Organization.objects.get(pk=organization.pk)
    organization_reactivate(actor=actor, organization=organization, reason="Paid in full.")

    assert (suspended.status, suspended.status_reason) == (S.SUSPENDED, "Invoices unpaid since October.")
    organization.refresh_from_db()
    assert (organization.status, organization.status_reason) == (S.ACTIVE, "Paid in full.")
    assert audit_trail(organization) == [
        (
            "organization.suspended",
            "operator@kontor.example",
            {"from": "active", "to": "suspended", "reason": "Invoices unpaid since October."},
        ),
        (
            "organization.active",
            "operator@kontor.example",
            {"from": "suspended", "to": "active", "reason": "Paid in full."},
        ),
    ]


def test_close_is_final(operator):
    organization = OrganizationFactory.create(status=S.SUSPENDED)
    actor = Actor.for_user(operator)

    organization_close(actor=actor, organization=organization, reason="The company was dissolved.")

    with pytest.raises(InvalidTransitionError, match="Only a suspended organization can be reactivated"):
        organization_reactivate(actor=actor, organization=organization, reason="By mistake.")
    with pytest.raises(InvalidTransitionError, match="cannot go from Closed to Suspended"):
        organization_suspend(actor=actor, organization=organization, reason="Again.")
    organization.refresh_from_db()
    assert (organization.status, organization.status_reason) == (S.CLOSED, "The company was dissolved.")
    assert [action for action, _label, _data in audit_trail(organization)] == ["organization.closed"]


@pytest.mark.parametrize(
    ("service", "status"),
    [(organization_suspend, S.ACTIVE), (organization_reactivate, S.SUSPENDED), (organization_close, S.ACTIVE)],
)
def test_a_reason_is_required_and_its_absence_changes_nothing(operator, service, status):
    organization = OrganizationFactory.create(status=status, status_reason="as before")

    with pytest.raises(ValidationError) as refused:
        service(actor=Actor.for_user(operator), organization=organization, reason="   ")

    assert list(refused.value.message_dict) == ["reason"]
    organization.refresh_from_db()
    assert (organization.status, organization.status_reason) == (status, "as before")
    assert audit_trail(organization) == []


def test_suspending_a_pending_sign_up_is_refused_and_changes_nothing(operator):
    organization = OrganizationFactory.create(status=S.PENDING_APPROVAL)

    with pytest.raises(InvalidTransitionError, match="cannot go from Pending approval to Suspended"):
        organization_suspend(actor=Actor.for_user(operator), organization=organization, reason="Fraud suspected.")

    organization.refresh_from_db()
    assert (organization.status, organization.status_reason) == (S.PENDING_APPROVAL, "")
    assert audit_trail(organization) == []


def test_retrying_a_failed_vat_check_is_audited_and_queued_after_commit(
    operator, monkeypatch, django_capture_on_commit_callbacks
):
    organization = OrganizationFactory.create(status=S.PENDING_APPROVAL, vat_id="DE136695976")
    VatCheck.objects.create(
        organization=organization,
        vat_id="DE136695976",
        result=VatCheckResult.UNAVAILABLE,
        error="ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded",
    )
    sent: list[tuple] = []
    monkeypatch.setattr("tenants.tasks.vat_check_task.apply_async", lambda args, **kw: sent.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        vat_check_retry(actor=Actor.for_user(operator), organization=organization)
        assert sent == []  # not before the commit

    assert sent == [(organization.pk,)]
    assert audit_trail(organization) == [
        ("vat_check.retry_requested", "operator@kontor.example", {"vat_id": "DE136695976"})
    ]


def test_retrying_a_definitive_vat_check_is_refused(operator, monkeypatch):
    organization = OrganizationFactory.create(status=S.PENDING_APPROVAL, vat_id="DE136695976")
    VatCheck.objects.create(organization=organization, vat_id="DE136695976", result=VatCheckResult.INVALID)
    sent: list[tuple] = []
    monkeypatch.setattr("tenants.tasks.vat_check_task.apply_async", lambda args, **kw: sent.append(args))

    with pytest.raises(ValidationError, match=r"VIES already answered for DE136695976 \(Reported invalid\)"):
        vat_check_retry(actor=Actor.for_user(operator), organization=organization)

    assert (sent, audit_trail(organization)) == ([], [])


@pytest.mark.parametrize(
    ("result", "error", "words"),
    [
        (
            VatCheckResult.UNAVAILABLE,
            "ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded",
            "VIES service unavailable — the number could not be checked",
        ),
        (
            VatCheckResult.UNAVAILABLE,
            "ReadTimeout: HTTPConnectionPool(host='127.0.0.1', port=1): Read timed out. (read timeout=0.3)",
            "VIES did not answer in time — the number could not be checked",
        ),
        (
            VatCheckResult.UNAVAILABLE,
            "MS_UNAVAILABLE",
            "the member state's VAT register is unavailable in VIES — the number could not be checked",
        ),
        (VatCheckResult.UNAVAILABLE, "something new", "VIES service unavailable — the number could not be checked"),
        (VatCheckResult.INVALID, "", "VIES reports that this VAT ID is not registered"),
    ],
)
def test_vies_outcomes_in_words(result, error, words):
    assert vies_status_text(VatCheck(vat_id="DE136695976", result=result, error=error)) == words


def test_vies_confirmation_in_words_names_the_registered_company():
    check = VatCheck(vat_id="DE136695976", result=VatCheckResult.VALID, registered_name="RHEINWERK ROBOTICS GMBH")

    assert vies_status_text(check) == "VIES confirmed the VAT ID, registered to RHEINWERK ROBOTICS GMBH"
