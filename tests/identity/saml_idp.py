"""A real SAML 2.0 identity provider on loopback for the tests, built with pysaml2 (signing through xmlsec1).

It serves its metadata (``/metadata``), takes SP-initiated AuthnRequests over HTTP-Redirect (``/sso/redirect``),
shows a login form, and answers with a signed assertion through the HTTP-POST binding — the page a browser posts on
to Kontor's ACS. ``issue`` builds a response directly, for the requests-driven negative tests (e.g. an assertion
issued for another service provider).
"""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

PASSWORD = "saml-password-123"
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass
class SamlPerson:
    username: str
    email: str
    first_name: str
    last_name: str
    groups: list[str]


SAML_USERS = [
    SamlPerson("grace", "grace@rheinwerk.example", "Grace", "Hopper", ["gpu-admins", "staff"]),
    SamlPerson("linus", "linus@rheinwerk.example", "Linus", "Nomap", ["staff"]),
    SamlPerson("mallory", "mallory@elsewhere.example", "Mallory", "Outside", ["gpu-admins"]),
]


def self_signed_certificate(
    directory: Path, *, name: str, not_after: dt.datetime | None = None, not_before: dt.datetime | None = None
) -> tuple[Path, Path]:
    """A key and a self-signed certificate (PEM files), valid from ``not_before`` to ``not_after``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = directory / f"{name}.key", directory / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class SamlIdp:
    base_url: str
    key_file: Path
    cert_file: Path
    server: WSGIServer
    users: list[SamlPerson] = field(default_factory=lambda: list(SAML_USERS))
    service_providers: list[str] = field(default_factory=list)
    pending: dict[str, dict[str, str]] = field(default_factory=dict)
    _saml: Server | None = None

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/metadata"

    @property
    def sso_url(self) -> str:
        return f"{self.base_url}/sso/redirect"

    def _config(self) -> IdPConfig:
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": "/usr/bin/xmlsec1",
                "key_file": str(self.key_file),
                "cert_file": str(self.cert_file),
                "service": {
                    "idp": {
                        "endpoints": {"single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]},
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                        "sign_assertion": True,
                        "sign_response": False,
                        "want_authn_requests_signed": False,
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": 5},
                                "attribute_restrictions": None,
                                "name_form": NAME_FORMAT_URI,
                            }
                        },
                    }
                },
                "metadata": {"inline": list(self.service_providers)} if self.service_providers else {},
            }
        )
        return config

    @property
    def saml(self) -> Server:
        if self._saml is None:
            self._saml = Server(config=self._config())
        return self._saml

    def trust(self, sp_metadata: str) -> None:
        """Register a service provider by its metadata XML."""
        self.service_providers.append(sp_metadata)
        self._saml = None

    def metadata(self) -> str:
        metadata: bytes = create_metadata_string(None, config=self._config(), valid=24, sign=False)
        return metadata.decode()

    def person(self, username: str) -> SamlPerson:
        return next(person for person in self.users if person.username == username)

    def issue(
        self, *, username: str, in_response_to: str | None, sp_entity_id: str, acs_url: str, relay_state: str = ""
    ) -> str:
        """A signed SAML Response for ``username`` (base64, as the HTTP-POST binding carries it)."""
        person = self.person(username)
        response = self.saml.create_authn_response(
            identity={
                "mail": [person.email],
                "givenName": [person.first_name],
                "sn": [person.last_name],
                "groups": list(person.groups),
            },
            in_response_to=in_response_to,
            destination=acs_url,
            sp_entity_id=sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=f"saml-{person.username}"),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
            sign_assertion=True,
            sign_response=False,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        args = self.saml.apply_binding(BINDING_HTTP_POST, str(response), acs_url, relay_state, response=True)
        match = re.search(r'name="SAMLResponse" value="([^"]+)"', str(args["data"]))
        assert match is not None
        return html.unescape(match.group(1))

    # --- HTTP --------------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        if path == "/metadata":
            return self._answer(start_response, "200 OK", self.metadata(), "text/xml")
        if path == "/sso/redirect" and method == "GET":
            query = {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
            request = self.saml.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT).message
            ticket = str(len(self.pending) + 1)
            self.pending[ticket] = {
                "id": request.id,
                "sp": request.issuer.text,
                "acs": request.assertion_consumer_service_url,
                "relay_state": query.get("RelayState", ""),
            }
            return self._answer(start_response, "200 OK", self._login_page(ticket, error=""))
        if path == "/login" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            form = {key: values[0] for key, values in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
            ticket = form.get("ticket", "")
            request_data = self.pending.get(ticket)
            known = {person.username for person in self.users}
            if request_data is None or form.get("username") not in known or form.get("password") != PASSWORD:
                return self._answer(start_response, "200 OK", self._login_page(ticket, error="Wrong password."))
            del self.pending[ticket]
            saml_response = self.issue(
                username=form["username"],
                in_response_to=request_data["id"],
                sp_entity_id=request_data["sp"],
                acs_url=request_data["acs"],
                relay_state=request_data["relay_state"],
            )
            return self._answer(start_response, "200 OK", self._post_page(request_data, saml_response))
        return self._answer(start_response, "404 Not Found", "not found", "text/plain")

    @staticmethod
    def _answer(start_response: StartResponse, status: str, body: str, content_type: str = "text/html") -> list[bytes]:
        start_response(status, [("Content-Type", f"{content_type}; charset=utf-8")])
        return [body.encode()]

    @staticmethod
    def _login_page(ticket: str, *, error: str) -> str:
        return (
            "<!doctype html><html lang='en'><head><title>Test SAML IdP</title>"
            "<link rel='icon' href='data:,'></head><body><h1>Test SAML identity provider</h1>"
            f"<p>{html.escape(error)}</p><form method='post' action='/login'>"
            f"<input type='hidden' name='ticket' value='{html.escape(ticket)}'>"
            "<label>Username <input name='username'></label>"
            "<label>Password <input type='password' name='password'></label>"
            "<button type='submit'>Sign in at the SAML provider</button></form></body></html>"
        )

    @staticmethod
    def _post_page(request_data: dict[str, str], saml_response: str) -> str:
        # The HTTP-POST binding, with a button instead of a script (a person clicks "Continue").
        return (
            "<!doctype html><html lang='en'><head><title>Test SAML IdP</title>"
            "<link rel='icon' href='data:,'></head><body>"
            f"<form method='post' action='{html.escape(request_data['acs'])}'>"
            f"<input type='hidden' name='SAMLResponse' value='{html.escape(saml_response)}'>"
            f"<input type='hidden' name='RelayState' value='{html.escape(request_data['relay_state'])}'>"
            "<button type='submit'>Continue to the service</button></form></body></html>"
        )


def start_saml_idp(directory: Path, *, host: str = "localhost") -> SamlIdp:
    key_file, cert_file = self_signed_certificate(directory, name="saml-idp")
    server = make_server("127.0.0.1", 0, lambda environ, start: [], handler_class=_QuietHandler)
    idp = SamlIdp(base_url=f"http://{host}:{server.server_port}", key_file=key_file, cert_file=cert_file, server=server)
    server.set_app(idp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return idp


def stop_saml_idp(idp: SamlIdp) -> None:
    idp.server.shutdown()
    idp.server.server_close()


def saml_idp_fixture(directory: Path) -> Iterator[SamlIdp]:
    idp = start_saml_idp(directory)
    try:
        yield idp
    finally:
        stop_saml_idp(idp)
