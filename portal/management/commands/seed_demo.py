"""Demo data for ``make run``: an operator, a customer owner and their organizations, and the NVIDIA catalog with
its flavors, prices and inventory (``seed_catalog``), and the nodes behind it (``seed_inventory``). Running it again
changes nothing."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from tenants.audit import Actor
from tenants.choices import OrganizationStatus
from tenants.demo import legal_documents_ensure, operator_totp_ensure
from tenants.models import Organization, User
from tenants.services import (
    consent_accept,
    legal_documents_in_force,
    organization_create,
    organization_transition,
)

DEMO_PASSWORD = "kontor-demo-2026"
OPERATOR_EMAIL = "operator@kontor.example"
OWNER_EMAIL = "owner@example.de"

DEMO_ORGANIZATIONS = [
    ("Rheinwerk Robotics GmbH", "DE"),
    ("Delft Digital Twins B.V.", "NL"),
]


class Command(BaseCommand):
    help = "Load the demo operator, customer owner and organizations (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("seed_demo")
        with transaction.atomic():
            legal_documents_ensure()
            operator = self._user(OPERATOR_EMAIL, "Olga Operator", staff=True)
            operator_totp_ensure(operator)
            owner = self._user(OWNER_EMAIL, "Jonas Owner", staff=False)
            for legal_name, country in DEMO_ORGANIZATIONS:
                if Organization.objects.filter(legal_name=legal_name).exists():
                    continue
                organization = organization_create(actor=actor, legal_name=legal_name, country=country, owner=owner)
                for status in (
                    OrganizationStatus.PENDING_APPROVAL,
                    OrganizationStatus.PROVISIONING,
                    OrganizationStatus.ACTIVE,
                ):
                    organization_transition(
                        actor=actor, organization=organization, to_status=status, reason="demo data"
                    )
                consent_accept(actor=actor, organization=organization, user=owner, documents=legal_documents_in_force())
        call_command("seed_catalog", stdout=self.stdout, stderr=self.stderr)
        call_command("seed_inventory", stdout=self.stdout, stderr=self.stderr, verbosity=options["verbosity"])
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  operator: {operator.email} / {DEMO_PASSWORD}  (console at /ops/)")
        self.stdout.write(f"  customer: {owner.email} / {DEMO_PASSWORD}")

    def _user(self, email: str, full_name: str, *, staff: bool) -> User:
        user = User.objects.filter(email=email).first()
        if user is not None:
            return user
        if staff:
            user = User.objects.create_superuser(email, DEMO_PASSWORD, full_name=full_name)
        else:
            user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name)
        # allauth requires a verified address to sign in.
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        return user
