"""A usage record's hour is the start of a UTC hour, checked by PostgreSQL itself.

``date_trunc`` with an explicit time zone does not depend on the session's time zone. The embedded SQLite default
has no such function in a CHECK: there ``metering.services`` writes only aligned hours (``hour_start``).
"""

from django.db import migrations

FORWARD = """
ALTER TABLE metering_usagerecord ADD CONSTRAINT metering_usage_hour_aligned
    CHECK (hour = date_trunc('hour', hour, 'UTC'));
"""
BACKWARD = "ALTER TABLE metering_usagerecord DROP CONSTRAINT IF EXISTS metering_usage_hour_aligned;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("metering", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
