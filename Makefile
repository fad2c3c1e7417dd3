# Kontor: `make run` starts the platform on the embedded default; `make test` runs every check and test.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: prod-smoke lock audit run test lint typecheck migrations-check pytest services-check system-deps pdf-deps messages clean bench sdk

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# --- dependencies locked with hashes (issue 13) ---------------------------------------------------------------
# requirements.lock pins every transitive runtime package with its SHA-256 (pip-compile --generate-hashes); the
# image installs the same file. `make lock` regenerates it after a change to requirements.txt.
$(VENV)/.runtime-installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.dev-installed: requirements.lock requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

lock: $(VENV)/.dev-installed
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements.lock requirements.txt

# Known vulnerabilities of the locked packages (PyPI's JSON API, OSV data). --strict fails when a package cannot
# be looked up, so an unreachable service never passes as "no known vulnerabilities". Needs pypi.org itself.
audit: $(VENV)/.dev-installed
	$(BIN)/pip-audit --strict --progress-spinner off --vulnerability-service pypi --require-hashes -r requirements.lock
# --- end dependencies -----------------------------------------------------------------------------------------

# Debian packages: Chromium for the browser tests (no downloaded browser builds), gettext for translations,
# Pango, HarfBuzz and a font for WeasyPrint's invoice PDFs.
PDF_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# The invoice PDF libraries alone, for `make run` (workers render invoice PDFs); skipped where apt-get is absent.
pdf-deps:
	@if command -v apt-get >/dev/null && ! dpkg -s $(PDF_DEBS) >/dev/null 2>&1; then \
		echo "Installing Debian packages: $(PDF_DEBS)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_DEBS) >/dev/null; \
	fi

# SAML: libxmlsec1 (with its OpenSSL engine) for python3-saml's xmlsec, pkg-config and the headers to build xmlsec
# where no wheel fits, and the xmlsec1 program with which the tests' pysaml2 IdP signs.
SAML_DEBS := xmlsec1 libxmlsec1-dev libxmlsec1-openssl libxml2-dev pkg-config

system-deps:
	@if ! command -v chromium >/dev/null || ! command -v msgfmt >/dev/null || ! dpkg -s $(PDF_DEBS) $(SAML_DEBS) >/dev/null 2>&1; then \
		echo "Installing Debian packages: chromium gettext $(PDF_DEBS) $(SAML_DEBS)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium gettext $(PDF_DEBS) $(SAML_DEBS) >/dev/null; \
	fi

