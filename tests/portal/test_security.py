"""Nothing leaves Germany: a same-origin Content Security Policy; production settings pass the deploy check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/api/v1/docs/"])
def test_pages_send_a_same_origin_content_security_policy(client, url):
    response = client.get(url)

    assert response.status_code == 200
    policy = dict(directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"].startswith("'self'")
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    for sources in policy.values():
        assert "http" not in sources
        assert "*" not in sources


@pytest.mark.django_db
def test_pages_send_security_headers(client):
    response = client.get("/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


# Production settings with real values pass `check --deploy`, and fail closed on laptop values:
# tests/portal/test_deploy_checks.py.


def test_production_settings_refuse_the_development_secret():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_production",
        "DJANGO_SECRET_KEY": "insecure-development-key",
        "DATABASE_URL": "postgres://postgres@127.0.0.1/kontor",
    }

    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be a random string of at least 50 characters." in result.stderr


def test_production_settings_refuse_to_start_without_the_xrechnung_schematron(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_production",
        "DJANGO_SECRET_KEY": "k" * 20 + "8f3b1c9d2e7a4f60b5c8d1e2f3a4b5c6d7e8f9a0",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/kontor",
        "KONTOR_XRECHNUNG_XSLT_DIR": str(tmp_path),
    }

    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode != 0
    assert "KONTOR_XRECHNUNG_XSLT_DIR must point at KoSIT's XRechnung schematron release" in result.stderr


def test_openapi_schema_generates_without_warnings_and_validates(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(tmp_path / "s.yaml"),
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test"},
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert "/api/v1/organizations/{organization_slug}/members/" in (tmp_path / "s.yaml").read_text()
