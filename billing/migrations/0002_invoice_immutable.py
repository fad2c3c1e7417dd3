"""A finalized invoice or credit note never changes: the database refuses UPDATE and DELETE of a finalized
``billing_invoice`` row, and INSERT, UPDATE and DELETE of lines of a finalized document (PostgreSQL and SQLite).

The one allowed change of status — the draft → finalized update itself — passes because the trigger looks at the
row as it was (``OLD.status``). TRUNCATE stays possible: a DBA operation, and how the test suite resets tables.
"""

from django.db import migrations

from core.migration_sql import sql_by_vendor

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION billing_invoice_refuse_change() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'finalized' THEN
        RAISE EXCEPTION 'billing_invoice % is finalized: % refused', OLD.id, TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoice_immutable_when_finalized
    BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_refuse_change();

CREATE OR REPLACE FUNCTION billing_invoiceline_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM billing_invoice WHERE id = OLD.invoice_id AND status = 'finalized'
    ) THEN
        RAISE EXCEPTION 'billing_invoiceline % belongs to a finalized invoice: % refused', OLD.id, TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
        SELECT 1 FROM billing_invoice WHERE id = NEW.invoice_id AND status = 'finalized'
    ) THEN
        RAISE EXCEPTION 'billing_invoice % is finalized: % of a line refused', NEW.invoice_id, TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoiceline_immutable_when_finalized
    BEFORE INSERT OR UPDATE OR DELETE ON billing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION billing_invoiceline_refuse_change();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS billing_invoiceline_immutable_when_finalized ON billing_invoiceline;
DROP FUNCTION IF EXISTS billing_invoiceline_refuse_change();
DROP TRIGGER IF EXISTS billing_invoice_immutable_when_finalized ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_refuse_change();
"""
FINALIZED = "SELECT 1 FROM billing_invoice WHERE id = {row}.invoice_id AND status = 'finalized'"
SQLITE_FORWARD = [
    "CREATE TRIGGER billing_invoice_no_update BEFORE UPDATE ON billing_invoice WHEN OLD.status = 'finalized' "
    "BEGIN SELECT RAISE(ABORT, 'billing_invoice is finalized: UPDATE refused'); END;",
    "CREATE TRIGGER billing_invoice_no_delete BEFORE DELETE ON billing_invoice WHEN OLD.status = 'finalized' "
    "BEGIN SELECT RAISE(ABORT, 'billing_invoice is finalized: DELETE refused'); END;",
    f"CREATE TRIGGER billing_invoiceline_no_insert BEFORE INSERT ON billing_invoiceline "
    f"WHEN EXISTS ({FINALIZED.format(row='NEW')}) "
    "BEGIN SELECT RAISE(ABORT, 'billing_invoice is finalized: INSERT of a line refused'); END;",
    f"CREATE TRIGGER billing_invoiceline_no_update BEFORE UPDATE ON billing_invoiceline "
    f"WHEN EXISTS ({FINALIZED.format(row='OLD')}) OR EXISTS ({FINALIZED.format(row='NEW')}) "
    "BEGIN SELECT RAISE(ABORT, 'billing_invoice is finalized: UPDATE of a line refused'); END;",
    f"CREATE TRIGGER billing_invoiceline_no_delete BEFORE DELETE ON billing_invoiceline "
    f"WHEN EXISTS ({FINALIZED.format(row='OLD')}) "
    "BEGIN SELECT RAISE(ABORT, 'billing_invoice is finalized: DELETE of a line refused'); END;",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS billing_invoiceline_no_delete;",
    "DROP TRIGGER IF EXISTS billing_invoiceline_no_update;",
    "DROP TRIGGER IF EXISTS billing_invoiceline_no_insert;",
    "DROP TRIGGER IF EXISTS billing_invoice_no_delete;",
    "DROP TRIGGER IF EXISTS billing_invoice_no_update;",
]


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [
        sql_by_vendor(
            postgresql_forward=POSTGRES_FORWARD,
            postgresql_backward=POSTGRES_BACKWARD,
            sqlite_forward=SQLITE_FORWARD,
            sqlite_backward=SQLITE_BACKWARD,
        )
    ]
