"""The SDK against the real API on a live server (one test: each live-server test pays a database flush): cursor
pagination over five endpoints in pages of two, and the typed errors of real refusals."""

from __future__ import annotations

import pytest

from kontor_client import AuthenticationError, NotFound, PermissionDenied, ValidationError, connect, paginate
from kontor_client.generated.api.organizations import (
    organizations_webhook_endpoints_create,
    organizations_webhook_endpoints_list,
    organizations_webhook_endpoints_retrieve,
)
from kontor_client.generated.models.event_types_enum import EventTypesEnum
from kontor_client.generated.models.webhook_endpoint_create_request import WebhookEndpointCreateRequest
from tenants.audit import Actor
from tenants.models import Membership
from tenants.permissions import Scope
from tenants.services import api_key_create
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)


def endpoint(number: int) -> WebhookEndpointCreateRequest:
    return WebhookEndpointCreateRequest(
        url=f"http://127.0.0.1:9/hooks/{number}", event_types=[EventTypesEnum.RESERVATION_CREATED]
    )


def test_paginate_follows_the_cursor_and_refusals_raise_typed_errors(live_api, customer):
    # Each client is closed at the end: a kept-alive connection would hold the live server's database session.
    with connect(live_api.token, base_url=live_api.url) as client:
        created = [
            organizations_webhook_endpoints_create.sync("rheinwerk", client=client, body=endpoint(n)).id
            for n in range(5)
        ]
        listed = [
            e.id for e in paginate(organizations_webhook_endpoints_list.sync, "rheinwerk", client=client, page_size=2)
        ]
    assert listed == sorted(created, reverse=True)

    # Real refusals raise typed errors and change nothing.
    owner = Membership.objects.for_organization(customer).get().user
    _key, reader = api_key_create(
        actor=Actor.for_user(owner), organization=customer, name="Reader", scopes=[Scope.WEBHOOKS_READ]
    )
    with (
        connect(live_api.token, base_url=live_api.url) as client,
        connect("ktr_nope_nope", base_url=live_api.url) as stranger,
        connect(reader, base_url=live_api.url) as read_only,
    ):
        refusals = refuse(client, stranger, read_only)

    invalid, missing, unauthenticated, refused = refusals
    assert (invalid.status, invalid.code) == (400, "invalid")
    assert list(invalid.fields) == ["url"]
    assert (missing.status, missing.code) == (404, "not_found")
    assert (unauthenticated.status, unauthenticated.code) == (401, "authentication_failed")
    assert (refused.status, refused.code) == (403, "permission_denied")
    assert WebhookEndpoint.objects.for_organization(customer).count() == 5


def refuse(client, stranger, read_only):
    with pytest.raises(ValidationError) as invalid:
        organizations_webhook_endpoints_create.sync(
            "rheinwerk",
            client=client,
            body=WebhookEndpointCreateRequest(
                url="ftp://example.org/x", event_types=[EventTypesEnum.INVOICE_FINALIZED]
            ),
        )
    with pytest.raises(NotFound) as missing:
        organizations_webhook_endpoints_retrieve.sync("rheinwerk", 999999, client=client)
    with pytest.raises(AuthenticationError) as unauthenticated:
        organizations_webhook_endpoints_list.sync("rheinwerk", client=stranger)
    with pytest.raises(PermissionDenied) as refused:
        organizations_webhook_endpoints_create.sync("rheinwerk", client=read_only, body=endpoint(1))
    return invalid.value, missing.value, unauthenticated.value, refused.value
