"""``core.statements``: model rows inserted as the ORM inserts them, several statements in one round trip, statements
prepared once per session."""

from __future__ import annotations

import pytest
from django.db import DataError, connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from core.statements import PreparedSQL, insert_statement, statement_text, statements_execute
from tenants.audit import Actor, AuditEntry, audit_record_many, audit_statement
from tenants.models import AuditEvent, Organization
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

COMPARED = ["actor_type", "actor_label", "organization", "action", "target_type", "target_id", "target_label", "data"]


def test_an_insert_statement_writes_the_rows_the_orm_writes(organization):
    entries = [
        AuditEntry(action="organization.checked", target=organization, organization=organization, data={"n": 1}),
        AuditEntry(action="organization.checked", target=organization, organization=organization, data={"n": 2}),
    ]
    actor = Actor.system("test")
    with transaction.atomic():
        by_orm = audit_record_many(actor=actor, entries=entries)
        sql, params = audit_statement(actor=actor, entries=entries)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    rows = list(AuditEvent.objects.unscoped().order_by("pk"))
    assert len(rows) == 4
    assert [model_to_dict(row, fields=COMPARED) for row in rows[2:]] == [
        model_to_dict(row, fields=COMPARED) for row in rows[:2]
    ]
    assert all(row.occurred_at is not None for row in rows)  # the column's default, as the ORM leaves it
    assert [event.pk for event in by_orm] == [row.pk for row in rows[:2]]


def test_values_every_row_shares_are_one_parameter(organization):
    entries = [
        AuditEntry(action=f"organization.step_{number}", target=organization, organization=organization)
        for number in range(3)
    ]
    with transaction.atomic():
        sql, params = audit_statement(actor=Actor.system("test"), entries=entries, prefix="a")

    assert params["a_organization_id"] == organization.pk
    assert [params[f"a{number}_action"] for number in range(3)] == [f"organization.step_{n}" for n in range(3)]
    assert "a0_organization_id" not in params
    assert sql.count("DEFAULT") == 3  # occurred_at


def test_an_instance_with_a_primary_key_is_inserted_with_it_and_marked_saved():
    organization = Organization(pk=987_654, legal_name="Fjord Compute AS", slug="fjord", country="NO")
    sql, params = insert_statement([organization], prefix="o")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)

    assert organization._state.adding is False
    assert Organization.objects.get(pk=987_654).slug == "fjord"


def test_instances_of_two_models_are_refused():
    organization = OrganizationFactory.build()
    with pytest.raises(ValueError, match="one model"):
        insert_statement([organization, AuditEvent()], prefix="x")


def test_several_statements_go_in_one_round_trip_each_with_its_rows(organization, other_organization):
    statements = [
        ("SELECT slug FROM tenants_organization WHERE id = %(first)s", {"first": organization.pk}),
        ("UPDATE tenants_organization SET city = %(city)s WHERE id = %(second)s", {"city": "Delft", "second": 0}),
        ("SELECT slug FROM tenants_organization WHERE id = %(third)s", {"third": other_organization.pk}),
    ]
    with CaptureQueriesContext(connection) as queries:
        results = statements_execute(statements)

    assert results == [[("rheinwerk",)], [], [("delft",)]]
    assert len(queries.captured_queries) == 1


def test_with_server_side_binding_they_go_one_per_execute(organization, other_organization, monkeypatch):
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "server_side_binding", True)
    statements = [
        ("SELECT slug FROM tenants_organization WHERE id = %(first)s", {"first": organization.pk}),
        ("SELECT slug FROM tenants_organization WHERE id = %(second)s", {"second": other_organization.pk}),
    ]
    with CaptureQueriesContext(connection) as queries:
        results = statements_execute(statements)

    assert results == [[("rheinwerk",)], [("delft",)]]
    assert len(queries.captured_queries) == 2


# --- PreparedSQL: parsed and planned once per session ------------------------------------------------------------

SLUGS_SQL = "SELECT slug FROM tenants_organization WHERE id = ANY(%(ids)s) AND country = %(country)s ORDER BY id"
SLUGS = PreparedSQL(SLUGS_SQL, types={"ids": "bigint[]", "country": "text"}, generic_plan=True)


def _sent(queries: CaptureQueriesContext) -> str:
    return "\n".join(query["sql"] for query in queries.captured_queries)


def _run_slugs(ids: list[int], country: str = "DE") -> list[list[tuple[object, ...]]]:
    return statements_execute([(SLUGS, {"ids": ids, "country": country})])


