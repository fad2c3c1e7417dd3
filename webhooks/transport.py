"""The HTTP client of webhook delivery: a POST to exactly the address ``webhooks.urls.webhook_target`` checked.

The TCP connection goes to the checked IP address, never to a second resolution of the host name (DNS rebinding
cannot turn a checked public address into a private one between the check and the connect); the ``Host`` header
and, over HTTPS, SNI and the certificate check use the URL's host name. Redirects are not followed, environment
proxies are not used, and only the first ``RESPONSE_BODY_LIMIT`` bytes of an answer are read. Connections are kept
alive per (address, port, host) in a small per-process cache of urllib3 pools, so a busy endpoint costs one TCP (and
TLS) handshake per worker process rather than one per delivery.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import certifi
import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError

from webhooks.urls import WebhookTarget

RESPONSE_BODY_LIMIT = 1000
# A kept-alive connection is reused only after its answer was read to the end; longer answers close it.
DRAIN_LIMIT = 64 * 1024
MAX_POOLS = 64

_POOLS: OrderedDict[tuple[str, str, int, str, str], urllib3.HTTPConnectionPool] = OrderedDict()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class PostResult:
    status: int | None
    error: str
    body: str


def _pool(target: WebhookTarget, timeout: float) -> urllib3.HTTPConnectionPool:
    ca_bundle: str = settings.KONTOR_WEBHOOKS_CA_BUNDLE or certifi.where()
    key = (target.scheme, str(target.address), target.port, target.host, ca_bundle)
    with _LOCK:
        pool = _POOLS.get(key)
        if pool is not None:
            _POOLS.move_to_end(key)
            return pool
        options = {"maxsize": 8, "block": False, "retries": False, "timeout": urllib3.Timeout(timeout)}
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                str(target.address),
                target.port,
                server_hostname=target.host,
                assert_hostname=target.host,
                cert_reqs="CERT_REQUIRED",
                ca_certs=ca_bundle,
                **options,  # type: ignore[arg-type]
            )
        else:
            pool = urllib3.HTTPConnectionPool(str(target.address), target.port, **options)  # type: ignore[arg-type]
        _POOLS[key] = pool
        while len(_POOLS) > MAX_POOLS:
            _old_key, old = _POOLS.popitem(last=False)
            old.close()
        return pool


def post(target: WebhookTarget, body: bytes, headers: dict[str, str], *, timeout: float) -> PostResult:
    """One POST; a connection failure is a result (``status`` None and the error), never an exception."""
    pool = _pool(target, timeout)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": target.host_header},
            redirect=False,
            retries=False,
            assert_same_host=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            preload_content=False,
        )
    except HTTPError as exc:
        return PostResult(None, f"{type(exc).__name__}: {exc}"[:2000], "")
    try:
        text = response.read(RESPONSE_BODY_LIMIT, decode_content=True).decode("utf-8", "replace")
        remaining = response.length_remaining
        if remaining is not None and remaining <= DRAIN_LIMIT:
            response.drain_conn()
        else:  # an endless or long answer: drop the connection rather than read it
            response.close()
    except HTTPError as exc:
        return PostResult(None, f"{type(exc).__name__}: {exc}"[:2000], "")
    finally:
        response.release_conn()
    status = response.status
    if 200 <= status < 300:
        return PostResult(status, "", text)
    if 300 <= status < 400:
        return PostResult(status, "redirect not followed", text)
    return PostResult(status, f"HTTP {status}", text)