# Links in e-mails are built from one site URL: the address the web server listens on, unless KONTOR_SITE_URL says.
SITE_URL = $${KONTOR_SITE_URL:-http://$${KONTOR_HOST:-127.0.0.1}:$${KONTOR_PORT:-8000}}

run: pdf-deps $(VENV)/.dev-installed
	$(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py seed_demo
	@echo
	@echo "Kontor is starting at http://$${KONTOR_HOST:-127.0.0.1}:$${KONTOR_PORT:-8000}/"
	@echo "  portal: /    operator console: /ops/    API docs: /api/v1/docs/"
	@echo "  demo logins (password kontor-demo-2026): owner@example.de; operator@kontor.example (second factor: 000000)"
	@echo "  web (gunicorn), a Celery worker per queue and beat run together; Ctrl-C stops them all."
	@echo
	KONTOR_SITE_URL=$(SITE_URL) DJANGO_DEBUG=$${DJANGO_DEBUG:-1} KONTOR_DEMO_MFA_CODE=$${KONTOR_DEMO_MFA_CODE:-000000} PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

services-check: $(VENV)/.dev-installed
	$(BIN)/python scripts/check_services.py

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy .

migrations-check: $(VENV)/.dev-installed
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} DJANGO_SETTINGS_MODULE=portal.settings_test $(BIN)/python manage.py makemigrations --check --dry-run

# Two pytest processes at once, one per core. The side one runs what drives processes it starts itself: first the
# fault suite (private redis-servers, worker processes it kills), the production smoke run (gunicorn, workers, beat, a
# fresh database, a private redis-server) and the embedded default (SQLite) migrated and seeded in subprocesses; then
# the browser tests (Chromium), the schemathesis run (`st`), the beat takeover (two beat processes), a worker killed
# mid-provisioning and the Sentinel broker (a worker, redis-servers). In the main process those last ones took about
# eight minutes (by the earlier runs' durations) while the side process had long finished. The side process has its
# own test database (DATABASE_URL's name + `_side`) and Redis databases (KONTOR_SIDE_REDIS_URL /
# KONTOR_SIDE_BROKER_URL, default 6379/12 and 13), so nothing the main process leaves behind (Celery's and kombu's
# connection pools) reaches it. Each process ends with the check of every link in the e-mails it sent (SIDE_ALSO;
# each keeps its own outbox). Its log, with its slowest tests, follows the main run's; coverage of both is combined.
SIDE_TESTS := tests/faults tests/deploy/test_prod_smoke.py tests/portal/test_embedded_default.py \
	tests/browser tests/portal/test_schema_fuzzing.py tests/portal/test_queues.py \
	tests/provisioning/test_worker_reliability.py tests/portal/test_sentinel.py
SIDE_ALSO := tests/tenants/test_email_links.py::test_every_link_in_every_email_sent_by_the_suite_names_a_page_of_the_site
pytest: $(VENV)/.dev-installed system-deps services-check
	@mkdir -p var; rm -f var/coverage-side; \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kontor}_side \
		REDIS_URL=$${KONTOR_SIDE_REDIS_URL:-redis://127.0.0.1:6379/12} \
		CELERY_BROKER_URL=$${KONTOR_SIDE_BROKER_URL:-redis://127.0.0.1:6379/13} \
		COVERAGE_FILE=var/coverage-side $(BIN)/pytest $(SIDE_TESTS) $(SIDE_ALSO) --durations=40 > var/side-tests.log 2>&1 & side=$$!; \
	echo "side process (pid $$side, log var/side-tests.log): $(SIDE_TESTS) $(SIDE_ALSO)"; \
	main=0; $(BIN)/pytest $(addprefix --ignore=,$(SIDE_TESTS)) --durations=40 || main=$$?; \
	side_status=0; wait $$side || side_status=$$?; \
	echo "=== side process: $(SIDE_TESTS) ==="; cat var/side-tests.log; \
	if [ -f var/coverage-side ] && [ -f .coverage ]; then \
		$(BIN)/coverage combine --append --keep var/coverage-side >/dev/null && echo "coverage of both processes:" && $(BIN)/coverage report | grep -E "^TOTAL"; \
	fi; \
	echo "main pytest exit $$main, side pytest exit $$side_status"; \
	test $$main -eq 0 && test $$side_status -eq 0

test: system-deps $(VENV)/.dev-installed services-check lint typecheck migrations-check pytest

messages: $(VENV)/.dev-installed
	$(BIN)/python manage.py makemessages -l de -l en --ignore=.venv --ignore=staticfiles --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore=.venv

# The Python SDK's generated layer (clients/python/kontor_client/generated/) and the schema it is generated from.
# tests/clients/test_sdk_generated.py fails when the committed files differ from what this target writes.
sdk: $(VENV)/.dev-installed
	$(BIN)/python scripts/generate_sdk.py

# The production settings on one machine, end to end (scripts/prod_smoke.py): gunicorn, a worker per queue, beat,
# a fresh PostgreSQL database, a private redis-server, moto's S3 and an SMTP sink; everything stopped at the end.
# `make test` runs it too, as tests/deploy/test_prod_smoke.py.
prod-smoke: pdf-deps $(VENV)/.dev-installed services-check
	$(BIN)/python scripts/prod_smoke.py

bench: $(VENV)/.dev-installed
	@ls bench/*.py >/dev/null 2>&1 && for script in bench/*.py; do $(BIN)/python $$script; done || echo "no benchmarks yet"

clean:
	rm -rf $(VENV) var staticfiles .mypy_cache .ruff_cache .pytest_cache .coverage htmlcov
