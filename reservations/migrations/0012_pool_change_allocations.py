"""The pool change log names the allocations a statement wrote (``allocations``: their ids, per pool), so that a
process's cached read of a pool can be brought up to date by fetching just those rows instead of the whole pool
(``timeline._BusyCache.current``).

The allocation triggers of migration 0010 are replaced: one row per pool touched, as before, now with the ids of
the allocations of that pool the statement inserted, updated (its old and its new node's pools) or deleted. Rows
written for nodes, pools or a TRUNCATE keep ``allocations`` NULL: such a change is not applied piecewise, the pool
is read again. PostgreSQL only, as the log itself.
"""

from django.db import migrations

TABLE = "reservations_allocation"
NODE_POOL = "SELECT n.pool_id, r.id FROM {rows} r JOIN reservations_node n ON n.id = r.node_id"
EVENTS = (("INSERT", ("new",)), ("UPDATE", ("old", "new")), ("DELETE", ("old",)))


def _function(event: str, transitions: tuple[str, ...], *, with_ids: bool) -> str:
    name = f"{TABLE}_{event.lower()}_pool_change"
    selects = " UNION ".join(NODE_POOL.format(rows=f"{side}_rows") for side in transitions)
    if with_ids:
        insert = (
            "INSERT INTO reservations_pool_change (pool_id, allocations) "
            f"SELECT pool_id, array_agg(DISTINCT id) FROM ({selects}) AS t(pool_id, id) GROUP BY pool_id;"
        )
    else:  # migration 0010's body
        insert = (
            "INSERT INTO reservations_pool_change (pool_id) "
            f"SELECT DISTINCT pool_id FROM ({selects}) AS t(pool_id, id);"
        )
    return f"""
    CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {insert}
        RETURN NULL;
    END $$
    """


FORWARD = ["ALTER TABLE reservations_pool_change ADD COLUMN allocations bigint[]"] + [
    _function(event, transitions, with_ids=True) for event, transitions in EVENTS
]
BACKWARD = [_function(event, transitions, with_ids=False) for event, transitions in EVENTS] + [
    "ALTER TABLE reservations_pool_change DROP COLUMN allocations"
]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("reservations", "0011_pool_change_time")]

    operations = [migrations.RunPython(forwards, backwards)]
