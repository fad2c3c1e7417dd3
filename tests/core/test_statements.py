"""``core.statements``: model rows inserted as the ORM inserts them, several statements in one round trip."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from core.statements import insert_statement, statements_execute
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
