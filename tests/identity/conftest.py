"""Real peers on loopback for the identity tests: a DNS server (dnslib) and an OpenID Connect provider (a Django
project with django-oauth-toolkit, in its own process)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dnslib import QTYPE, RR, TXT
from dnslib.server import BaseResolver, DNSServer

from tests.identity.saml_idp import SamlIdp, saml_idp_fixture

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "kontor-test-client"
CLIENT_SECRET = "kontor-test-secret-0123456789abcdef"
IDP_PASSWORD = "idp-password-123"
IDP_USERS: list[dict[str, Any]] = [
    {
        "username": "ada",
        "email": "ada@rheinwerk.example",
        "password": IDP_PASSWORD,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "groups": ["gpu-admins", "staff"],
    },
    {
        "username": "bob",
        "email": "bob@rheinwerk.example",
        "password": IDP_PASSWORD,
        "first_name": "Bob",
        "last_name": "Nomap",
        "groups": ["staff"],
    },
    {
        "username": "eve",
        "email": "eve@elsewhere.example",
        "password": IDP_PASSWORD,
        "groups": ["gpu-admins"],
    },
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ZoneResolver(BaseResolver):  # type: ignore[misc]
    """Answers TXT questions from a dict the test fills; everything else is NXDOMAIN."""

    def __init__(self) -> None:
        self.txt: dict[str, list[str]] = {}
        self.questions: list[str] = []

    def resolve(self, request, handler):  # type: ignore[no-untyped-def]
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        self.questions.append(name)
        if request.q.qtype == QTYPE.TXT and name in self.txt:
            for value in self.txt[name]:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(value), ttl=60))
        else:
            reply.header.rcode = 3  # NXDOMAIN
        return reply


@dataclass
class DnsServer:
    resolver: ZoneResolver
    address: str


@pytest.fixture
def dns_server(settings: Any) -> Iterator[DnsServer]:
    resolver = ZoneResolver()
    port = free_port()
    server = DNSServer(resolver, port=port, address="127.0.0.1", tcp=False)
    server.start_thread()
    settings.KONTOR_DNS_RESOLVERS = [f"127.0.0.1:{port}"]
    try:
        yield DnsServer(resolver=resolver, address=f"127.0.0.1:{port}")
    finally:
        server.stop()


@dataclass
class OidcProvider:
    issuer: str
    port: int
    process: subprocess.Popen[str]
    users: list[dict[str, Any]] = field(default_factory=list)

    def jwks(self) -> dict[str, object]:
        document: dict[str, object] = requests.get(f"{self.issuer}/.well-known/jwks.json", timeout=5).json()
        return document


def start_oidc_provider(tmp_path: Path, redirect_uris: list[str]) -> OidcProvider:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "idp-key.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    port = free_port()
    environment = {
        **os.environ,
        "IDP_DATABASE": str(tmp_path / "idp.sqlite3"),
        "IDP_PRIVATE_KEY_FILE": str(key_file),
        "IDP_CLIENT_ID": CLIENT_ID,
        "IDP_CLIENT_SECRET": CLIENT_SECRET,
        "IDP_REDIRECT_URIS": " ".join(redirect_uris),
        "IDP_USERS": json.dumps(IDP_USERS),
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.identity.idp", str(port)], cwd=ROOT, env=environment, text=True
    )
    issuer = f"http://localhost:{port}/o"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                break
        except requests.RequestException:  # not listening yet, or too slow to answer on a busy machine
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the test identity provider did not start")
        time.sleep(0.2)
    return OidcProvider(issuer=issuer, port=port, process=process, users=list(IDP_USERS))


def stop(provider: OidcProvider) -> None:
    provider.process.terminate()
    provider.process.wait(timeout=10)


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """The provider for Django's test client (``http://testserver``)."""
    provider = start_oidc_provider(
        tmp_path_factory.mktemp("idp"), ["http://testserver/accounts/oidc/org-rheinwerk/login/callback/"]
    )
    yield provider
    stop(provider)


@pytest.fixture(scope="module")
def saml_idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    """A pysaml2 identity provider on loopback (its own thread), signing with its own key through xmlsec1."""
    yield from saml_idp_fixture(tmp_path_factory.mktemp("saml-idp"))
