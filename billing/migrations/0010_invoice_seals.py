"""What an invoice billed, by range: ``InvoiceSeal`` links an invoice to the ``metering.UsageSeal`` ranges of hours it
billed; ``InvoiceUsage`` (one row per billed record) becomes a view over them instead of a table written per record.

Existing links become seals' links: each seal (metering/0004 made them from the invoiced records) belongs to the
invoice that billed its records.
"""

import django.db.models.deletion
from django.db import migrations, models

VIEW = """
CREATE VIEW billing_invoiceusage AS
SELECT u.id AS id, u.organization_id AS organization_id, l.invoice_id AS invoice_id, u.id AS record_id
FROM billing_invoiceseal l
JOIN metering_usageseal s ON s.id = l.seal_id
JOIN metering_usagerecord u
  ON u.organization_id = s.organization_id AND u.hour >= s.hours_start AND u.hour < s.hours_end
"""


def link_seals(apps, schema_editor):  # type: ignore[no-untyped-def]
    InvoiceUsage = apps.get_model("billing", "InvoiceUsage")
    InvoiceSeal = apps.get_model("billing", "InvoiceSeal")
    UsageSeal = apps.get_model("metering", "UsageSeal")
    seals: dict[int, list] = {}
    for seal in UsageSeal.objects.order_by("hours_start"):
        seals.setdefault(seal.organization_id, []).append(seal)
    owner: dict[int, tuple[int, int]] = {}  # seal -> (invoice, organization), the first invoice whose records it holds
    for organization_id, invoice_id, hour in InvoiceUsage.objects.order_by("invoice_id").values_list(
        "organization_id", "invoice_id", "record__hour"
    ):
        for seal in seals.get(organization_id, []):
            if seal.hours_start <= hour < seal.hours_end:
                owner.setdefault(seal.pk, (invoice_id, organization_id))
                break
    InvoiceSeal.objects.bulk_create(
        (
            InvoiceSeal(seal_id=seal_id, invoice_id=invoice_id, organization_id=organization_id)
            for seal_id, (invoice_id, organization_id) in sorted(owner.items())
        ),
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0009_console_labels"),
        ("metering", "0004_usage_seal"),
        ("tenants", "0011_audit_target_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="InvoiceSeal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "invoice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="seals", to="billing.invoice"
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tenants.organization"
                    ),
                ),
                (
                    "seal",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="metering.usageseal"
                    ),
                ),
            ],
            options={
                "verbose_name": "invoiced usage hours",
                "verbose_name_plural": "invoiced usage hours",
                "abstract": False,
            },
        ),
        migrations.RunPython(link_seals, migrations.RunPython.noop, elidable=False),
        migrations.DeleteModel(name="InvoiceUsage"),
        migrations.CreateModel(
            name="InvoiceUsage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "invoice",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="usages",
                        to="billing.invoice",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="tenants.organization",
                    ),
                ),
                (
                    "record",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="metering.usagerecord",
                    ),
                ),
            ],
            options={
                "verbose_name": "invoiced usage",
                "verbose_name_plural": "invoiced usage",
                "db_table": "billing_invoiceusage",
                "managed": False,
                "abstract": False,
            },
        ),
        migrations.RunSQL(VIEW, "DROP VIEW billing_invoiceusage"),
    ]
