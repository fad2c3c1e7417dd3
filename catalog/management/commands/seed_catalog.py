"""``manage.py seed_catalog``: the NVIDIA catalog, hardware, flavors, launch prices and the inventory description
(about 10,000 GPUs in two zones). Running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm  # type: ignore[import-untyped]

from catalog.seeding import SeedStep, catalog_seed, seed_steps
from catalog.selectors import inventory_summary
from tenants.audit import Actor


class Command(BaseCommand):
    help = "Load the NVIDIA catalog, GPU flavors, the launch price list and the inventory description (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--progress",
            choices=["auto", "always", "never"],
            default="auto",
            help="Show a progress bar: when writing to a terminal (auto), always or never.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        disable = {"auto": None, "always": False, "never": True}[options["progress"]]
        with tqdm(
            total=len(seed_steps()), desc="Seeding the catalog", unit="step", file=self.stderr, disable=disable
        ) as bar:

            def advance(step: SeedStep) -> None:
                bar.set_postfix_str(step.label, refresh=False)
                bar.update(1)

            created = catalog_seed(actor=Actor.system("seed_catalog"), on_step=advance)
        summary = ", ".join(f"{count} {name}" for name, count in sorted(created.items())) or "nothing new"
        self.stdout.write(self.style.SUCCESS(f"Catalog ready ({summary})."))
        capacity = inventory_summary()
        gpus = sum(row.gpus for row in capacity)
        nodes = sum(row.nodes for row in capacity)
        self.stdout.write(f"  inventory: {nodes} nodes, {gpus} GPUs in {len({row.zone for row in capacity})} zones")
