"""The secured service endpoint of NIM and Triton reservations: a TLS reverse proxy on the server, in front of the
container (which listens on localhost only), that admits only requests with the reservation's bearer token.

Kontor makes the token and the certificate when the reservation is booked, so the portal can show the certificate's
SHA-256 fingerprint (to pin it: ``curl --pinnedpubkey`` or a fingerprint check) before the server even exists. The
certificate is issued by the operator's CA when ``KONTOR_SERVICE_CA_CERT``/``KONTOR_SERVICE_CA_KEY`` name one (its
name, ``kontor-reservation-<id>``, is what clients verify, since the address is not known yet), otherwise it is
self-signed. Token and private key are stored Fernet-encrypted and reach the server only inside the user data,
written to root-only files.

Rotating the token (``provisioning.cloud_access.service_token_rotate``) cannot rewrite the user data of a running
server. Instead each server gets a per-reservation *rotation key* in a root-only file and a systemd timer that, once a
minute, reads the server's metadata from the cloud's metadata service (``169.254.169.254``). Kontor puts the new token
there, sealed with the rotation key (``seal_token``: what ``openssl enc -aes-256-cbc -pbkdf2`` opens), through Nova's
server-metadata API; the timer's script opens it, rewrites the proxy's token file and reloads nginx — from then on
the old token gets 401. A server that cannot reach the metadata service keeps the token it has; Kontor does not hear
back from the server, so the portal says "within about a minute", not "done".
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PROXY_PORT = 8443
SERVICE_PORT = 8000
PROXIED_ITEMS = ("nim", "tritonserver")  # item kind NIM, or the Triton item's slug
CERTIFICATE_DAYS = 400
TOKEN_SHAPE = re.compile(r"kse_[A-Za-z0-9_-]{20,100}")
METADATA_KEY = "kontor_service_token"  # the server-metadata key that carries the sealed token
SEAL_ITERATIONS = 100_000  # PBKDF2-HMAC-SHA256, as ``openssl enc -pbkdf2 -iter 100000 -md sha256``


@dataclass(frozen=True)
class EndpointSecrets:
    token: str
    certificate_pem: str
    private_key_pem: str
    fingerprint: str  # SHA256 of the DER certificate, colon-separated hex (as browsers and openssl show it)


def is_proxied(*, item_kind: str, item_slug: str) -> bool:
    return item_kind in PROXIED_ITEMS or item_slug in PROXIED_ITEMS


def new_token() -> str:
    return "kse_" + secrets.token_urlsafe(32)


def certificate_fingerprint(certificate_pem: str) -> str:
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    digest = hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def spki_pin(certificate_pem: str) -> str:
    """curl's ``--pinnedpubkey`` value: ``sha256//`` and the base64 SHA-256 of the certificate's public key."""
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256//" + base64.b64encode(hashlib.sha256(spki).digest()).decode()


@dataclass(frozen=True)
class ServiceCa:
    """The operator's CA that issues the endpoints' certificates."""

    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey | object  # any key type ``cryptography`` signs with

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()


def service_ca_load() -> ServiceCa | None:
    """The CA from ``KONTOR_SERVICE_CA_CERT`` and ``KONTOR_SERVICE_CA_KEY`` (PEM files), or None when neither is set."""
    cert_path, key_path = settings.KONTOR_SERVICE_CA_CERT, settings.KONTOR_SERVICE_CA_KEY
    if not cert_path and not key_path:
        return None
    if not cert_path or not key_path:
        raise ImproperlyConfigured("Set both KONTOR_SERVICE_CA_CERT and KONTOR_SERVICE_CA_KEY, or neither.")
    try:
        certificate = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
        private_key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"The service CA cannot be loaded: {exc}") from exc
    if certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise ImproperlyConfigured("KONTOR_SERVICE_CA_KEY is not the key of KONTOR_SERVICE_CA_CERT.")
    return ServiceCa(certificate=certificate, private_key=private_key)


def certificate_issuer(certificate_pem: str) -> str:
    """The issuer's name when a CA issued the certificate; empty when it is self-signed."""
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    if certificate.issuer == certificate.subject:
        return ""
    return certificate.issuer.rfc4514_string()


def endpoint_secrets_new(
    *, reservation_id: int, now: datetime | None = None, ca: ServiceCa | None = None
) -> EndpointSecrets:
    """A fresh token and a P-256 certificate for ``kontor-reservation-<id>``: issued by ``ca`` when given (the
    certificate file then holds the chain, leaf first), otherwise self-signed."""
    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    host = f"kontor-reservation-{reservation_id}"
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca.certificate.subject if ca else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CERTIFICATE_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if ca is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.certificate.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        certificate = builder.sign(ca.private_key, hashes.SHA256())  # type: ignore[arg-type]
    else:
        certificate = builder.sign(key, hashes.SHA256())
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    private_key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return EndpointSecrets(
        token=new_token(),
        certificate_pem=certificate_pem + (ca.certificate_pem if ca else ""),
        private_key_pem=private_key_pem,
        fingerprint=certificate_fingerprint(certificate_pem),
    )


def new_rotation_key() -> str:
    return secrets.token_urlsafe(32)


def seal_token(*, token: str, rotation_key: str) -> str:
    """The token encrypted for the server: base64 of what ``openssl enc -aes-256-cbc -pbkdf2 -iter 100000 -md sha256
    -a -A -pass file:<rotation key>`` writes (``Salted__``, an 8-byte salt, AES-256-CBC with PKCS#7 padding).

    Without a MAC: the value travels only through Nova's metadata (written with Kontor's credentials, read by the
    server alone), and the server's script accepts only a token of ``TOKEN_SHAPE`` — garbage is refused, not loaded.
    """
    token_check(token)
    salt = os.urandom(8)
    derived = PBKDF2HMAC(algorithm=hashes.SHA256(), length=48, salt=salt, iterations=SEAL_ITERATIONS).derive(
        rotation_key.encode()
    )
    padder = padding.PKCS7(128).padder()
    padded = padder.update(token.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(derived[:32]), modes.CBC(derived[32:])).encryptor()
    sealed = b"Salted__" + salt + encryptor.update(padded) + encryptor.finalize()
    return base64.b64encode(sealed).decode()


def token_check(token: str) -> str:
    if not TOKEN_SHAPE.fullmatch(token):
        raise ValueError("the service token must be URL-safe characters only")
    return token


def token_map(*, token: str) -> str:
    """The proxy's token file: the one ``Authorization`` value it admits (nginx ``map`` syntax)."""
    return f'"Bearer {token_check(token)}" 1;\n'


def nginx_config() -> str:
    """The proxy's configuration: TLS on ``PROXY_PORT``, the bearer token of ``token.map`` required (a separate file,
    so rotation rewrites only that), the container on localhost."""
    return (
        "map $http_authorization $kontor_token_ok {\n"
        "    default 0;\n"
        "    include /etc/nginx/conf.d/token.map;\n"
        "}\n"
        "server {\n"
        f"    listen {PROXY_PORT} ssl;\n"
        "    ssl_certificate /etc/nginx/conf.d/tls/cert.pem;\n"
        "    ssl_certificate_key /etc/nginx/conf.d/tls/key.pem;\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        "    client_max_body_size 64m;\n"
        "    location / {\n"
        "        if ($kontor_token_ok = 0) { return 401; }\n"
        '        proxy_set_header Authorization "";\n'
        "        proxy_http_version 1.1;\n"
        "        proxy_buffering off;\n"
        "        proxy_read_timeout 3600s;\n"
        f"        proxy_pass http://127.0.0.1:{SERVICE_PORT};\n"
        "    }\n"
        "}\n"
    )
