"""Append-only, with one exception: a GDPR erasure may pseudonymize personal data in audit rows.

The exception holds only while the erasing transaction has an open row in tenants_auditredaction, and (on
PostgreSQL) only for actor_label, target_label, data and ip_address: who, what, which object and when never change.
"""

from django.db import migrations

from core.migration_sql import sql_by_vendor

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION tenants_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND EXISTS (SELECT 1 FROM tenants_auditredaction WHERE is_open)
       AND NEW.id = OLD.id
       AND NEW.occurred_at = OLD.occurred_at
       AND NEW.actor_type = OLD.actor_type
       AND NEW.actor_user_id IS NOT DISTINCT FROM OLD.actor_user_id
       AND NEW.actor_api_key_id IS NOT DISTINCT FROM OLD.actor_api_key_id
       AND NEW.organization_id IS NOT DISTINCT FROM OLD.organization_id
       AND NEW.action = OLD.action
       AND NEW.target_type = OLD.target_type
       AND NEW.target_id = OLD.target_id
       AND NEW.request_id = OLD.request_id THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'tenants_auditevent is append-only: % refused', TG_OP USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""
POSTGRES_BACKWARD = """
CREATE OR REPLACE FUNCTION tenants_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'tenants_auditevent is append-only: % refused', TG_OP USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""
SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS tenants_auditevent_no_update;",
    "CREATE TRIGGER tenants_auditevent_no_update BEFORE UPDATE ON tenants_auditevent "
    "WHEN NOT EXISTS (SELECT 1 FROM tenants_auditredaction WHERE is_open) "
    "BEGIN SELECT RAISE(ABORT, 'tenants_auditevent is append-only: UPDATE refused'); END;",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS tenants_auditevent_no_update;",
    "CREATE TRIGGER tenants_auditevent_no_update BEFORE UPDATE ON tenants_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'tenants_auditevent is append-only: UPDATE refused'); END;",
]


class Migration(migrations.Migration):
    dependencies = [("tenants", "0005_audit_redaction")]

    operations = [
        sql_by_vendor(
            postgresql_forward=POSTGRES_FORWARD,
            postgresql_backward=POSTGRES_BACKWARD,
            sqlite_forward=SQLITE_FORWARD,
            sqlite_backward=SQLITE_BACKWARD,
        )
    ]
