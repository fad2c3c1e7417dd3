"""The "running" e-mail names the window correctly, each server's address, SSH command and service URL, and links
to the reservation page under the one site URL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.secrets import decrypt_secret
from provisioning.cloud_access import allowed_cidr_add
from provisioning.models import InstanceAddress, ReservationAccess
from reservations.models import ReservationNotice
from reservations.notifications import notices_write_pending
from tenants.audit import Actor
from tenants.models import AuditEvent, OutgoingEmail
from tenants.services import ssh_key_add
from tests.provisioning import keys
from tests.provisioning.test_network_access import order, orderer, provision

__all__ = ["orderer"]
pytestmark = pytest.mark.django_db


def test_the_running_email_of_an_on_demand_order_says_until_released_and_how_to_reach_it(
    settings, small_inventory, customer, orderer, make_quote
):
    settings.SITE_URL = "http://kontor.test:8123"
    allowed_cidr_add(actor=Actor.for_user(orderer), organization=customer, cidr="85.214.0.0/16")
    reservation = order(customer, orderer, make_quote, public_address=True, ssh_key_ids=[])
    provision(reservation)
    first, second = [
        InstanceAddress.objects.for_organization(customer).get(instance__index=index).public_address for index in (0, 1)
    ]

    # The activation owed it in the transaction of the change (a notice); the notice drain writes it into the
    # outbox, reading the servers and their addresses once for the batch.
    unwritten = ReservationNotice.objects.for_organization(customer).filter(written_at__isnull=True)
    assert sorted(unwritten.values_list("template", flat=True)) == ["reservation_active", "reservation_scheduled"]
    with CaptureQueriesContext(connection) as queries:
        assert notices_write_pending() == 2
    # The notices with their reservations, the instances, their addresses, the recipients, the e-mails' insert, the
    # notices' update; and a savepoint and its release inside the test's transaction.
    assert len(queries) == 8
    [message] = OutgoingEmail.objects.filter(template="reservation_active")
    assert message.to == orderer.email
    assert "None" not in message.body
    assert message.body.startswith(f"Hello,\n\nreservation {reservation.pk} (2 × B200 ×1, on demand from ")
    assert " until you release it) is running.\n" in message.body
    assert f"Server 1: {first}\n  ssh ubuntu@{first}\n  Service: https://{first}:8443/\n" in message.body
    assert f"Server 2: {second}\n  ssh ubuntu@{second}\n  Service: https://{second}:8443/\n" in message.body
    link = f"http://kontor.test:8123/orgs/rheinwerk/reservations/{reservation.pk}/"
    assert message.body.rstrip().endswith(f"\n{link}")
    browser = Client()
    browser.force_login(orderer)
    assert browser.get(link.removeprefix(settings.SITE_URL)).status_code == 200


def test_the_reservation_page_shows_the_public_ssh_command_the_fingerprints_and_the_cost(
    small_inventory, customer, orderer, make_quote
):
    actor = Actor.for_user(orderer)
    key = ssh_key_add(actor=actor, organization=customer, name="Laptop", public_key=keys.ed25519_key(), owner=orderer)
    allowed_cidr_add(actor=actor, organization=customer, cidr="85.214.0.0/16")
    reservation = order(customer, orderer, make_quote, public_address=True)
    provision(reservation)
    public = InstanceAddress.objects.for_organization(customer).get(instance__index=0).public_address
    browser = Client()
    browser.force_login(orderer)

    page = browser.get(f"/orgs/rheinwerk/reservations/{reservation.pk}/").content.decode()

    assert f"<code>ssh ubuntu@{public}</code>" in page
    assert page.count(f'<code class="fingerprint">{key.fingerprint}</code>') == 2
    assert f"<code>https://{public}:8443/</code>" in page
    assert 'id="reservation-cost"' in page
    assert "an estimate:" in page


def test_the_reservation_page_shows_the_certificate_and_reveals_the_token_on_demand(
    small_inventory, customer, orderer, make_quote
):
    reservation = order(customer, orderer, make_quote, ssh_key_ids=[])
    provision(reservation)
    access = ReservationAccess.objects.for_organization(customer).get(reservation=reservation)
    browser = Client()
    browser.force_login(orderer)

    page = browser.get(f"/orgs/rheinwerk/reservations/{reservation.pk}/").content.decode()
    revealed = browser.post(f"/orgs/rheinwerk/reservations/{reservation.pk}/service-token/")

    assert f'<code class="fingerprint" id="tls-fingerprint">{access.tls_fingerprint}</code>' in page
    assert decrypt_secret(access.service_token_encrypted) not in page
    body = revealed.content.decode()
    token = decrypt_secret(access.service_token_encrypted)
    assert f'value="{token}"' in body
    assert f"Authorization: Bearer {token}" in body
    assert "no-cache" in revealed["Cache-Control"]
    assert (
        AuditEvent.objects.for_organization(customer).filter(action="reservation.service_token_revealed").count() == 1
    )
