"""Demo data for ``make run`` (``portal/demo.py``): an operator, a customer owner and their organizations with three
months of history (reservations, usage, invoices with their documents, a credit note, a budget with alerts, a quota
request), a sign-up waiting for approval and a failed provisioning; the NVIDIA catalog with its flavors, prices and
inventory (``seed_catalog``) and the nodes behind it (``seed_inventory``). Running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from portal.demo import (
    DEMO_PASSWORD,
    DemoCalendar,
    demo_activity_ensure,
    demo_catalog_ensure,
    demo_now,
    demo_people_ensure,
    history_possible,
)


class Command(BaseCommand):
    help = "Load the demo operator, customer owner, organizations and their history (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        calendar = DemoCalendar.at(demo_now())
        operator, owner, organizations = demo_people_ensure()
        demo_catalog_ensure(calendar)
        call_command("seed_inventory", stdout=self.stdout, stderr=self.stderr, verbosity=options["verbosity"])
        result = demo_activity_ensure(operator=operator, owner=owner, organizations=organizations, calendar=calendar)
        if result.created_history:
            self.stdout.write(
                f"History of {', '.join(result.created_history)} since "
                f"{calendar.months[0].start:%Y-%m-%d}: {result.invoices_finalized} invoice(s) finalized."
            )
        elif not history_possible(calendar):
            self.stdout.write(
                "No history: the launch prices took effect after it would begin (a database seeded before it)."
            )
        if result.pending_signup:
            self.stdout.write("A sign-up waits for approval in the console.")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  operator: {operator.email} / {DEMO_PASSWORD}  (console at /ops/)")
        self.stdout.write(f"  customer: {owner.email} / {DEMO_PASSWORD}")
