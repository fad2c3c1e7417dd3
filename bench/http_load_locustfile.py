"""The locust user of bench/http_load.py: one GET, again and again. The target path and the Authorization header
come from the environment (BENCH_PATH, BENCH_AUTHORIZATION).

Without BENCH_RATE a user sends its next request as soon as the last one was answered (no think time: the
saturating rounds). With BENCH_RATE (requests per second per user) each user keeps a fixed schedule of one start
every 1/BENCH_RATE seconds from a random phase (so the users do not fire in step); a user behind its schedule sends
at once. Latency is measured from the send, as locust does."""

from __future__ import annotations

import os
import random
import time

from locust import FastHttpUser, constant, task

PATH = os.environ["BENCH_PATH"]
HEADERS = {"Authorization": os.environ["BENCH_AUTHORIZATION"]} if os.environ.get("BENCH_AUTHORIZATION") else {}
RATE = float(os.environ.get("BENCH_RATE") or 0)


class Client(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.next_start = time.monotonic() + (random.random() / RATE if RATE else 0.0)

    def paced_wait(self) -> float:
        self.next_start += 1 / RATE
        return max(0.0, self.next_start - time.monotonic())

    if RATE:
        wait_time = paced_wait  # type: ignore[assignment]

    @task
    def get(self) -> None:
        if RATE and self.next_start > time.monotonic():  # the random phase of the first request
            time.sleep(self.next_start - time.monotonic())  # gevent's patched sleep: yields to the other users
        with self.client.get(PATH, headers=HEADERS, name=PATH, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
