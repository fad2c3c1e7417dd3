"""``client_ip``: the TCP peer unless a trusted-proxy count says which X-Forwarded-For entry the proxies wrote."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from core.http import client_ip


def request_from(remote_addr: str | None, forwarded: str | None = None):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/")
    if remote_addr is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote_addr
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


@override_settings(KONTOR_TRUSTED_PROXY_COUNT=0)
def test_without_trusted_proxies_the_header_is_ignored():
    assert client_ip(request_from("192.0.2.10", "203.0.113.5")) == "192.0.2.10"
    assert client_ip(request_from(None, "203.0.113.5")) is None
    assert client_ip(request_from("not-an-address")) is None


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.66, 203.0.113.5", "203.0.113.5"),  # the client wrote the left entry: ignored
        (2, "198.51.100.66, 203.0.113.5, 10.0.0.3", "203.0.113.5"),
        (1, " 2001:DB8::1 ", "2001:db8::1"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "203.0.113.5:51234", "203.0.113.5"),
        (2, "203.0.113.5", "192.0.2.10"),  # shorter than the chain: the peer, never a guess
        (1, "", "192.0.2.10"),
        (1, "unknown", "192.0.2.10"),
        (1, "203.0.113.5, <script>", "192.0.2.10"),
        (1, ",,,", "192.0.2.10"),
    ],
)
def test_behind_trusted_proxies_the_entry_they_wrote_is_the_client(proxies, forwarded, expected):
    with override_settings(KONTOR_TRUSTED_PROXY_COUNT=proxies):
        assert client_ip(request_from("192.0.2.10", forwarded)) == expected


@override_settings(KONTOR_TRUSTED_PROXY_COUNT=1)
def test_a_missing_header_behind_a_proxy_gives_the_peer():
    assert client_ip(request_from("192.0.2.10")) == "192.0.2.10"


@pytest.mark.django_db
@override_settings(KONTOR_TRUSTED_PROXY_COUNT=1)
def test_the_audit_log_records_the_forwarded_client(organization, owner):
    from tenants.audit import Actor

    request = request_from("10.0.0.2", "198.51.100.66, 203.0.113.5")
    request.user = owner
    assert Actor.from_request(request).ip_address == "203.0.113.5"