def test_a_prepared_statement_is_prepared_once_then_executed_with_the_rows_of_its_sql(organization, other_organization):
    other_organization.country = "DE"
    other_organization.save(update_fields=["country"])
    ids = [organization.pk, other_organization.pk]
    with connection.cursor() as cursor:
        cursor.execute(SLUGS_SQL, {"ids": ids, "country": "DE"})
        plain = cursor.fetchall()

    with CaptureQueriesContext(connection) as first:
        assert _run_slugs(ids) == [plain]
    with CaptureQueriesContext(connection) as second:
        assert _run_slugs([other_organization.pk]) == [[plain[1]]]

    assert "PREPARE" in _sent(first)
    assert "EXECUTE" in _sent(first)
    assert "PREPARE" not in _sent(second)
    assert "EXECUTE" in _sent(second)
    assert len(first.captured_queries) == len(second.captured_queries) == 1  # one round trip either way


def test_a_prepared_statement_among_others_answers_in_its_place(organization):
    statements = [
        ("SELECT 1", {}),
        (SLUGS, {"ids": [organization.pk], "country": organization.country}),
        ("SELECT %(two)s::int", {"two": 2}),
    ]
    assert statements_execute(statements) == [[(1,)], [(organization.slug,)], [(2,)]]


def test_the_generic_plan_setting_lasts_only_for_its_transaction(organization):
    with transaction.atomic():
        _run_slugs([organization.pk])
        with connection.cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            assert cursor.fetchone() == ("force_generic_plan",)  # SET LOCAL: until the transaction ends


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_generic_plan_setting_does_not_stay_on_the_session():
    organization = OrganizationFactory()
    _run_slugs([organization.pk])  # autocommit: the batch is one implicit transaction
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("auto",)


@pytest.mark.parametrize("failing_first", [True, False], ids=["before-prepare", "after-prepare"])
def test_a_failed_round_trip_prepares_again_the_next_time(organization, failing_first):
    fresh = PreparedSQL(SLUGS_SQL, types={"ids": "bigint[]", "country": "text"})
    failing = ("SELECT 1 / %(zero)s", {"zero": 0})
    mine = (fresh, {"ids": [organization.pk], "country": organization.country})
    with pytest.raises(DataError), transaction.atomic():  # the PREPARE may or may not have run before the error
        statements_execute([failing, mine] if failing_first else [mine, failing])

    with CaptureQueriesContext(connection) as queries:
        assert statements_execute([mine]) == [[(organization.slug,)]]
    assert "PREPARE" in _sent(queries)  # under a new name: no clash with one that did run
    with CaptureQueriesContext(connection) as queries:
        assert statements_execute([mine]) == [[(organization.slug,)]]
    assert "PREPARE" not in _sent(queries)


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    organization = OrganizationFactory()
    _run_slugs([organization.pk])
    connection.close()

    with CaptureQueriesContext(connection) as queries:
        assert _run_slugs([organization.pk]) == [[(organization.slug,)]]
    assert "PREPARE" in _sent(queries)


@pytest.mark.parametrize(
    "setting", ["pgbouncer", "server_side_binding"], ids=["behind-pgbouncer", "server-side-binding"]
)
def test_where_the_session_is_not_the_clients_own_it_is_sent_as_plain_sql(organization, monkeypatch, setting):
    if setting == "pgbouncer":  # KONTOR_DB_PGBOUNCER: transaction pooling, a session per transaction
        monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    else:
        monkeypatch.setitem(connection.settings_dict["OPTIONS"], "server_side_binding", True)
    fresh = PreparedSQL(SLUGS_SQL, types={"ids": "bigint[]", "country": "text"}, generic_plan=True)
    with CaptureQueriesContext(connection) as queries:
        assert statements_execute([(fresh, {"ids": [organization.pk], "country": organization.country})]) == [
            [(organization.slug,)]
        ]
    sent = _sent(queries)
    assert "PREPARE" not in sent
    assert "EXECUTE" not in sent
    assert "plan_cache_mode" not in sent


def test_its_types_must_name_exactly_its_placeholders():
    with pytest.raises(ValueError, match="placeholders"):
        PreparedSQL(SLUGS_SQL, types={"ids": "bigint[]"})
    with pytest.raises(ValueError, match="placeholders"):
        PreparedSQL(SLUGS_SQL, types={"ids": "bigint[]", "country": "text", "city": "text"})


def test_a_prepared_statement_without_parameters(organization):
    count = PreparedSQL("SELECT count(*) FROM tenants_organization", types=None)
    for _run in range(2):
        assert statements_execute([(count, {})]) == [[(Organization.objects.count(),)]]


def test_the_text_of_a_round_trip_names_what_its_executes_ran(organization):
    with CaptureQueriesContext(connection) as queries:
        _run_slugs([organization.pk])
        _run_slugs([organization.pk])
    executed = queries.captured_queries[-1]["sql"]
    assert "tenants_organization" not in executed
    assert SLUGS_SQL in statement_text(executed)
    assert statement_text("SELECT 1") == "SELECT 1"
