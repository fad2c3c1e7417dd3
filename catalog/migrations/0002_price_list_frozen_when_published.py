"""A published price list is frozen in the database itself (PostgreSQL and SQLite).

- Its compute and license prices cannot be inserted, updated or deleted.
- The list row cannot be updated while it stays published (withdrawing it to a draft, which the service allows only
  before it takes effect, sets ``published_at`` back to NULL) and cannot be deleted.

TRUNCATE stays possible: it is a DBA operation (and how the test suite resets tables), not an application write.
"""

from django.db import migrations

from core.migration_sql import sql_by_vendor

PRICE_TABLES = ("catalog_computeprice", "catalog_licenseprice")

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION catalog_price_refuse_change_when_published() RETURNS trigger AS $$
BEGIN
    IF (TG_OP <> 'INSERT' AND EXISTS (
            SELECT 1 FROM catalog_pricelist WHERE id = OLD.price_list_id AND published_at IS NOT NULL))
       OR (TG_OP <> 'DELETE' AND EXISTS (
            SELECT 1 FROM catalog_pricelist WHERE id = NEW.price_list_id AND published_at IS NOT NULL)) THEN
        RAISE EXCEPTION '%: % refused, the price list is published and frozen', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER catalog_computeprice_frozen
    BEFORE INSERT OR UPDATE OR DELETE ON catalog_computeprice
    FOR EACH ROW EXECUTE FUNCTION catalog_price_refuse_change_when_published();
CREATE TRIGGER catalog_licenseprice_frozen
    BEFORE INSERT OR UPDATE OR DELETE ON catalog_licenseprice
    FOR EACH ROW EXECUTE FUNCTION catalog_price_refuse_change_when_published();

CREATE OR REPLACE FUNCTION catalog_pricelist_refuse_change_when_published() RETURNS trigger AS $$
BEGIN
    IF OLD.published_at IS NOT NULL AND (TG_OP = 'DELETE' OR NEW.published_at IS NOT NULL) THEN
        RAISE EXCEPTION 'catalog_pricelist: % refused, the price list is published and frozen', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER catalog_pricelist_frozen
    BEFORE UPDATE OR DELETE ON catalog_pricelist
    FOR EACH ROW EXECUTE FUNCTION catalog_pricelist_refuse_change_when_published();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS catalog_computeprice_frozen ON catalog_computeprice;
DROP TRIGGER IF EXISTS catalog_licenseprice_frozen ON catalog_licenseprice;
DROP TRIGGER IF EXISTS catalog_pricelist_frozen ON catalog_pricelist;
DROP FUNCTION IF EXISTS catalog_price_refuse_change_when_published();
DROP FUNCTION IF EXISTS catalog_pricelist_refuse_change_when_published();
"""


def _published(row: str) -> str:
    return f"(SELECT published_at FROM catalog_pricelist WHERE id = {row}.price_list_id) IS NOT NULL"


SQLITE_FORWARD = [
    *(
        f"CREATE TRIGGER {table}_frozen_{operation.lower()} BEFORE {operation} ON {table} WHEN {condition} "
        f"BEGIN SELECT RAISE(ABORT, '{table}: {operation} refused, the price list is published and frozen'); END;"
        for table in PRICE_TABLES
        for operation, condition in (
            ("INSERT", _published("NEW")),
            ("UPDATE", f"{_published('OLD')} OR {_published('NEW')}"),
            ("DELETE", _published("OLD")),
        )
    ),
    "CREATE TRIGGER catalog_pricelist_frozen_update BEFORE UPDATE ON catalog_pricelist "
    "WHEN OLD.published_at IS NOT NULL AND NEW.published_at IS NOT NULL "
    "BEGIN SELECT RAISE(ABORT, 'catalog_pricelist: UPDATE refused, the price list is published and frozen'); END;",
    "CREATE TRIGGER catalog_pricelist_frozen_delete BEFORE DELETE ON catalog_pricelist "
    "WHEN OLD.published_at IS NOT NULL "
    "BEGIN SELECT RAISE(ABORT, 'catalog_pricelist: DELETE refused, the price list is published and frozen'); END;",
]
SQLITE_BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_frozen_{operation};"
        for table in PRICE_TABLES
        for operation in ("insert", "update", "delete")
    ),
    "DROP TRIGGER IF EXISTS catalog_pricelist_frozen_update;",
    "DROP TRIGGER IF EXISTS catalog_pricelist_frozen_delete;",
]


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        sql_by_vendor(
            postgresql_forward=POSTGRES_FORWARD,
            postgresql_backward=POSTGRES_BACKWARD,
            sqlite_forward=SQLITE_FORWARD,
            sqlite_backward=SQLITE_BACKWARD,
        )
    ]
