"""A GiST index on the time range of live allocations alone (PostgreSQL).

The exclusion constraint's index leads with the node: a search by time only ("which nodes of this pool are busy in
this window", the allocator's insert and the candidates read) scanned all of it, ~10 ms over 100,000 allocations,
part of it under the pool lock. On the window alone it is an index probe (~0.5 ms). SQLite has no GiST and no such
search: nothing there.
"""

from django.db import migrations

from core.migration_sql import sql_by_vendor

FORWARD = """
CREATE INDEX IF NOT EXISTS reservations_alloc_live_window ON reservations_allocation
    USING gist (tstzrange(starts_at, COALESCE(ends_at, 'infinity'::timestamptz))) WHERE (released_at IS NULL);
"""
BACKWARD = "DROP INDEX IF EXISTS reservations_alloc_live_window;"


class Migration(migrations.Migration):
    dependencies = [("reservations", "0007_console_labels")]

    operations = [sql_by_vendor(postgresql_forward=FORWARD, postgresql_backward=BACKWARD)]
