"""The endpoint look-up every domain event makes: what it answers, for one organization (compiled once per
process) and for several, and that a change to an endpoint counts at once (nothing is kept between calls)."""

from __future__ import annotations

import pytest

from tenants.audit import Actor
from webhooks.selectors import live_endpoint_event_types
from webhooks.services import endpoint_create, endpoint_delete, endpoint_update

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


def test_the_live_endpoints_of_one_and_of_several_organizations(organization, other_organization, receiver):
    url = receiver.url
    assert live_endpoint_event_types(organization_ids={organization.pk}) == []
    first, _secret = endpoint_create(
        actor=ACTOR, organization=organization, url=url, event_types=["reservation.active", "instance.running"]
    )
    second, _secret = endpoint_create(
        actor=ACTOR, organization=other_organization, url=url, event_types=["invoice.finalized"]
    )
    off, _secret = endpoint_create(actor=ACTOR, organization=organization, url=url, event_types=["invoice.finalized"])
    endpoint_update(actor=ACTOR, organization=organization, endpoint=off, enabled=False)

    assert live_endpoint_event_types(organization_ids={organization.pk}) == [
        (organization.pk, first.pk, ["reservation.active", "instance.running"])
    ]
    assert sorted(live_endpoint_event_types(organization_ids={organization.pk, other_organization.pk})) == sorted(
        [
            (organization.pk, first.pk, ["reservation.active", "instance.running"]),
            (other_organization.pk, second.pk, ["invoice.finalized"]),
        ]
    )
    assert live_endpoint_event_types(organization_ids=()) == []

    endpoint_delete(actor=ACTOR, organization=organization, endpoint=first)
    assert live_endpoint_event_types(organization_ids={organization.pk}) == []
