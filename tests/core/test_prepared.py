"""``core.prepared``: a queryset compiled once answers what the queryset answers, with new values each time."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from core.prepared import PreparedQuery
from core.statements import statements_execute
from tenants.choices import Role
from tenants.models import Membership, Organization
from tenants.scoping import UnscopedQueryError

pytestmark = pytest.mark.django_db


def _fields(obj: object) -> dict[str, object]:
    return {field.attname: getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields}  # type: ignore[attr-defined]


MEMBERS: PreparedQuery[Membership] = PreparedQuery(
    lambda organization, role: (
        Membership.objects.for_organization(Organization(pk=organization))
        .select_related("organization", "user")
        .filter(organization_id=organization, role=role)
        .order_by("id")
    ),
    organization=int,
    role=str,
)


def test_model_instances_with_their_related_rows_equal_the_querysets(organization, other_organization, member_of):
    for org in (organization, other_organization):
        member_of(org, Role.MEMBER)
        member_of(org, Role.MEMBER)
        member_of(org, Role.OWNER)
    for org in (organization, other_organization):  # the same statement, other values
        expected = list(
            Membership.objects.for_organization(org)
            .select_related("organization", "user")
            .filter(organization_id=org.pk, role=Role.MEMBER)
            .order_by("id")
        )
        with CaptureQueriesContext(connection) as queries:
            found = MEMBERS(organization=org.pk, role=Role.MEMBER)
            related = [(m.organization, m.user) for m in found]  # cached as select_related caches them
        assert len(queries.captured_queries) == 1
        assert len(found) == 2
        assert [_fields(m) for m in found] == [_fields(m) for m in expected]
        assert [(_fields(o), _fields(u)) for o, u in related] == [
            (_fields(m.organization), _fields(m.user)) for m in expected
        ]
        assert all(not m._state.adding and m._state.db == "default" for m in found)
    assert MEMBERS(organization=organization.pk, role="nobody") == []
    assert MEMBERS.first(organization=-1, role=Role.MEMBER) is None


def test_values_and_values_list_rows(organization, other_organization):
    by_slug = PreparedQuery(lambda slug: Organization.objects.filter(slug=slug).values("id", "legal_name"), slug=str)
    assert by_slug(slug=organization.slug) == [{"id": organization.pk, "legal_name": organization.legal_name}]
    pairs = PreparedQuery(
        lambda first, second: (
            Organization.objects.filter(pk__in=[first, second]).order_by("pk").values_list("pk", "slug")
        ),
        first=int,
        second=int,
    )
    assert pairs(first=organization.pk, second=other_organization.pk) == sorted(
        [(organization.pk, organization.slug), (other_organization.pk, other_organization.slug)]
    )
    flat = PreparedQuery(lambda pk: Organization.objects.filter(pk=pk).values_list("slug", flat=True), pk=int)
    assert flat(pk=other_organization.pk) == [other_organization.slug]


def test_each_thread_runs_it_on_its_own_connection(organization, transactional_db):
    found: list[object] = []

    def read() -> None:
        try:
            found.append(MEMBERS(organization=organization.pk, role=Role.OWNER))
            found.append(connection.connection is not None)
        finally:
            close_old_connections()
            connection.close()

    MEMBERS(organization=organization.pk, role=Role.OWNER)  # prepared in this thread
    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert found == [[], True]


def test_wrong_values_and_unsupported_querysets_are_refused():
    with pytest.raises(TypeError, match="int or str"):
        PreparedQuery(lambda when: Organization.objects.filter(created_at=when), when=float)
    with pytest.raises(TypeError, match="Expected the values"):
        MEMBERS(organization=1)
    with pytest.raises(TypeError, match="organization must be int"):
        MEMBERS(organization="1", role=Role.OWNER)
    unused = PreparedQuery(lambda pk: Organization.objects.all(), pk=int)
    with pytest.raises(ValueError, match="not parameters"):
        unused(pk=1)
    unscoped = PreparedQuery(
        lambda organization: Membership.objects.filter(organization_id=organization), organization=int
    )
    with pytest.raises(UnscopedQueryError):
        unscoped(organization=1)
    prefetching = PreparedQuery(lambda pk: Organization.objects.filter(pk=pk).prefetch_related("memberships"), pk=int)
    with pytest.raises(ValueError, match="prefetch"):
        prefetching(pk=1)


def test_as_a_statement_it_travels_with_others_and_answers_the_same(organization, other_organization, member_of):
    member_of(organization, Role.MEMBER)
    member_of(other_organization, Role.MEMBER)
    slugs = PreparedQuery(  # a literal percent sign in the SQL (a modulo) stays as it is
        lambda slug: (
            Organization.objects.filter(slug=slug).annotate(odd=RawSQL("id %% 2", ())).values_list("slug", "odd")
        ),
        slug=str,
    )
    with CaptureQueriesContext(connection) as queries:
        members_rows, slug_rows = statements_execute(
            [
                MEMBERS.statement(prefix="m", organization=organization.pk, role=Role.MEMBER),
                slugs.statement(prefix="s", slug=other_organization.slug),
            ]
        )
    assert len(queries.captured_queries) == 1
    assert [_fields(m) for m in MEMBERS.answer(members_rows)] == [
        _fields(m) for m in MEMBERS(organization=organization.pk, role=Role.MEMBER)
    ]
    assert [_fields(m.user) for m in MEMBERS.answer(members_rows)] == [
        _fields(m.user) for m in MEMBERS(organization=organization.pk, role=Role.MEMBER)
    ]
    assert (
        slugs.answer(slug_rows)
        == slugs(slug=other_organization.slug)
        == [(other_organization.slug, other_organization.pk % 2)]
    )
    with pytest.raises(TypeError):
        MEMBERS.statement(prefix="m", organization="7", role=Role.MEMBER)


def test_on_postgresql_it_is_planned_once_per_session(organization, member_of):
    member_of(organization, Role.MEMBER)
    fresh: PreparedQuery[Membership] = PreparedQuery(
        lambda organization: Membership.objects.for_organization(Organization(pk=organization)).filter(
            organization_id=organization
        ),
        organization=int,
    )
    with CaptureQueriesContext(connection) as first:
        found = fresh(organization=organization.pk)
    with CaptureQueriesContext(connection) as second:
        again = fresh(organization=organization.pk)

    assert [_fields(m) for m in found] == [_fields(m) for m in again]
    assert len(found) == 1
    assert "PREPARE" in first.captured_queries[0]["sql"]
    assert second.captured_queries[0]["sql"].startswith("EXECUTE")
