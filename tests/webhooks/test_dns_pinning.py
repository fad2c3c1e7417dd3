"""DNS rebinding: a webhook host is resolved once per attempt, that address is checked, and the request goes to
exactly that address, with the URL's host name in ``Host``. A DNS server on loopback (dnslib) gives a different
answer to each question: a public-looking first answer followed by a private one never gets the request to the
private address."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from dnslib import QTYPE, RR, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from core.events import publish
from tenants.audit import Actor
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create
from webhooks.urls import webhook_target

pytestmark = pytest.mark.django_db
HOST = "hooks.rebind.example"


@dataclass
class RebindingResolver(BaseResolver):  # type: ignore[misc]
    """Answers the n-th A question about ``HOST`` with ``answers[n]`` (the last one from then on); no AAAA."""

    answers: list[str]
    questions: list[str] = field(default_factory=list)

    def resolve(self, request, handler):  # type: ignore[no-untyped-def]
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        kind = QTYPE[request.q.qtype]
        self.questions.append(f"{kind} {name}")
        if name != HOST:
            reply.header.rcode = 3  # NXDOMAIN
        elif kind == "A":
            asked = sum(1 for question in self.questions if question == f"A {HOST}")
            address = self.answers[min(asked, len(self.answers)) - 1]
            reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(address), ttl=0))
        return reply


@pytest.fixture
def dns(settings) -> Iterator[RebindingResolver]:
    resolver = RebindingResolver(answers=[])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = DNSServer(
        resolver, port=port, address="127.0.0.1", tcp=False, logger=DNSLogger(log="-request,-reply", prefix=False)
    )
    server.start_thread()
    settings.KONTOR_WEBHOOKS_DNS_RESOLVERS = [f"127.0.0.1:{port}"]
    yield resolver
    server.stop()


def a_questions(resolver: RebindingResolver) -> int:
    return resolver.questions.count(f"A {HOST}")


def announce(organization, django_capture_on_commit_callbacks, threshold: str) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish("budget.threshold_reached", organization_id=organization.pk, data={"threshold": threshold})


def test_the_request_goes_to_the_checked_address_and_a_rebound_answer_is_refused(
    organization, receiver, dns, scheduled, django_capture_on_commit_callbacks
):
    port = receiver.server.server_address[1]
    # Creation and the first attempt's check see loopback (allowed in tests); every later answer is private.
    dns.answers = ["127.0.0.1", "127.0.0.1", "10.20.30.40"]
    endpoint_create(
        actor=Actor.system("test"),
        organization=organization,
        url=f"http://{HOST}:{port}/hooks",
        event_types=["budget.threshold_reached"],
    )
    assert a_questions(dns) == 1

    announce(organization, django_capture_on_commit_callbacks, "50")

    # One question for the attempt's check and none when connecting: the private third answer was never used.
    assert a_questions(dns) == 2
    [request] = receiver.requests
    assert request.headers["Host"] == f"{HOST}:{port}"
    first = WebhookDelivery.objects.for_organization(organization).get()
    assert (first.status, first.response_status) == (DeliveryStatus.DELIVERED, 204)

    announce(organization, django_capture_on_commit_callbacks, "80")

    assert a_questions(dns) == 3
    second = WebhookDelivery.objects.for_organization(organization).exclude(pk=first.pk).get()
    assert (second.status, second.response_status, second.attempts) == (DeliveryStatus.PENDING, None, 1)
    assert second.last_error == (
        "refused: The URL resolves to a private, loopback or link-local address, which webhooks cannot reach."
    )
    assert len(receiver.requests) == 1


def test_the_target_keeps_the_host_name_for_host_and_sni(dns, settings):
    settings.KONTOR_WEBHOOKS_ALLOW_LOOPBACK = False
    dns.answers = ["193.99.144.80"]

    target = webhook_target(f"https://{HOST}/in?x=1")

    assert (target.scheme, target.host, target.port, str(target.address), target.path) == (
        "https",
        HOST,
        443,
        "193.99.144.80",
        "/in?x=1",
    )
    assert target.host_header == HOST
    assert dns.questions == [f"A {HOST}", f"AAAA {HOST}"]


def certificate_authority(tmp_path, host: str):
    """A CA and a server certificate for ``host`` signed by it: (CA bundle path, server cert path, key path)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


def test_over_https_the_pinned_connection_keeps_sni_and_checks_the_certificate_for_the_name(
    organization, dns, settings, tmp_path, scheduled, django_capture_on_commit_callbacks
):
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    ca_bundle, cert, key = certificate_authority(tmp_path, HOST)
    seen: dict[str, list[str]] = {"sni": [], "host": []}
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name) and None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen["host"].append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, format, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.KONTOR_WEBHOOKS_ALLOW_LOOPBACK = True
    settings.KONTOR_WEBHOOKS_TIMEOUT_SECONDS = 2.0
    settings.KONTOR_WEBHOOKS_CA_BUNDLE = str(ca_bundle)
    dns.answers = ["127.0.0.1"]
    port = server.server_address[1]
    try:
        endpoint_create(
            actor=Actor.system("test"),
            organization=organization,
            url=f"https://{HOST}:{port}/hooks",
            event_types=["budget.threshold_reached"],
        )
        announce(organization, django_capture_on_commit_callbacks, "50")
    finally:
        server.shutdown()
        server.server_close()

    delivery = WebhookDelivery.objects.for_organization(organization).get()
    assert (delivery.status, delivery.response_status, delivery.last_error) == (DeliveryStatus.DELIVERED, 204, "")
    assert seen == {"sni": [HOST], "host": [f"{HOST}:{port}"]}
