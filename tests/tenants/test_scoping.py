"""Tenant scoping fails closed: a tenant-owned model cannot be listed without naming its organization."""

from __future__ import annotations

import pytest

from tenants.choices import Role
from tenants.models import AuditEvent, Membership
from tenants.scoping import UnscopedQueryError
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "evaluate",
    [
        pytest.param(lambda qs: list(qs), id="list"),
        pytest.param(lambda qs: qs.count(), id="count"),
        pytest.param(lambda qs: qs.exists(), id="exists"),
        pytest.param(lambda qs: qs.first(), id="first"),
        pytest.param(lambda qs: qs.get(role=Role.OWNER), id="get"),
        pytest.param(lambda qs: list(qs.iterator()), id="iterator"),
        pytest.param(lambda qs: qs.aggregate(n=__import__("django.db.models").db.models.Count("id")), id="aggregate"),
        pytest.param(lambda qs: qs.update(role=Role.VIEWER), id="update"),
        pytest.param(lambda qs: qs.delete(), id="delete"),
        pytest.param(lambda qs: bool(qs), id="bool"),
        pytest.param(lambda qs: qs[0], id="index"),
    ],
)
def test_unscoped_membership_query_raises_and_changes_nothing(organization, evaluate):
    MembershipFactory.create(organization=organization, role=Role.OWNER)

    with pytest.raises(UnscopedQueryError, match="Membership is tenant-owned"):
        evaluate(Membership.objects.filter(role=Role.OWNER))

    assert list(Membership.objects.for_organization(organization).values_list("role", flat=True)) == [Role.OWNER]


def test_for_organization_none_raises():
    with pytest.raises(UnscopedQueryError, match="must be queried for a saved organization"):
        Membership.objects.for_organization(None)


def test_for_organization_returns_only_that_organizations_rows(organization, other_organization):
    mine = MembershipFactory.create(organization=organization)
    MembershipFactory.create(organization=other_organization)

    assert list(Membership.objects.for_organization(organization)) == [mine]
    assert list(Membership.objects.for_organization(organization).filter(role=Role.OWNER).order_by("id")) == [mine]


def test_scope_survives_chaining(organization, other_organization):
    MembershipFactory.create(organization=organization, role=Role.VIEWER)
    MembershipFactory.create(organization=other_organization, role=Role.VIEWER)

    queryset = Membership.objects.for_organization(organization).exclude(role=Role.OWNER).select_related("user")

    assert queryset.count() == 1


def test_related_managers_are_scoped_by_their_relation(organization, other_organization):
    membership = MembershipFactory.create(organization=organization)
    MembershipFactory.create(organization=other_organization, user=membership.user)

    assert list(organization.memberships.all()) == [membership]
    assert membership.user.memberships.count() == 2


def test_unscoped_is_the_explicit_cross_tenant_read(organization, other_organization):
    MembershipFactory.create(organization=organization)
    MembershipFactory.create(organization=other_organization)

    assert Membership.objects.unscoped().count() == 2
    assert AuditEvent.objects.unscoped().count() == 0
