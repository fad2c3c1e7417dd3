"""The webhook pages: create (secret shown once), the delivery log with resend and test event, rotation."""

from __future__ import annotations

import pytest
from django.test import Client

from tenants.audit import Actor
from tenants.choices import Role
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db
PAGE = "/orgs/rheinwerk/webhooks/"


@pytest.fixture
def owner_browser(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def test_an_owner_adds_an_endpoint_and_sees_its_secret_once(owner_browser, organization, receiver):
    response = owner_browser.post(
        PAGE, {"url": receiver.url, "event_types": ["reservation.active", "invoice.finalized"], "description": "ERP"}
    )

    endpoint = WebhookEndpoint.objects.for_organization(organization).get()
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    secret = response.context["secret"]
    assert secret.startswith("whsec_")
    assert secret in response.content.decode()
    listing = owner_browser.get(PAGE).content.decode()
    assert receiver.url in listing
    assert secret not in listing
    assert endpoint.event_types == ["reservation.active", "invoice.finalized"]


def test_a_refused_url_is_shown_next_to_the_field(owner_browser, organization, settings):
    settings.KONTOR_WEBHOOKS_ALLOW_LOOPBACK = False

    response = owner_browser.post(PAGE, {"url": "http://127.0.0.1:9/h", "event_types": ["reservation.active"]})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "url": ["The URL resolves to a private, loopback or link-local address, which webhooks cannot reach."]
    }
    assert WebhookEndpoint.objects.for_organization(organization).count() == 0


def test_test_event_resend_and_rotation_from_the_log(
    owner_browser, organization, receiver, scheduled, django_capture_on_commit_callbacks
):
    endpoint, _secret = endpoint_create(
        actor=Actor.system("test"), organization=organization, url=receiver.url, event_types=["invoice.finalized"]
    )
    base = f"{PAGE}{endpoint.pk}/"

    with django_capture_on_commit_callbacks(execute=True):
        owner_browser.post(f"{base}test/")
    delivery = WebhookDelivery.objects.for_organization(organization).get()
    with django_capture_on_commit_callbacks(execute=True):
        owner_browser.post(f"{base}deliveries/{delivery.pk}/resend/")
    log = owner_browser.get(base)
    rotated = owner_browser.post(f"{base}rotate/")

    assert len(receiver.requests) == 2
    assert delivery.message_id in log.content.decode()
    assert [(d.event_type, d.attempts) for d in log.context["deliveries"]] == [("webhook.test", 2)]
    endpoint.refresh_from_db()
    assert rotated.context["secret"].startswith("whsec_")
    assert endpoint.previous_secret != ""


def test_a_viewer_sees_no_webhook_page_and_a_member_cannot_add(organization, member_of, receiver):
    viewer, member = Client(), Client()
    viewer.force_login(member_of(organization, Role.VIEWER))
    member.force_login(member_of(organization, Role.MEMBER))

    assert viewer.get(PAGE).status_code == 403
    assert member.post(PAGE, {"url": receiver.url, "event_types": ["reservation.active"]}).status_code == 403
    assert WebhookEndpoint.objects.for_organization(organization).count() == 0


def test_another_organizations_endpoint_is_a_404(owner_browser, other_organization, receiver):
    foreign, _secret = endpoint_create(
        actor=Actor.system("test"), organization=other_organization, url=receiver.url, event_types=["invoice.finalized"]
    )

    assert owner_browser.get(f"{PAGE}{foreign.pk}/").status_code == 404
    assert owner_browser.post(f"{PAGE}{foreign.pk}/delete/").status_code == 404
    assert WebhookEndpoint.objects.for_organization(other_organization).count() == 1
