from __future__ import annotations

from dataclasses import dataclass

import pytest

from tenants.audit import Actor
from tenants.models import Membership
from tenants.permissions import Scope
from tenants.services import api_key_create
from tests.billing.invoice_files import seller_bank  # noqa: F401
from tests.reservations.conftest import catalog, customer, make_quote, small_inventory  # noqa: F401


@dataclass(frozen=True)
class LiveApi:
    url: str
    token: str


@pytest.fixture
def live_api(live_server, customer, settings) -> LiveApi:  # noqa: F811
    """The real API on a live HTTP server (a thread of this process), and an API key of the customer with every
    scope. Webhook receivers in these tests listen on loopback."""
    settings.KONTOR_WEBHOOKS_ALLOW_LOOPBACK = True
    owner = Membership.objects.for_organization(customer).get().user
    _key, token = api_key_create(actor=Actor.for_user(owner), organization=customer, name="SDK", scopes=list(Scope))
    return LiveApi(url=live_server.url, token=token)
