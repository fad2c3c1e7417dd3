"""An index on the audit log's target: every provisioning task and sweep looks up an object's events by it."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.migrations.operations import AddIndex


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    """``CREATE INDEX CONCURRENTLY`` on PostgreSQL; a plain index on the embedded SQLite default (``make run``),
    whose schema editor knows no concurrent build."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY: the audit log keeps taking writes while the index is built

    dependencies = [("tenants", "0010_outgoing_email_attachments")]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="auditevent",
            index=models.Index(fields=["target_type", "target_id"], name="tenants_audit_target"),
        )
    ]
