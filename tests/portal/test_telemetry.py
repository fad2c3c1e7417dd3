"""Traces and error reports are off by default; switched on, they reach a receiver on loopback in their real
protocols: OTLP/HTTP (protobuf ``ExportTraceServiceRequest`` at ``/v1/traces``) and the Sentry envelope."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli  # type: ignore[import-untyped]
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from portal.telemetry import telemetry_configure

ROOT = Path(__file__).resolve().parents[2]


def test_nothing_is_sent_anywhere_by_default(settings):
    assert (settings.KONTOR_OTEL_ENDPOINT, settings.KONTOR_SENTRY_DSN) == ("", "")
    assert telemetry_configure() == []


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.received: list[tuple[str, dict[str, str], bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":  # the Sentry SDK compresses envelopes with Brotli where it is installed
            body = brotli.decompress(body)
        self.server.received.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# A process configured as production would be with both switched on: a request through the real middleware stack
# (a span per request) and an error logged (a Sentry event), then the buffers flushed.
SENDER = textwrap.dedent(
    """
    import logging, django
    django.setup()
    from django.test import Client
    from portal.telemetry import telemetry_configure, telemetry_flush
    assert telemetry_configure() == ["opentelemetry", "sentry"], telemetry_configure()
    assert Client().get("/healthz", HTTP_HOST="127.0.0.1").status_code == 200
    try:
        raise RuntimeError("the invoice archive is unreachable")
    except RuntimeError:
        logging.getLogger("billing.tasks").exception("Rendering failed")
    telemetry_flush()
    """
)


def test_a_trace_and_an_error_reach_receivers_on_loopback(receiver):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "KONTOR_OTEL_ENDPOINT": receiver.url,
        "KONTOR_OTEL_SERVICE_NAME": "kontor-test",
        "KONTOR_SENTRY_DSN": f"http://0123456789abcdef0123456789abcdef@127.0.0.1:{receiver.server_address[1]}/42",
        "KONTOR_SENTRY_ENVIRONMENT": "staging",
    }
    done = subprocess.run(
        [sys.executable, "-c", SENDER], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]

    traces = [body for path, _, body in receiver.received if path == "/v1/traces"]
    spans = []
    for body in traces:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}["service.name"]
            for scope in resource_spans.scope_spans:
                spans += [(service, span.name) for span in scope.spans]
    assert ("kontor-test", "GET healthz") in spans

    envelopes = [(headers, body) for path, headers, body in receiver.received if path == "/api/42/envelope/"]
    events = []
    for headers, body in envelopes:
        assert "sentry_key=0123456789abcdef0123456789abcdef" in headers["X-Sentry-Auth"]
        lines = body.split(b"\n")
        for item_header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(item_header)["type"] == "event":
                events.append(json.loads(payload))
    assert len(events) == 1
    (event,) = events
    assert (event["environment"], event["logger"], event["logentry"]["message"]) == (
        "staging",
        "billing.tasks",
        "Rendering failed",
    )
    assert event["exception"]["values"][-1]["value"] == "the invoice archive is unreachable"
