"""German and English from the start: every string translated, the compiled catalogues up to date."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "portal" / "locale"


def test_german_catalogue_is_complete_and_compiled_file_is_current(tmp_path):
    po = LOCALE / "de" / "LC_MESSAGES" / "django.po"
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext's msgfmt is missing: `make test` installs it with apt-get"

    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(po)],
        capture_output=True,
        text=True,
        check=True,
    )

    assert "untranslated" not in result.stderr
    assert "fuzzy" not in result.stderr
    assert (tmp_path / "django.mo").read_bytes() == (LOCALE / "de" / "LC_MESSAGES" / "django.mo").read_bytes(), (
        "django.mo is stale: run `make messages` and commit the result"
    )


@pytest.mark.django_db
def test_home_page_speaks_german_when_asked(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    content = response.content.decode()
    assert '<html lang="de">' in content
    assert "Anmelden" in content


@pytest.mark.django_db
def test_home_page_speaks_english_by_default(client):
    content = client.get("/").content.decode()

    assert '<html lang="en">' in content
    assert "Sign in" in content


@pytest.mark.django_db
def test_language_switcher_sets_the_language(client):
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/"}, follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert '<html lang="de">' in response.content.decode()
