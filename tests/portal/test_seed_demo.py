from __future__ import annotations

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command

from tenants.choices import OrganizationStatus
from tenants.models import AuditEvent, LegalDocument, Membership, Organization, User

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        sorted(User.objects.values_list("email", "is_staff")),
        sorted(Organization.objects.values_list("legal_name", "status")),
        Membership.objects.unscoped().count(),
        AuditEvent.objects.unscoped().count(),
    )


def test_seed_demo_loads_the_demo_logins_and_a_second_run_changes_nothing():
    call_command("seed_demo", stdout=StringIO())
    first = snapshot()
    call_command("seed_demo", stdout=StringIO())

    assert snapshot() == first
    assert first[0] == [("operator@kontor.example", True), ("owner@example.de", False)]
    assert first[1] == [
        ("Delft Digital Twins B.V.", OrganizationStatus.ACTIVE),
        ("Rheinwerk Robotics GmbH", OrganizationStatus.ACTIVE),
    ]
    assert User.objects.get(email="owner@example.de").check_password("kontor-demo-2026")
    assert sorted(LegalDocument.objects.values_list("kind", "version")) == [
        ("dpa", "2026-01"),
        ("privacy", "2026-01"),
        ("terms", "2026-01"),
    ]
    assert Authenticator.objects.filter(user__email="operator@kontor.example", type="totp").count() == 1
