"""Concurrent HTTP clients for the idempotency fault test and the manual fault run: copies of one booking sent at
the same instant with one ``Idempotency-Key``, each retrying a 409 ``idempotency_in_progress`` after its
``Retry-After``, as a well-behaved client does."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import requests


@dataclass
class Copy:
    answers: list[tuple[int, dict]] = field(default_factory=list)  # every answer, in order

    @property
    def final(self) -> tuple[int, dict]:
        return self.answers[-1]


def send(
    session: requests.Session, url: str, body: dict, key: str, copy: Copy, start: threading.Barrier | None
) -> None:
    if start is not None:
        start.wait()
    for _attempt in range(20):
        response = session.post(url, json=body, headers={"Idempotency-Key": key}, timeout=60)
        copy.answers.append((response.status_code, response.json()))
        if response.status_code != 409 or response.json().get("code") != "idempotency_in_progress":
            return
        assert response.headers["Retry-After"] == "1"
        time.sleep(float(response.headers["Retry-After"]) / 4)  # a quarter: keep the test short


def session_for(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session
