"""Each allocation names its node's GPU model, so the quota reads an organization's live GPUs of one model from
the allocation table alone (``reservations_alloc_org_model``) instead of joining each row to its node, pool
and node type: planning that join was about half of the quota read's time on every order.

Added nullable, filled from the node's pool's node type in one statement, then made NOT NULL.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Allocation = apps.get_model("reservations", "Allocation")
    Node = apps.get_model("reservations", "Node")
    model = Node.objects.filter(pk=OuterRef("node_id")).values("pool__node_type__gpu_model_id")[:1]
    Allocation.objects.using(schema_editor.connection.alias).update(gpu_model_id=Subquery(model))


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("reservations", "0012_pool_change_allocations"),
    ]

    operations = [
        migrations.AddField(
            model_name="allocation",
            name="gpu_model",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="catalog.gpumodel",
                verbose_name="GPU model",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="allocation",
            name="gpu_model",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="catalog.gpumodel",
                verbose_name="GPU model",
            ),
        ),
        migrations.AddIndex(
            model_name="allocation",
            index=models.Index(
                condition=models.Q(("released_at__isnull", True)),
                fields=["organization", "gpu_model"],
                name="reservations_alloc_org_model",
            ),
        ),
    ]
