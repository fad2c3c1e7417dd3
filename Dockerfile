# syntax=docker/dockerfile:1.7
# Kontor's image: web (gunicorn), every Celery worker and beat run from it with different commands.
# Build (BuildKit; the KoSIT XRechnung schematron release is a named build context, see below):
#   docker build --build-context kosit=../shared/reference/xrechnung -t registry.example/kontor:$(git rev-parse --short HEAD) .
# Stage 1 builds wheels from the hash-locked requirements; stage 2 has no compiler, no pip cache, no root.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY requirements.lock ./
# --require-hashes: every transitive package is pinned and its file's SHA-256 checked (requirements.lock).
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.lock

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=portal.settings_production KONTOR_HOST=0.0.0.0 KONTOR_PORT=8000
# WeasyPrint's libraries (Pango, HarfBuzz) and the invoice font; nothing to build with.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 kontor && useradd --uid 10001 --gid kontor --no-create-home --shell /usr/sbin/nologin kontor
COPY --from=build /opt/venv /opt/venv
# KoSIT's XRechnung schematron compiled to XSLT (Apache-2.0, not kept in this repository): every XRechnung is
# validated against it before it is stored, and the production settings refuse to start without it. The build
# context `kosit` is a directory with schematron/cii/XRechnung-CII-validation.xsl below it: the reference copy
# beside the checkout (../shared/reference/xrechnung) or KoSIT's release unpacked (docs/operations.md).
COPY --from=kosit --chown=root:root . /opt/kosit/xrechnung
ENV KONTOR_XRECHNUNG_XSLT_DIR=/opt/kosit/xrechnung
WORKDIR /app
COPY --chown=root:root . .
# Static files are collected at build time with the production storage (WhiteNoise's hashed, compressed manifest).
# Nothing connects anywhere: the values below exist only to satisfy the production settings' import-time checks.
RUN DJANGO_SECRET_KEY=build-only-collectstatic-not-a-secret-0123456789abcdefghij \
    DATABASE_URL=postgres://build@127.0.0.1:1/build \
    python manage.py collectstatic --noinput \
 && mkdir -p /app/var && chown kontor:kontor /app/var
USER 10001:10001
EXPOSE 8000
# The migrate Job and every Deployment run `check --deploy` first (see deploy/kubernetes/base).
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "portal.wsgi:application"]
