"""VIES evidence over real HTTP on loopback, auto-approval by rule, and activation through the cloud driver."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail

from provisioning.drivers import CloudError
from provisioning.models import SimulatedProject
from provisioning.organizations import organization_activate, organization_activation_retry
from tenants.audit import Actor
from tenants.choices import OrganizationStatus, VatCheckResult
from tenants.models import AuditEvent, Organization, VatCheck
from tenants.services import (
    InvalidTransitionError,
    organization_approve,
    vat_check_run,
)
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db(transaction=True)


class FakeVies:
    """A stand-in for the EU's VIES REST service on loopback, answering from ``answers``."""

    def __init__(self, answer: dict):
        self.answer = answer
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                payload = json.dumps(fake.answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/check-vat-number"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def pending_german_company(**fields):
    organization = OrganizationFactory.create(
        status=OrganizationStatus.PENDING_APPROVAL, country="DE", vat_id="DE136695976", **fields
    )
    MembershipFactory.create(organization=organization, user__email="owner@rheinwerk.example")
    return organization


def test_vies_confirmation_is_stored_and_the_rule_approves(settings, monkeypatch):
    settings.KONTOR_AUTO_APPROVAL_RULES = ["vies_confirmed_eu"]
    monkeypatch.setattr("provisioning.tasks.organization_activate_task.apply_async", lambda args, **kw: None)
    organization = pending_german_company()

    with FakeVies(
        {"valid": True, "name": "RHEINWERK ROBOTICS GMBH", "address": "---", "requestIdentifier": "WAPIAAAAY1"}
    ) as vies:
        settings.KONTOR_VIES_URL = vies.url
        check = vat_check_run(organization_id=organization.pk)
        again = vat_check_run(organization_id=organization.pk)

    assert vies.requests == [{"countryCode": "DE", "vatNumber": "136695976"}]
    assert again == check
    assert (check.result, check.registered_name, check.request_identifier) == (
        VatCheckResult.VALID,
        "RHEINWERK ROBOTICS GMBH",
        "WAPIAAAAY1",
    )
    organization.refresh_from_db()
    assert organization.vat_id_verified_at is not None
    assert (organization.status, organization.approval_rule) == (OrganizationStatus.PROVISIONING, "vies_confirmed_eu")
    approval = AuditEvent.objects.for_organization(organization).get(action="organization.provisioning")
    assert approval.actor_label == "auto-approval:vies_confirmed_eu"


def test_vies_saying_invalid_leaves_the_decision_to_an_operator(settings):
    organization = pending_german_company()

    with FakeVies({"valid": False, "userError": "INVALID"}) as vies:
        settings.KONTOR_VIES_URL = vies.url
        check = vat_check_run(organization_id=organization.pk)

    organization.refresh_from_db()
    assert check.result == VatCheckResult.INVALID
    assert (organization.status, organization.vat_id_verified_at) == (OrganizationStatus.PENDING_APPROVAL, None)


def test_an_unreachable_vies_times_out_cleanly_and_may_be_asked_again(settings):
    organization = pending_german_company()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    settings.KONTOR_VIES_URL = f"http://127.0.0.1:{silent.getsockname()[1]}/check"
    settings.KONTOR_VIES_TIMEOUT_SECONDS = 0.3

    try:
        first = vat_check_run(organization_id=organization.pk)
        second = vat_check_run(organization_id=organization.pk)
    finally:
        silent.close()

    assert (first.result, second.result) == (VatCheckResult.UNAVAILABLE, VatCheckResult.UNAVAILABLE)
    assert "Timeout" in first.error
    assert VatCheck.objects.for_organization(organization).count() == 2
    organization.refresh_from_db()
    assert organization.status == OrganizationStatus.PENDING_APPROVAL


def test_a_member_state_outage_reported_by_vies_counts_as_unavailable(settings):
    organization = pending_german_company()

    with FakeVies({"userError": "MS_UNAVAILABLE"}) as vies:
        settings.KONTOR_VIES_URL = vies.url
        check = vat_check_run(organization_id=organization.pk)

    assert (check.result, check.error) == (VatCheckResult.UNAVAILABLE, "MS_UNAVAILABLE")


def test_activation_creates_one_project_even_when_delivered_twice():
    organization = OrganizationFactory.create(status=OrganizationStatus.PROVISIONING)
    MembershipFactory.create(organization=organization, user__preferred_language="en")

    first = organization_activate(organization_id=organization.pk)
    second = organization_activate(organization_id=organization.pk)

    assert first.status == second.status == OrganizationStatus.ACTIVE
    assert SimulatedProject.objects.count() == 1
    assert first.cloud_project_id == SimulatedProject.objects.get().project_id
    assert AuditEvent.objects.for_organization(organization).filter(action="organization.active").count() == 1
    assert [m.subject for m in mail.outbox] == [f"Kontor: {organization.legal_name} is ready"]


def test_a_cloud_failure_leaves_provisioning_with_the_error_and_an_operator_retries(settings, operator, monkeypatch):
    organization = OrganizationFactory.create(status=OrganizationStatus.PROVISIONING)
    settings.KONTOR_SIMULATOR = {"fail_project_creation": True}

    with pytest.raises(CloudError, match="simulated failure"):
        organization_activate(organization_id=organization.pk)

    organization.refresh_from_db()
    assert organization.status == OrganizationStatus.PROVISIONING
    assert organization.activation_error == "simulated failure: the identity service refused to create the project"
    assert SimulatedProject.objects.count() == 0

    settings.KONTOR_SIMULATOR = {"fail_project_creation": False}
    sent = []
    monkeypatch.setattr(
        "provisioning.tasks.organization_activate_task.apply_async",
        lambda args, **kw: sent.append(organization_activate(organization_id=args[0])),
    )
    organization_activation_retry(actor=Actor.for_user(operator), organization=organization)

    organization.refresh_from_db()
    assert (organization.status, organization.activation_error, len(sent)) == (OrganizationStatus.ACTIVE, "", 1)


def test_retry_is_refused_for_an_active_organization(operator):
    organization = OrganizationFactory.create(status=OrganizationStatus.ACTIVE)

    with pytest.raises(InvalidTransitionError, match="Only an organization in provisioning can be retried"):
        organization_activation_retry(actor=Actor.for_user(operator), organization=organization)

    assert AuditEvent.objects.for_organization(organization).count() == 0


def test_approving_twice_is_refused(operator, monkeypatch):
    monkeypatch.setattr("provisioning.tasks.organization_activate_task.apply_async", lambda args, **kw: None)
    organization = pending_german_company()
    organization_approve(actor=Actor.for_user(operator), organization=organization)

    with pytest.raises(InvalidTransitionError, match="cannot go from Provisioning to Provisioning"):
        organization_approve(actor=Actor.for_user(operator), organization=organization)

    assert Organization.objects.get().status == OrganizationStatus.PROVISIONING
