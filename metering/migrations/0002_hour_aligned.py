"""A usage record's hour is the start of a UTC hour, checked by PostgreSQL itself.

``date_trunc`` with an explicit time zone does not depend on the session's time zone. The embedded SQLite default
has no such function in a CHECK: there ``metering.services`` writes only aligned hours (``hour_start``).
"""

from django.db import migrations

from core.migration_sql import sql_by_vendor

FORWARD = """
ALTER TABLE metering_usagerecord ADD CONSTRAINT metering_usage_hour_aligned
    CHECK (hour = date_trunc('hour', hour, 'UTC'));
"""
BACKWARD = "ALTER TABLE metering_usagerecord DROP CONSTRAINT IF EXISTS metering_usage_hour_aligned;"


class Migration(migrations.Migration):
    dependencies = [("metering", "0001_initial")]

    operations = [
        sql_by_vendor(postgresql_forward=FORWARD, postgresql_backward=BACKWARD)
    ]
