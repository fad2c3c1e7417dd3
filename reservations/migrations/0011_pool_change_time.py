"""When each pool change-log row was written (``clock_timestamp()``, the writing statement's moment), so that the log
can be pruned (``timeline.pool_changes_prune``, hourly): a process keeps a pool's read for at most
``timeline.BUSY_READ_MAX_AGE``, so a row older than ``timeline.POOL_CHANGE_KEEP`` can no longer tell any kept read
anything. PostgreSQL only, as the log itself."""

from django.db import migrations

FORWARD = "ALTER TABLE reservations_pool_change ADD COLUMN written_at timestamptz NOT NULL DEFAULT clock_timestamp()"
BACKWARD = "ALTER TABLE reservations_pool_change DROP COLUMN written_at"


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("reservations", "0010_pool_change_log")]

    operations = [migrations.RunPython(forwards, backwards)]
