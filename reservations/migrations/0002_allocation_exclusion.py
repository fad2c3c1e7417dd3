"""No GPU is ever booked twice for overlapping time: PostgreSQL refuses it, whatever the concurrency.

An exclusion constraint over (node, GPU slot range, time range) for live allocations. The time range is built from
the plain start/end columns (an open end is 'infinity'), so the embedded SQLite default keeps working: there the
constraint does not exist and the allocator's pool lock (with SQLite's single writer) serializes bookings.
"""

from django.db import migrations

from core.migration_sql import sql_by_vendor

FORWARD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE reservations_allocation ADD CONSTRAINT reservations_alloc_no_double_booking
    EXCLUDE USING gist (
        node_id WITH =,
        int4range(gpu_first, gpu_first + gpu_count) WITH &&,
        tstzrange(starts_at, COALESCE(ends_at, 'infinity'::timestamptz)) WITH &&
    ) WHERE (released_at IS NULL);
"""
BACKWARD = "ALTER TABLE reservations_allocation DROP CONSTRAINT IF EXISTS reservations_alloc_no_double_booking;"


class Migration(migrations.Migration):
    dependencies = [("reservations", "0001_initial")]

    operations = [
        sql_by_vendor(postgresql_forward=FORWARD, postgresql_backward=BACKWARD)
    ]
