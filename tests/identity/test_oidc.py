"""Sign-in through an organization's OpenID Connect provider: a real provider (django-oauth-toolkit) in its own
process, the authorization-code flow with PKCE, Kontor driven by Django's test client and the provider by HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.utils import timezone
from jwt.algorithms import RSAAlgorithm

from core.secrets import decrypt_secret
from identity import services
from identity.choices import DomainStatus
from identity.models import EmailDomain, ExternalIdentity, GroupRoleMapping, IdentityProvider
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import AuditEvent, Membership, Organization, User
from tests.identity.conftest import CLIENT_ID, CLIENT_SECRET, IDP_PASSWORD, OidcProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(organization: Organization, owner: User, oidc_provider: OidcProvider) -> IdentityProvider:
    """Rheinwerk with rheinwerk.example verified, its provider connected and gpu-admins mapped to admin."""
    EmailDomain.objects.create(
        organization=organization,
        domain="rheinwerk.example",
        token="t",
        status=DomainStatus.VERIFIED,
        verified_at=timezone.now(),
    )
    actor = Actor.for_user(owner)
    provider = services.identity_provider_configure(
        actor=actor,
        organization=organization,
        issuer=oidc_provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    services.group_role_mapping_set(actor=actor, organization=organization, group="gpu-admins", role=Role.ADMIN)
    return provider


def start_sign_in(client: Client, email: str) -> str:
    """Home-realm discovery, then the form that leaves for the provider: the provider's authorization URL."""
    page = client.post("/sso/", {"email": email})
    assert page.status_code == 200
    assert b"Continue to Rheinwerk Robotics GmbH" in page.content
    leave = client.post("/accounts/oidc/org-rheinwerk/login/", {"process": "login"})
    assert leave.status_code == 302
    return str(leave["Location"])


