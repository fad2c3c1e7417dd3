"""The SDK's hand-written HTTP behaviour against a real server on loopback: one idempotency key per create call,
reused by its retries; 429/503 retried as ``Retry-After`` asks, within bounds; typed errors."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from kontor_client import RateLimited, ServerError, ValidationError, connect
from kontor_client.generated.api.organizations import organizations_ssh_keys_create
from kontor_client.generated.models.ssh_key_create_request import SshKeyCreateRequest
from kontor_client.transport import retry_after_seconds
from tests.clients.scripted_server import Answer, ScriptedServer

SSH_KEY = {
    "id": 7,
    "name": "laptop",
    "fingerprint": "SHA256:abc",
    "key_type": "ssh-ed25519",
    "bits": 256,
    "public_key": "ssh-ed25519 AAAA laptop",
    "shared": True,
    "owner": None,
    "created_at": "2026-12-01T10:00:00Z",
}
THROTTLED = json.dumps({"detail": "Slow down.", "code": "throttled", "fields": {}}).encode()
BODY = SshKeyCreateRequest(name="laptop", public_key="ssh-ed25519 AAAA laptop")


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    running = ScriptedServer(answers=[]).start()
    yield running
    running.stop()


def client_for(server: ScriptedServer, waits: list[float], **options):
    return connect("ktr_test_secret", base_url=server.url, sleep=waits.append, **options)


def test_a_create_retried_after_429_and_503_sends_one_idempotency_key(server):
    server.answers = [
        Answer(429, THROTTLED, {"Retry-After": "2"}),
        Answer(503, b'{"detail": "Maintenance.", "code": "unavailable", "fields": {}}', {"Retry-After": "1"}),
        Answer(201, json.dumps(SSH_KEY).encode()),
    ]
    waits: list[float] = []

    created = organizations_ssh_keys_create.sync("rheinwerk", client=client_for(server, waits), body=BODY)

    assert created is not None
    assert (created.id, created.fingerprint) == (7, "SHA256:abc")
    assert waits == [2.0, 1.0]
    keys = [headers["Idempotency-Key"] for _method, _path, headers, _body in server.requests]
    assert len(keys) == 3
    assert len(set(keys)) == 1
    assert uuid.UUID(keys[0]).version == 4
    assert {headers["Authorization"] for _m, _p, headers, _b in server.requests} == {"Bearer ktr_test_secret"}
    assert [json.loads(body) for _m, _p, _h, body in server.requests] == [BODY.to_dict()] * 3


def test_two_create_calls_send_two_keys(server):
    server.answers = [Answer(201, json.dumps(SSH_KEY).encode()), Answer(201, json.dumps(SSH_KEY).encode())]
    client = client_for(server, [])

    organizations_ssh_keys_create.sync("rheinwerk", client=client, body=BODY)
    organizations_ssh_keys_create.sync("rheinwerk", client=client, body=BODY)

    assert len({headers["Idempotency-Key"] for _m, _p, headers, _b in server.requests}) == 2


def test_retries_are_bounded_then_the_typed_error_is_raised(server):
    server.answers = [Answer(429, THROTTLED, {"Retry-After": "1"}) for _ in range(4)]
    waits: list[float] = []

    with pytest.raises(RateLimited) as raised:
        organizations_ssh_keys_create.sync("rheinwerk", client=client_for(server, waits, max_retries=3), body=BODY)

    assert (raised.value.status, raised.value.code, raised.value.detail) == (429, "throttled", "Slow down.")
    assert len(server.requests) == 4
    assert waits == [1.0, 1.0, 1.0]


def test_a_retry_after_beyond_the_bound_is_not_waited_for(server):
    server.answers = [Answer(503, b"<html>down</html>", {"Retry-After": "3600", "Content-Type": "text/html"})]
    waits: list[float] = []

    with pytest.raises(ServerError) as raised:
        organizations_ssh_keys_create.sync("rheinwerk", client=client_for(server, waits, max_retry_wait=30), body=BODY)

    assert (raised.value.status, raised.value.code, raised.value.detail) == (503, "http_503", "<html>down</html>")
    assert waits == []
    assert len(server.requests) == 1


def test_a_validation_error_carries_code_detail_and_fields(server):
    refusal = {"detail": "The request has invalid fields.", "code": "invalid", "fields": {"public_key": ["Bad."]}}
    server.answers = [Answer(400, json.dumps(refusal).encode())]

    with pytest.raises(ValidationError) as raised:
        organizations_ssh_keys_create.sync("rheinwerk", client=client_for(server, []), body=BODY)

    assert (raised.value.code, raised.value.detail, raised.value.fields) == (
        "invalid",
        "The request has invalid fields.",
        {"public_key": ["Bad."]},
    )
    assert len(server.requests) == 1  # a 400 is not retried


def test_retry_after_as_an_http_date_and_without_a_header():
    now = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
    dated = httpx.Response(429, headers={"Retry-After": "Tue, 01 Dec 2026 12:00:05 GMT"})
    past = httpx.Response(429, headers={"Retry-After": "Tue, 01 Dec 2026 11:00:00 GMT"})
    bare = httpx.Response(503)

    assert retry_after_seconds(dated, attempt=0, now=lambda: now) == 5.0
    assert retry_after_seconds(past, attempt=0, now=lambda: now) == 0.0
    assert [retry_after_seconds(bare, attempt=n, now=lambda: now) for n in range(3)] == [0.5, 1.0, 2.0]
