"""Create the nodes the catalog's inventory describes (about 1,250 servers, 10,000 GPUs). Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Sum
from tqdm import tqdm  # type: ignore[import-untyped]

from catalog.models import ZoneCapacity
from reservations.inventory import inventory_ensure


class Command(BaseCommand):
    help = "Create capacity pools and nodes from the inventory description (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        total = ZoneCapacity.objects.aggregate(total=Sum("node_count"))["total"] or 0
        with tqdm(total=total, unit="node", desc="inventory", disable=options["verbosity"] == 0) as bar:
            created = inventory_ensure(progress=bar.update)
        self.stdout.write(self.style.SUCCESS(f"Inventory ready: {created} nodes created, {total} described."))
