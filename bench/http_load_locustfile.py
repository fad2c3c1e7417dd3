"""The locust user of bench/http_load.py: one GET, again and again, no think time. The target path and the
Authorization header come from the environment (BENCH_PATH, BENCH_AUTHORIZATION)."""

from __future__ import annotations

import os

from locust import FastHttpUser, constant, task

PATH = os.environ["BENCH_PATH"]
HEADERS = {"Authorization": os.environ["BENCH_AUTHORIZATION"]} if os.environ.get("BENCH_AUTHORIZATION") else {}


class Client(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self) -> None:
        with self.client.get(PATH, headers=HEADERS, name=PATH, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
