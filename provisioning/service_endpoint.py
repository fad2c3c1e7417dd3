"""The secured service endpoint of NIM and Triton reservations: a TLS reverse proxy on the server, in front of the
container (which listens on localhost only), that admits only requests with the reservation's bearer token.

Kontor makes the token and the self-signed certificate when the reservation is booked, so the portal can show the
certificate's SHA-256 fingerprint (to pin it: ``curl --pinnedpubkey`` or a fingerprint check) before the server even
exists. Token and private key are stored Fernet-encrypted and reach the server only inside the user data, written
to root-only files.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PROXY_PORT = 8443
SERVICE_PORT = 8000
PROXIED_ITEMS = ("nim", "tritonserver")  # item kind NIM, or the Triton item's slug
CERTIFICATE_DAYS = 400


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


def endpoint_secrets_new(*, reservation_id: int, now: datetime | None = None) -> EndpointSecrets:
    """A fresh token and a self-signed P-256 certificate for ``kontor-reservation-<id>``."""
    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"kontor-reservation-{reservation_id}")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CERTIFICATE_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    private_key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return EndpointSecrets(
        token=new_token(),
        certificate_pem=certificate_pem,
        private_key_pem=private_key_pem,
        fingerprint=certificate_fingerprint(certificate_pem),
    )


def nginx_config(*, token: str) -> str:
    """The proxy's configuration: TLS on ``PROXY_PORT``, the bearer token required, the container on localhost."""
    if not token or any(not (c.isalnum() or c in "_-") for c in token):
        raise ValueError("the service token must be URL-safe characters only")
    return (
        "server {\n"
        f"    listen {PROXY_PORT} ssl;\n"
        "    ssl_certificate /etc/nginx/conf.d/tls/cert.pem;\n"
        "    ssl_certificate_key /etc/nginx/conf.d/tls/key.pem;\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        "    client_max_body_size 64m;\n"
        "    location / {\n"
        f'        if ($http_authorization != "Bearer {token}") {{ return 401; }}\n'
        '        proxy_set_header Authorization "";\n'
        "        proxy_http_version 1.1;\n"
        "        proxy_buffering off;\n"
        "        proxy_read_timeout 3600s;\n"
        f"        proxy_pass http://127.0.0.1:{SERVICE_PORT};\n"
        "    }\n"
        "}\n"
    )
