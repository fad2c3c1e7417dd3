"""An index on the audit log's target: every provisioning task and sweep looks up an object's events by it."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY: the audit log keeps taking writes while the index is built

    dependencies = [("tenants", "0010_outgoing_email_attachments")]

    operations = [
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(fields=["target_type", "target_id"], name="tenants_audit_target"),
        )
    ]
