"""Rotating the service token and the operator's CA.

What reaches a running server: the sealed token in its Nova metadata, which the server's own timer script opens with
its rotation key and swaps into the proxy's token file. These tests run that very script (sh, curl, python3 and
openssl, as on the server) against a metadata service on loopback, check that Kontor's sealing is what openssl opens,
and check the rendered cloud-init and the certificate chain with the operator's CA."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from rest_framework.test import APIClient

from core.secrets import decrypt_secret
from provisioning.cloud_init import TOKEN_SYNC_SCRIPT, ServiceProxy, user_data_for
from provisioning.models import Instance, ReservationAccess, SimulatedServer
from provisioning.service_endpoint import (
    endpoint_secrets_new,
    new_rotation_key,
    new_token,
    nginx_config,
    seal_token,
    service_ca_load,
    token_map,
)
from tenants.models import AuditEvent
from tests.provisioning.test_network_access import eager_tasks, order, orderer, provision

__all__ = ["eager_tasks", "orderer"]
IMAGE = "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.3"
needs_tools = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("sh", "curl", "openssl", "python3")), reason="needs sh, curl, openssl"
)


def openssl_open(sealed: str, key_file: Path) -> str:
    opened = subprocess.run(
        ["openssl", "enc", "-d", "-aes-256-cbc", "-pbkdf2", "-iter", "100000", "-md", "sha256", "-a", "-A",
         "-pass", f"file:{key_file}"],
        input=sealed + "\n", capture_output=True, text=True, check=True,
    )  # fmt: skip
    return opened.stdout


@needs_tools
def test_a_sealed_token_is_what_openssl_opens_with_the_rotation_key(tmp_path):
    key, token = new_rotation_key(), new_token()
    (tmp_path / "rotation.key").write_text(key + "\n")

    sealed = seal_token(token=token, rotation_key=key)

    assert len(sealed) <= 255  # Nova's limit for a metadata value
    assert openssl_open(sealed, tmp_path / "rotation.key") == token
    (tmp_path / "other.key").write_text(new_rotation_key() + "\n")
    wrong = subprocess.run(
        ["openssl", "enc", "-d", "-aes-256-cbc", "-pbkdf2", "-iter", "100000", "-md", "sha256", "-a", "-A",
         "-pass", f"file:{tmp_path / 'other.key'}"],
        input=(sealed + "\n").encode(), capture_output=True,
    )  # fmt: skip
    assert wrong.returncode != 0 or wrong.stdout != token.encode()  # a wrong key opens nothing (or garbage)


class MetadataService:
    """The cloud's metadata service on loopback: meta_data.json with the server's ``meta``."""

    def __init__(self) -> None:
        self.meta: dict[str, str] = {}
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps({"uuid": "server-1", "meta": service.meta}).encode()
                self.send_response(200 if self.path == "/openstack/latest/meta_data.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/openstack/latest/meta_data.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def metadata_service() -> Iterator[MetadataService]:
    service = MetadataService()
    yield service
    service.server.shutdown()


@needs_tools
def test_the_servers_timer_script_swaps_the_token_once_and_refuses_garbage(tmp_path, metadata_service):
    key, old, new = new_rotation_key(), new_token(), new_token()
    (tmp_path / "rotation.key").write_text(key + "\n")
    (tmp_path / "token.map").write_text(token_map(token=old))
    script = tmp_path / "kontor-token-sync"
    script.write_text(TOKEN_SYNC_SCRIPT)
    env = {
        **os.environ,
        "KONTOR_METADATA_URL": metadata_service.url,
        "KONTOR_ROTATION_KEY": str(tmp_path / "rotation.key"),
        "KONTOR_STATE_DIR": str(tmp_path),
        "KONTOR_TOKEN_MAP": str(tmp_path / "token.map"),
        "KONTOR_PROXY_RELOAD": f"touch {tmp_path / 'reloaded'}",
    }

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True)

    nothing_yet = run()
    unchanged = (tmp_path / "token.map").read_text()
    metadata_service.meta = {"kontor_service_token": seal_token(token=new, rotation_key=key)}
    swapped = run()
    reloaded_first = (tmp_path / "reloaded").exists()
    (tmp_path / "reloaded").unlink()
    again = run()
    metadata_service.meta = {"kontor_service_token": seal_token(token=new, rotation_key=new_rotation_key())}
    wrong_key = run()

    assert nothing_yet.returncode == 0
    assert unchanged == f'"Bearer {old}" 1;\n'
    assert swapped.returncode == 0, swapped.stderr
    assert (tmp_path / "token.map").read_text() == f'"Bearer {new}" 1;\n'
    assert oct((tmp_path / "token.map").stat().st_mode & 0o777) == "0o600"
    assert reloaded_first
    assert again.returncode == 0
    assert not (tmp_path / "reloaded").exists()  # the same sealed value: no reload
    assert wrong_key.returncode != 0
    assert (tmp_path / "token.map").read_text() == f'"Bearer {new}" 1;\n'


def test_the_rendered_cloud_init_carries_the_rotation_key_the_script_and_the_timer() -> None:
    secrets = endpoint_secrets_new(reservation_id=9)
    key = new_rotation_key()
    proxy = ServiceProxy(
        config=nginx_config(),
        token_map=token_map(token=secrets.token),
        certificate_pem=secrets.certificate_pem,
        private_key_pem=secrets.private_key_pem,
        image="nginx:1.27-alpine",
        rotation_key=key,
    )

    config = yaml.safe_load(
        user_data_for(ssh_public_keys=[], image_reference=IMAGE, ngc_api_key="", service_port=8000, proxy=proxy)
    )

    files = {f["path"]: (f["permissions"], f["content"]) for f in config["write_files"]}
    assert files["/etc/kontor/rotation.key"] == ("0600", key + "\n")
    assert files["/etc/kontor/proxy/token.map"] == ("0600", f'"Bearer {secrets.token}" 1;\n')
    assert files["/usr/local/sbin/kontor-token-sync"] == ("0700", TOKEN_SYNC_SCRIPT)
    assert files["/etc/systemd/system/kontor-token-sync.timer"][0] == "0644"
    assert "OnUnitActiveSec=60s" in files["/etc/systemd/system/kontor-token-sync.timer"][1]
    assert config["runcmd"][-1] == ["systemctl", "enable", "--now", "kontor-token-sync.timer"]
    assert "/etc/kontor/rotation.key" not in [p for p in files if p.startswith("/etc/kontor/proxy/")]
    assert all(key not in " ".join(command) for command in config["runcmd"])


@pytest.mark.django_db
def test_rotating_in_the_portal_replaces_the_token_reaches_the_running_servers_metadata_and_is_audited(
    eager_tasks, small_inventory, customer, orderer, make_quote, django_capture_on_commit_callbacks
):
    reservation = order(customer, orderer, make_quote, ssh_key_ids=[])
    provision(reservation)
    access = ReservationAccess.objects.for_organization(customer).get(reservation=reservation)
    old = decrypt_secret(access.service_token_encrypted)
    client = Client()
    client.force_login(orderer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/orgs/rheinwerk/reservations/{reservation.pk}/service-token/", {"rotate": "1"})

    access.refresh_from_db()
    new = decrypt_secret(access.service_token_encrypted)
    assert new != old
    html = response.content.decode()
    assert f'value="{new}"' in html
    assert old not in html
    assert "Running servers switch to it within about a minute" in html
    servers = (
        Instance.objects.for_organization(customer)
        .filter(reservation=reservation)
        .values_list("cloud_server_id", flat=True)
    )
    metadata = [SimulatedServer.objects.get(server_id=server).metadata for server in servers]
    assert metadata == [{"kontor_service_token": access.service_token_sealed}] * 2
    rotation_key = decrypt_secret(access.rotation_key_encrypted)
    assert access.service_token_sealed != seal_token(token=new, rotation_key=rotation_key)  # salted, stored once
    assert list(
        AuditEvent.objects.for_organization(customer)
        .filter(action__startswith="reservation.service_token")
        .values_list("action", "data")
        .order_by("id")
    ) == [
        ("reservation.service_token_rotated", {"running_servers_follow": True}),
        ("reservation.service_token_revealed", {}),
    ]


@needs_tools
@pytest.mark.django_db
def test_rotating_through_the_api_answers_the_new_token_and_the_sealed_value_opens_to_it(
    tmp_path, small_inventory, customer, orderer, make_quote, django_capture_on_commit_callbacks
):
    reservation = order(customer, orderer, make_quote, ssh_key_ids=[])
    provision(reservation)
    api = APIClient()
    api.force_authenticate(orderer)
    url = f"/api/v1/organizations/rheinwerk/reservations/{reservation.pk}/service-token/"
    old = api.post(url).json()["token"]

    with django_capture_on_commit_callbacks(execute=True):
        rotated = api.post(f"{url}rotate/")
    revealed = api.post(url).json()["token"]

    access = ReservationAccess.objects.for_organization(customer).get(reservation=reservation)
    (tmp_path / "rotation.key").write_text(decrypt_secret(access.rotation_key_encrypted) + "\n")
    assert rotated.status_code == 200
    assert rotated.json()["token"] == revealed != old
    assert f"Bearer {revealed}" in rotated.json()["curl"]
    assert openssl_open(access.service_token_sealed, tmp_path / "rotation.key") == revealed


@pytest.mark.django_db
def test_a_reservation_without_an_endpoint_cannot_rotate_and_nothing_changes(
    small_inventory, customer, orderer, make_quote
):
    quote = make_quote(flavor="b200-x1", count=1, commitment="on_demand", item="pytorch")
    api = APIClient()
    api.force_authenticate(orderer)
    booked = api.post("/api/v1/organizations/rheinwerk/reservations/", {"quote": quote.pk}, format="json")
    reservation_id = booked.json()["id"]

    response = api.post(f"/api/v1/organizations/rheinwerk/reservations/{reservation_id}/service-token/rotate/")

    assert response.status_code == 400
    assert response.json()["detail"] == "This reservation has no secured service endpoint."
    assert not AuditEvent.objects.for_organization(customer).filter(action="reservation.service_token_rotated").exists()


def make_ca(tmp_path: Path) -> tuple[x509.Certificate, Path, Path]:
    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kontor Cloud Service CA")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "ca.pem", tmp_path / "ca.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certificate, cert_path, key_path


def test_with_the_operators_ca_the_certificate_is_issued_by_it_and_carries_the_chain(tmp_path, settings):
    ca_certificate, cert_path, key_path = make_ca(tmp_path)
    settings.KONTOR_SERVICE_CA_CERT, settings.KONTOR_SERVICE_CA_KEY = str(cert_path), str(key_path)

    secrets = endpoint_secrets_new(reservation_id=12, ca=service_ca_load())

    chain = x509.load_pem_x509_certificates(secrets.certificate_pem.encode())
    leaf = chain[0]
    assert [c.subject.rfc4514_string() for c in chain] == ["CN=kontor-reservation-12", "CN=Kontor Cloud Service CA"]
    assert leaf.issuer == ca_certificate.subject
    leaf.verify_directly_issued_by(ca_certificate)
    assert leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    ) == ["kontor-reservation-12"]
    assert secrets.fingerprint == leaf.fingerprint(hashes.SHA256()).hex(":").upper()


def test_without_a_ca_the_certificate_is_self_signed_and_a_half_configured_ca_is_refused(tmp_path, settings):
    _ca, cert_path, _key_path = make_ca(tmp_path)
    settings.KONTOR_SERVICE_CA_CERT, settings.KONTOR_SERVICE_CA_KEY = "", ""
    assert service_ca_load() is None
    leaf = x509.load_pem_x509_certificate(endpoint_secrets_new(reservation_id=3).certificate_pem.encode())
    assert leaf.issuer == leaf.subject

    settings.KONTOR_SERVICE_CA_CERT = str(cert_path)
    with pytest.raises(ImproperlyConfigured, match="Set both KONTOR_SERVICE_CA_CERT and KONTOR_SERVICE_CA_KEY"):
        service_ca_load()
    (tmp_path / "other.key").write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    settings.KONTOR_SERVICE_CA_KEY = str(tmp_path / "other.key")
    with pytest.raises(ImproperlyConfigured, match="is not the key of"):
        service_ca_load()


@pytest.mark.django_db
def test_the_reservation_page_names_the_operators_ca_and_the_curl_example_verifies_against_it(
    tmp_path, settings, small_inventory, customer, orderer, make_quote
):
    _ca, cert_path, key_path = make_ca(tmp_path)
    settings.KONTOR_SERVICE_CA_CERT, settings.KONTOR_SERVICE_CA_KEY = str(cert_path), str(key_path)
    reservation = order(customer, orderer, make_quote, ssh_key_ids=[])
    provision(reservation)
    client = Client()
    client.force_login(orderer)

    page = client.get(f"/orgs/rheinwerk/reservations/{reservation.pk}/").content.decode()
    token_page = client.post(f"/orgs/rheinwerk/reservations/{reservation.pk}/service-token/").content.decode()

    assert "Its certificate is issued by CN=Kontor Cloud Service CA" in page
    assert "self-signed" not in page
    assert f"--cacert kontor-service-ca.pem --resolve kontor-reservation-{reservation.pk}:8443:" in token_page
    assert "issued by CN=Kontor Cloud Service CA" in token_page
