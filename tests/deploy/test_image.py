"""The Dockerfile ships what the production settings require at start: KoSIT's XSLT, and static files collected
with the production storage after it is in place."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_image_ships_the_kosit_xslt_before_collecting_static_files():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    runtime = lines[lines.index("FROM python:3.11-slim-bookworm AS runtime") :]

    copy = runtime.index("COPY --from=kosit --chown=root:root . /opt/kosit/xrechnung")
    setting = runtime.index("ENV KONTOR_XRECHNUNG_XSLT_DIR=/opt/kosit/xrechnung")
    collect = next(n for n, line in enumerate(runtime) if "manage.py collectstatic" in line)
    assert copy < setting < collect
    assert "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH \\" in runtime
    assert "DJANGO_SETTINGS_MODULE=portal.settings_production KONTOR_HOST=0.0.0.0 KONTOR_PORT=8000" in runtime
