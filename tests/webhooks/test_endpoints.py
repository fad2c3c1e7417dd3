"""Webhook endpoints through the API: what is accepted, what is refused (and that nothing changed then)."""

from __future__ import annotations

import socket

import pytest
from rest_framework.test import APIClient

from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import AuditEvent
from tenants.services import api_key_create
from webhooks.models import WebhookEndpoint
from webhooks.services import MAX_ENDPOINTS, endpoint_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/organizations/rheinwerk/webhook-endpoints/"
MESSAGES = {
    "url_not_https": "The URL must start with https://.",
    "url_not_https_scheme": "The URL must start with https:// and name a host.",
    "url_credentials": "The URL must not contain a user name or password.",
    "url_too_long": "The URL may have at most 2,048 characters.",
    "url_private_address": (
        "The URL resolves to a private, loopback or link-local address, which webhooks cannot reach."
    ),
    "url_unresolvable": "The host of this URL cannot be resolved.",
}


@pytest.fixture
def owner_client(organization, owner) -> APIClient:
    client = APIClient()
    client.force_authenticate(owner)
    return client


@pytest.fixture
def public_dns(monkeypatch):
    """``hooks.example.com`` resolves to a public address (RFC 5737 ranges are not global, so use a real one)."""
    real = socket.getaddrinfo
    table = {
        "hooks.example.com": "193.99.144.80",
        "intranet.example.com": "10.1.2.3",
        "metadata.example.com": "169.254.169.254",
        "mixed.example.com": "fd00::1",
    }

    def fake(host, port, *args, **kwargs):
        if host in table:
            family = socket.AF_INET6 if ":" in table[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (table[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_an_owner_creates_an_endpoint_and_sees_the_secret_once(owner_client, organization, public_dns):
    response = owner_client.post(
        URL,
        {
            "url": "https://hooks.example.com/kontor",
            "event_types": ["invoice.finalized", "reservation.active"],
            "description": "ERP",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    endpoint = WebhookEndpoint.objects.for_organization(organization).get()
    assert body["secret"].startswith("whsec_")
    assert len(body["secret"]) == 6 + 44
    assert body["secret"] not in endpoint.secret  # stored encrypted
    assert (body["url"], body["event_types"], body["status"], body["description"]) == (
        "https://hooks.example.com/kontor",
        ["reservation.active", "invoice.finalized"],
        "enabled",
        "ERP",
    )
    listed = owner_client.get(URL).json()["results"]
    assert [sorted(item) for item in listed] == [sorted(k for k in body if k != "secret")]
    assert AuditEvent.objects.for_organization(organization).get(action="webhook_endpoint.created").data == {
        "url": "https://hooks.example.com/kontor",
        "event_types": ["reservation.active", "invoice.finalized"],
    }


@pytest.mark.parametrize(
    ("url", "field", "code"),
    [
        ("http://hooks.example.com/kontor", "url", "url_not_https"),
        ("ftp://hooks.example.com/kontor", "url", "url_not_https_scheme"),
        ("https://user:pw@hooks.example.com/kontor", "url", "url_credentials"),
        ("https://hooks.example.com/" + "a" * 2030, "url", "url_too_long"),
        ("https://intranet.example.com/hook", "url", "url_private_address"),
        ("https://metadata.example.com/latest", "url", "url_private_address"),
        ("https://mixed.example.com/hook", "url", "url_private_address"),
        ("https://127.0.0.1:8443/hook", "url", "url_private_address"),
        ("https://[::1]/hook", "url", "url_private_address"),
        ("https://192.168.1.10/hook", "url", "url_private_address"),
        ("https://does-not-exist.invalid/hook", "url", "url_unresolvable"),
    ],
)
def test_bad_urls_are_refused_and_nothing_is_created(owner_client, organization, public_dns, url, field, code):
    response = owner_client.post(URL, {"url": url, "event_types": ["reservation.active"]}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {field: [MESSAGES[code]]}
    assert WebhookEndpoint.objects.for_organization(organization).count() == 0
    assert AuditEvent.objects.for_organization(organization).count() == 0


def test_a_url_of_2048_characters_is_accepted(owner_client, organization, public_dns):
    url = "https://hooks.example.com/" + "a" * (2048 - len("https://hooks.example.com/"))

    response = owner_client.post(URL, {"url": url, "event_types": ["reservation.active"]}, format="json")

    assert response.status_code == 201
    assert WebhookEndpoint.objects.for_organization(organization).get().url == url


def test_unknown_event_types_are_refused(owner_client, organization, public_dns):
    response = owner_client.post(
        URL, {"url": "https://hooks.example.com/k", "event_types": ["reservation.active", "vm.exploded"]}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["event_types.1"]
    assert WebhookEndpoint.objects.for_organization(organization).count() == 0


def test_loopback_over_http_only_when_the_setting_allows_it(owner_client, organization, settings):
    settings.KONTOR_WEBHOOKS_ALLOW_LOOPBACK = False
    refused = owner_client.post(
        URL, {"url": "http://127.0.0.1:9/h", "event_types": ["reservation.active"]}, format="json"
    )
    settings.KONTOR_WEBHOOKS_ALLOW_LOOPBACK = True
    accepted = owner_client.post(
        URL, {"url": "http://127.0.0.1:9/h", "event_types": ["reservation.active"]}, format="json"
    )

    # The address is the first reason: loopback is refused whatever the scheme.
    assert (refused.status_code, refused.json()["fields"]) == (400, {"url": [MESSAGES["url_private_address"]]})
    assert accepted.status_code == 201
    assert WebhookEndpoint.objects.for_organization(organization).count() == 1


def test_the_seventeenth_endpoint_is_refused(owner_client, organization, public_dns):
    for number in range(MAX_ENDPOINTS):
        endpoint_create(
            actor=Actor.system("test"),
            organization=organization,
            url=f"https://hooks.example.com/{number}",
            event_types=["reservation.active"],
        )

    response = owner_client.post(
        URL, {"url": "https://hooks.example.com/17", "event_types": ["reservation.active"]}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (400, "too_many_endpoints")
    assert WebhookEndpoint.objects.for_organization(organization).count() == MAX_ENDPOINTS


def test_scopes_webhooks_read_lists_and_webhooks_write_creates(organization, owner, public_dns):
    _key, read_token = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name="read", scopes=["webhooks:read"]
    )
    _key, write_token = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name="write", scopes=["webhooks:write"]
    )
    body = {"url": "https://hooks.example.com/k", "event_types": ["invoice.finalized"]}
    reader, writer = APIClient(), APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {read_token}")
    writer.credentials(HTTP_AUTHORIZATION=f"Bearer {write_token}")

    refused = reader.post(URL, body, format="json")
    assert (refused.status_code, WebhookEndpoint.objects.for_organization(organization).count()) == (403, 0)
    assert writer.post(URL, body, format="json").status_code == 201
    assert [item["url"] for item in reader.get(URL).json()["results"]] == ["https://hooks.example.com/k"]


def test_a_member_may_not_manage_webhooks(organization, member_of, public_dns):
    client = APIClient()
    client.force_authenticate(member_of(organization, Role.MEMBER))

    response = client.post(
        URL, {"url": "https://hooks.example.com/k", "event_types": ["invoice.finalized"]}, format="json"
    )

    assert response.status_code == 403
    assert WebhookEndpoint.objects.for_organization(organization).count() == 0


def test_another_organizations_endpoint_is_a_404_and_stays_unchanged(
    owner_client, organization, other_organization, public_dns
):
    foreign, _secret = endpoint_create(
        actor=Actor.system("test"),
        organization=other_organization,
        url="https://hooks.example.com/delft",
        event_types=["invoice.finalized"],
    )

    patched = owner_client.patch(f"{URL}{foreign.pk}/", {"description": "mine"}, format="json")
    rotated = owner_client.post(f"{URL}{foreign.pk}/rotate-secret/")
    deleted = owner_client.delete(f"{URL}{foreign.pk}/")
    log = owner_client.get(f"{URL}{foreign.pk}/deliveries/")

    assert [r.status_code for r in (patched, rotated, deleted, log)] == [404, 404, 404, 404]
    unchanged = WebhookEndpoint.objects.for_organization(other_organization).get()
    assert (unchanged.description, unchanged.secret, unchanged.previous_secret) == ("", foreign.secret, "")


def test_disable_update_and_delete(owner_client, organization, public_dns):
    endpoint, _secret = endpoint_create(
        actor=Actor.system("test"),
        organization=organization,
        url="https://hooks.example.com/k",
        event_types=["invoice.finalized"],
    )

    disabled = owner_client.patch(
        f"{URL}{endpoint.pk}/", {"enabled": False, "event_types": ["credit_note.issued"]}, format="json"
    )
    assert (disabled.status_code, disabled.json()["status"], disabled.json()["event_types"]) == (
        200,
        "disabled",
        ["credit_note.issued"],
    )
    assert owner_client.delete(f"{URL}{endpoint.pk}/").status_code == 204
    assert WebhookEndpoint.objects.for_organization(organization).count() == 0
    assert list(AuditEvent.objects.for_organization(organization).order_by("id").values_list("action", flat=True)) == [
        "webhook_endpoint.created",
        "webhook_endpoint.updated",
        "webhook_endpoint.deleted",
    ]
