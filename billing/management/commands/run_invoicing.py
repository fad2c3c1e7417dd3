"""``manage.py run_invoicing --year Y --month M [--finalize]``: meter, then draft (and finalize) a Berlin month's
invoices of every organization with usage in it. Running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm  # type: ignore[import-untyped]

from billing.invoices.services import invoice_draft_for_month, invoice_finalize
from billing.periods import InvoiceError, billing_period
from metering.models import UsageRecord
from metering.services import metering_run
from tenants.audit import Actor
from tenants.models import Organization


class Command(BaseCommand):
    help = "Meter, then draft (and with --finalize finalize) the invoices of a Berlin calendar month (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--month", type=int, required=True)
        parser.add_argument("--finalize", action="store_true", help="Finalize the drafts (numbers them; final).")
        parser.add_argument(
            "--progress",
            choices=["auto", "always", "never"],
            default="auto",
            help="Show a progress bar: when writing to a terminal (auto), always or never.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year, month = options["year"], options["month"]
        try:
            period = billing_period(year=year, month=month)
        except InvoiceError as error:
            raise CommandError(str(error)) from error
        metered = metering_run(now=timezone.now())
        self.stdout.write(
            f"Metered {metered.instances} instance(s), {metered.windows} window(s): {metered.writes} write(s)."
        )
        organization_ids = list(
            UsageRecord.objects.unscoped()
            .filter(hour__gte=period.start, hour__lt=period.end)
            .values_list("organization_id", flat=True)
            .distinct()
            .order_by("organization_id")
        )
        actor = Actor.system("run_invoicing")
        disable = {"auto": None, "always": False, "never": True}[options["progress"]]
        drafted = finalized = failures = 0
        for organization in tqdm(
            Organization.objects.filter(pk__in=organization_ids).order_by("pk"),
            total=len(organization_ids),
            desc=f"Invoicing {year}-{month:02d}",
            unit="organization",
            file=self.stderr,
            disable=disable,
        ):
            invoice = invoice_draft_for_month(organization=organization, year=year, month=month)
            if invoice is None:
                continue  # everything of the month is invoiced already
            drafted += 1
            if options["finalize"]:
                try:
                    invoice_finalize(actor=actor, invoice=invoice)
                except InvoiceError as error:
                    failures += 1
                    self.stderr.write(self.style.ERROR(f"{organization.slug}: {error}"))
                else:
                    finalized += 1
        self.stdout.write(
            self.style.SUCCESS(f"{year}-{month:02d}: {drafted} draft(s), {finalized} finalized, {failures} failed.")
        )
        if failures:
            raise CommandError(f"{failures} invoice(s) could not be finalized.")