def authorize_at_provider(authorize_url: str, username: str) -> str:
    """Sign in at the provider as a browser would; the redirect back to Kontor (with code and state)."""
    browser = requests.Session()
    login_page = browser.get(authorize_url, timeout=10)
    assert urlsplit(login_page.url).path == "/login/"
    answer = browser.post(
        login_page.url,
        data={
            "username": username,
            "password": IDP_PASSWORD,
            "next": parse_qs(urlsplit(login_page.url).query)["next"][0],
            "csrfmiddlewaretoken": browser.cookies["idp_csrftoken"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    origin = f"{urlsplit(authorize_url).scheme}://{urlsplit(authorize_url).netloc}"
    back = browser.get(origin + answer.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text[:500]
    return str(back.headers["Location"])


def sign_in(client: Client, email: str, username: str):  # type: ignore[no-untyped-def]
    callback = authorize_at_provider(start_sign_in(client, email), username)
    assert callback.startswith("http://testserver/accounts/oidc/org-rheinwerk/login/callback/?")
    return client.get(callback.removeprefix("http://testserver"))


def test_the_authorization_request_uses_pkce_s256_a_nonce_and_the_configured_scopes(connected, client):
    query = parse_qs(urlsplit(start_sign_in(client, "ada@rheinwerk.example")).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["nonce"][0]) == 32
    assert sorted(query["scope"][0].split()) == ["email", "openid", "profile"]


def test_a_person_in_a_mapped_group_gets_an_account_and_the_mapped_role(connected, client, organization):
    response = sign_in(client, "ada@rheinwerk.example", "ada")

    assert response.status_code == 302
    user = User.objects.get(email="ada@rheinwerk.example")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user.full_name == "Ada Lovelace"
    assert user.has_usable_password() is False
    assert EmailAddress.objects.filter(user=user, email="ada@rheinwerk.example", verified=True).count() == 1
    membership = Membership.objects.for_organization(organization).get(user=user)
    assert membership.role == Role.ADMIN
    identity = ExternalIdentity.objects.for_organization(organization).get(user=user)
    assert (identity.groups, identity.role) == (["gpu-admins", "staff"], "admin")
    events = AuditEvent.objects.for_organization(organization).filter(action__startswith="membership.sso")
    assert [(e.action, e.data["role"], e.data["previous_role"]) for e in events] == [
        ("membership.sso_role_changed", "admin", None)
    ]


def test_a_person_whose_groups_map_to_nothing_gets_no_role(connected, client, organization):
    response = sign_in(client, "bob@rheinwerk.example", "bob")

    assert response.status_code == 302
    user = User.objects.get(email="bob@rheinwerk.example")
    assert Membership.objects.for_organization(organization).filter(user=user).exists() is False
    assert ExternalIdentity.objects.for_organization(organization).get(user=user).role == ""
    sign_in_event = AuditEvent.objects.for_organization(organization).get(action="identity.sso_sign_in")
    assert sign_in_event.data == {"subject": "2", "groups": ["staff"], "role": None, "previous_role": None}


def test_role_changes_apply_at_the_next_sign_in_and_are_audited(connected, client, organization, owner):
    sign_in(client, "ada@rheinwerk.example", "ada")
    services.group_role_mapping_set(
        actor=Actor.for_user(owner), organization=organization, group="gpu-admins", role=Role.VIEWER
    )
    user = User.objects.get(email="ada@rheinwerk.example")
    assert Membership.objects.for_organization(organization).get(user=user).role == Role.ADMIN

    client.logout()
    sign_in(client, "ada@rheinwerk.example", "ada")

    assert Membership.objects.for_organization(organization).get(user=user).role == Role.VIEWER
    changes = AuditEvent.objects.for_organization(organization).filter(action="membership.sso_role_changed")
    assert [(e.data["previous_role"], e.data["role"]) for e in changes.order_by("id")] == [
        (None, "admin"),
        ("admin", "viewer"),
    ]

    GroupRoleMapping.objects.for_organization(organization).delete()
    client.logout()
    sign_in(client, "ada@rheinwerk.example", "ada")
    assert Membership.objects.for_organization(organization).filter(user=user).exists() is False


def test_an_address_outside_the_verified_domains_is_refused(connected, client):
    users_before = User.objects.count()
    page = client.post("/sso/", {"email": "ada@rheinwerk.example"})
    assert page.status_code == 200
    leave = client.post("/accounts/oidc/org-rheinwerk/login/", {"process": "login"})
    callback = authorize_at_provider(str(leave["Location"]), "eve")  # eve@elsewhere.example

    response = client.get(callback.removeprefix("http://testserver"))

    assert response.status_code == 403
    assert b"eve@elsewhere.example is not in a domain Rheinwerk Robotics GmbH has verified." in response.content
    assert User.objects.count() == users_before
    assert "_auth_user_id" not in client.session


def test_an_id_token_without_the_nonce_of_this_sign_in_is_refused(connected, client):
    users_before = User.objects.count()
    callback = authorize_at_provider(start_sign_in(client, "ada@rheinwerk.example"), "ada")
    session = client.session
    states = session["socialaccount_states"]
    for state_id in states:
        states[state_id][0]["kontor_nonce"] = "not-the-nonce-sent"
    session.save()

    response = client.get(callback.removeprefix("http://testserver"))

    assert response.status_code == 403
    assert b"does not belong to this sign-in" in response.content
    assert User.objects.count() == users_before


def test_an_id_token_signed_with_another_key_is_refused(connected, client, organization, oidc_provider):
    users_before = User.objects.count()
    # The provider's key ID with another RSA key: only the signature check can tell them apart.
    real = oidc_provider.jwks()["keys"][0]  # type: ignore[index]
    other = json.loads(RSAAlgorithm.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()))
    with json_server({"keys": [{**other, "kid": real["kid"], "alg": "RS256", "use": "sig"}]}) as jwks_url:
        IdentityProvider.objects.for_organization(organization).update(
            discovery={**connected.discovery, "jwks_uri": jwks_url}
        )
        callback = authorize_at_provider(start_sign_in(client, "ada@rheinwerk.example"), "ada")
        response = client.get(callback.removeprefix("http://testserver"))

    assert response.status_code == 401  # allauth's "third-party login failure" page
    assert b"Third-Party Login Failure" in response.content
    assert User.objects.count() == users_before


def test_unknown_addresses_are_sent_to_the_password_sign_in(connected, client):
    page = client.post("/sso/", {"email": "someone@unverified.example"})
    assert page.status_code == 200
    assert b"No company sign-in is set up for this address" in page.content


# --- Configuration ----------------------------------------------------------------------------------------------


class _JsonHandler(BaseHTTPRequestHandler):
    body = b"{}"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


class json_server:  # a context manager used like a function
    """Serves one JSON document at every path on loopback."""

    def __init__(self, document: dict[str, object]) -> None:
        handler = type("Handler", (_JsonHandler,), {"body": json.dumps(document).encode()})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/jwks"

    def __exit__(self, *args: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def incomplete_issuer() -> Iterator[str]:
    with json_server({"issuer": "http://127.0.0.1", "authorization_endpoint": "http://127.0.0.1/a"}) as url:
        yield url.removesuffix("/jwks")


def test_the_secret_is_stored_encrypted(connected):
    assert CLIENT_SECRET not in connected.client_secret_encrypted
    assert decrypt_secret(connected.client_secret_encrypted) == CLIENT_SECRET
    event = AuditEvent.objects.for_organization(connected.organization).get(action="identity_provider.created")
    assert CLIENT_SECRET not in json.dumps(event.data)


def test_an_issuer_without_https_is_refused_outside_loopback(organization, owner):
    with pytest.raises(ValidationError) as refused:
        services.identity_provider_configure(
            actor=Actor.for_user(owner),
            organization=organization,
            issuer="http://idp.rheinwerk.example",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
        )
    assert refused.value.message_dict == {"issuer": ["The address must use HTTPS."]}
    assert IdentityProvider.objects.for_organization(organization).exists() is False


def test_loopback_http_is_refused_where_development_does_not_allow_it(organization, owner, settings, oidc_provider):
    settings.KONTOR_IDENTITY_ALLOW_LOOPBACK_HTTP = False
    with pytest.raises(ValidationError) as refused:
        services.identity_provider_configure(
            actor=Actor.for_user(owner),
            organization=organization,
            issuer=oidc_provider.issuer,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
        )
    assert refused.value.message_dict == {"issuer": ["The address must use HTTPS."]}
    assert IdentityProvider.objects.for_organization(organization).exists() is False


def test_a_discovery_document_without_the_required_fields_is_refused(organization, owner, incomplete_issuer):
    with pytest.raises(ValidationError) as refused:
        services.identity_provider_configure(
            actor=Actor.for_user(owner),
            organization=organization,
            issuer=incomplete_issuer,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
        )
    assert refused.value.message_dict == {
        "issuer": [
            "The discovery document lacks token_endpoint, jwks_uri, response_types_supported, "
            "subject_types_supported, id_token_signing_alg_values_supported."
        ]
    }
    assert IdentityProvider.objects.for_organization(organization).exists() is False


def test_a_mapping_to_a_role_that_does_not_exist_is_refused(organization, owner):
    with pytest.raises(ValidationError) as refused:
        services.group_role_mapping_set(
            actor=Actor.for_user(owner), organization=organization, group="gpu-admins", role="superadmin"
        )
    assert refused.value.message_dict == {"role": ["There is no role superadmin."]}
    assert GroupRoleMapping.objects.for_organization(organization).exists() is False
    assert AuditEvent.objects.for_organization(organization).filter(action__startswith="group_role").exists() is False


def test_a_person_deprovisioned_through_scim_cannot_sign_in_through_the_provider(connected, client, organization):
    from identity.scim_services import scim_user_deprovision

    sign_in(client, "ada@rheinwerk.example", "ada")
    identity = ExternalIdentity.objects.for_organization(organization).get()
    with transaction.atomic():
        scim_user_deprovision(actor=Actor.system("scim:test"), organization=organization, identity=identity)
    client.logout()

    response = sign_in(client, "ada@rheinwerk.example", "ada")

    assert response.status_code == 403
    assert b"Your account was deprovisioned by your organization." in response.content
    assert "_auth_user_id" not in client.session
    assert Membership.objects.for_organization(organization).filter(user=identity.user).exists() is False
