"""The audit log is append-only: the database itself refuses UPDATE and DELETE on it (PostgreSQL and SQLite).

TRUNCATE stays possible: it is a DBA operation (and how the test suite resets tables), not an application write.
"""

from django.db import migrations

from core.migration_sql import sql_by_vendor

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION tenants_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'tenants_auditevent is append-only: % refused', TG_OP USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tenants_auditevent_append_only
    BEFORE UPDATE OR DELETE ON tenants_auditevent
    FOR EACH ROW EXECUTE FUNCTION tenants_auditevent_refuse_change();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS tenants_auditevent_append_only ON tenants_auditevent;
DROP FUNCTION IF EXISTS tenants_auditevent_refuse_change();
"""
SQLITE_FORWARD = [
    "CREATE TRIGGER tenants_auditevent_no_update BEFORE UPDATE ON tenants_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'tenants_auditevent is append-only: UPDATE refused'); END;",
    "CREATE TRIGGER tenants_auditevent_no_delete BEFORE DELETE ON tenants_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'tenants_auditevent is append-only: DELETE refused'); END;",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS tenants_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS tenants_auditevent_no_delete;",
]


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [
        sql_by_vendor(
            postgresql_forward=POSTGRES_FORWARD,
            postgresql_backward=POSTGRES_BACKWARD,
            sqlite_forward=SQLITE_FORWARD,
            sqlite_backward=SQLITE_BACKWARD,
        )
    ]
