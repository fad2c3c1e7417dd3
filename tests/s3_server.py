"""A real S3 HTTP endpoint on loopback: moto's server mode in a subprocess, spoken to over the S3 protocol."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
import requests

ACCESS_KEY = "kontor-test-access"
SECRET_KEY = "kontor-test-secret"
REGION = "eu-central-1"


@dataclass(frozen=True)
class S3Endpoint:
    url: str

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def storage_options(self, bucket: str, *, retention_years: int = 10) -> dict[str, object]:
        return {
            "BACKEND": "billing.archive.InvoiceArchiveStorage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": self.url,
                "region_name": REGION,
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "addressing_style": "path",
                "retention_years": retention_years,
            },
        }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_s3_server(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            return process
        except requests.ConnectionError:
            if process.poll() is not None:
                raise RuntimeError("moto's S3 server exited at start") from None
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto's S3 server did not start within 30 s")


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[S3Endpoint]:
    port = free_port()
    process = start_s3_server(port)
    try:
        yield S3Endpoint(url=f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)
