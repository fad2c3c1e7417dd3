"""``make prod-smoke``: the production settings on one machine, driven end to end as a customer and an operator would.

Started here, all on loopback and all stopped at the end (also on failure or Ctrl-C): a fresh PostgreSQL database on
the server of ``DATABASE_URL`` (dropped afterwards), a private ``redis-server`` on a free port (broker, cache and
RedBeat), moto's S3 server (the invoice archive, bucket with Object Lock), an SMTP sink (aiosmtpd) that receives
every e-mail, gunicorn with ``deploy/gunicorn.conf.py``, one Celery worker per queue and beat, each exactly as the
``Procfile`` says. Settings: ``portal.settings_production`` with real, non-placeholder values (generated Fernet key,
a seller that passes every deploy check); the only staging allowance is the simulator driver
(``KONTOR_ALLOW_SIMULATOR=true``), with a one-second boot.

The run: ``check --deploy`` and ``migrate`` (as the migrate Job), the catalog and inventory seeded by their commands,
the first operator made with ``createsuperuser``; a company signs up through the API and confirms the owner's
address from the e-mail; the operator confirms theirs, signs in and approves through the operators' API; the
organization becomes active (its cloud project made by the provisioning worker); the owner makes an API key; with
the key: a quote, a booking (with an ``X-Request-ID``), wait for ``active``, release, wait for ``ended``; the metering
worker meters (``metering.run`` sent to its queue); ``run_invoicing --finalize`` drafts and finalizes the month's
invoice; the documents worker renders it into object storage; the PDF is downloaded through the API and compared
with the object in the bucket and the SHA-256 on its row; ``/metrics`` is scraped; a provisioning worker's log line
carries the booking's request ID.

Time travel, said plainly: an hour is billable only once it has fully passed (``hour <= now - 1 h``). The one
invoicing step therefore runs with its clock two hours ahead (time-machine, in that process only); the reservation
has ended before it, so the travelled clock meters nothing new. Everything else runs in real time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import boto3
import psycopg
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
QUEUES = ("default", "provisioning", "documents", "email", "metering")
BUCKET = "kontor-invoices"
S3_ACCESS, S3_SECRET, S3_REGION = "kontor-smoke-access", "kontor-smoke-secret", "eu-central-1"
PASSWORD = "smoke run passphrase 2026"
OPERATOR = "betrieb@rechenwerk-sued.de"
OWNER = "jonas.weber@rheinwerk-robotics.de"
# The seller of a real deployment: every field passes kontor.E106 (no placeholder, a valid non-test IBAN).
SELLER = {
    "legal_name": "Rechenwerk Süd GmbH",
    "street": "Lindwurmstraße 75",
    "postal_code": "80337",
    "city": "München",
    "country": "DE",
    "vat_id": "DE811569869",
    "email": "rechnung@rechenwerk-sued.de",
    "iban": "DE18700202700015704311",
    "bic": "HYVEDEMMXXX",
    "registration_id": "HRB 287612, Amtsgericht München",
    "tax_number": "143/152/60934",
    "contact_name": "Buchhaltung Rechenwerk Süd",
    "contact_phone": "+49 89 2180 4711",
    "contact_email": "buchhaltung@rechenwerk-sued.de",
}
T = TypeVar("T")


class SmokeFailure(AssertionError):
    pass


def log(message: str) -> None:
    print(f"[prod-smoke {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, probe: Callable[[], T | None], *, timeout: float, interval: float = 0.5) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise SmokeFailure(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --- the SMTP sink ----------------------------------------------------------------------------------------------
class MailSink:
    """Every message the e-mail worker delivers over SMTP, kept in memory."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content or b""
        raw = content.encode() if isinstance(content, str) else content
        message = message_from_bytes(raw, policy=policy.default)
        parts = [message] if not message.is_multipart() else list(message.walk())
        text = "\n".join(
            str(part.get_content()) for part in parts if part.get_content_type() in ("text/plain", "text/html")
        )
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), f"Subject: {message['subject']}\n{text}"))
        return "250 Message accepted for delivery"

    def link_to(self, recipient: str, pattern: str) -> str | None:
        with self.lock:
            mails = [text for rcpts, text in self.messages if recipient in rcpts]
        for text in mails:
            match = re.search(pattern, text)
            if match:
                return match.group(0)
        return None


# --- processes --------------------------------------------------------------------------------------------------
@dataclass
class Stack:
    workdir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        logfile = (self.workdir / f"{name}.log").open("wb")
        # A session of its own: the process group (gunicorn's workers, Celery's pool) is stopped as one.
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
        )
        logfile.close()
        self.processes[name] = process
        return process

    def log_of(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise SmokeFailure(f"{name} exited with {process.returncode}:\n{self.log_of(name)[-3000:]}")

    def stop(self) -> list[str]:
        """SIGTERM every group (graceful: gunicorn and Celery finish what they do), SIGKILL what is left after 30 s;
        returns the names of the groups that had to be killed."""
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        killed = []
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                killed.append(name)
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        for cleanup in reversed(self.cleanups):
            with contextlib.suppress(Exception):
                cleanup()
        return killed

    def leftovers(self) -> list[int]:
        """Process groups of the stack that still have a member (none may)."""
        alive = []
        for process in self.processes.values():
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                continue
            except PermissionError:
                pass
            alive.append(process.pid)
        return alive


def procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


def database_urls() -> tuple[str, str, str]:
    """(admin URL, smoke database URL, its name): a fresh database on the server of DATABASE_URL."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'kontor'}_prod_smoke"
    return (
        urlunsplit(parts._replace(path="/postgres")),
        urlunsplit(parts._replace(path=f"/{name}")),
        name,
    )


# --- the browser and API clients ------------------------------------------------------------------------------------
class Client:
    """A caller behind the TLS ingress: ``X-Forwarded-Proto: https`` on every request (gunicorn trusts it from
    loopback, Django's ``SECURE_PROXY_SSL_HEADER``), secure cookies kept although loopback speaks plain HTTP."""

    def __init__(self, base: str, *, token: str | None = None) -> None:
        self.base = base
        self.session = requests.Session()
        # Kept by hand: the cookie jar would withhold Secure cookies from a plain-HTTP URL.
        self.cookies: dict[str, str] = {}
        self.session.headers["X-Forwarded-Proto"] = "https"
        self.session.headers["Origin"] = base.replace("http://", "https://")
        self.session.headers["Referer"] = base.replace("http://", "https://") + "/"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, *, expect: int | tuple[int, ...] = 200, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        headers = kwargs.setdefault("headers", {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if "csrftoken" in self.cookies and method != "GET":
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        response = self.session.request(method, self.base + path, **kwargs)
        for cookie in response.cookies:
            if cookie.value and not (cookie.expires is not None and cookie.expires < time.time()):
                self.cookies[cookie.name] = cookie.value
            else:
                self.cookies.pop(cookie.name, None)
        self.session.cookies.clear()
        expected = (expect,) if isinstance(expect, int) else expect
        if response.status_code not in expected:
            raise SmokeFailure(f"{method} {path}: {response.status_code}, expected {expected}: {response.text[:800]}")
        return response

    def form(self, path: str, data: dict[str, str], *, expect: tuple[int, ...] = (302,)) -> Any:
        page = self.request("GET", path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not match:
            raise SmokeFailure(f"GET {path}: no CSRF token on the page")
        return self.request("POST", path, data={"csrfmiddlewaretoken": match.group(1), **data}, expect=expect)

    def sign_in(self, email: str, password: str) -> None:
        if self.request("GET", "/accounts/login/", expect=(200, 302)).status_code == 302:
            return  # signed in already (confirming the address in the session that tried to sign in does that)
        answer = self.form("/accounts/login/", {"login": email, "password": password})
        if "/accounts/confirm-email/" in answer.headers.get("Location", ""):
            raise SmokeFailure(f"{email} has no confirmed address yet")


def confirm_address(client: Client, mail: MailSink, recipient: str) -> None:
    link = wait_for(
        f"the confirmation e-mail to {recipient}",
        lambda: mail.link_to(recipient, r"https?://[^\s\"<>]+/accounts/confirm-email/[^\s\"<>/]+/"),
        timeout=60,
    )
    client.form(urlsplit(link).path, {})


def metric_samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


# --- the run ----------------------------------------------------------------------------------------------------
def run(stack: Stack) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    started = time.monotonic()

    admin_url, database_url, database = database_urls()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')

    def drop_database() -> None:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    stack.cleanups.append(drop_database)

    redis_port, s3_port, smtp_port, web_port = free_port(), free_port(), free_port(), free_port()
    stack.start(
        "redis",
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        dict(os.environ),
    )
    stack.start("s3", [PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)], dict(os.environ))
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    stack.cleanups.append(controller.stop)

    s3_url = f"http://127.0.0.1:{s3_port}"
    s3 = boto3.client(
        "s3", endpoint_url=s3_url, aws_access_key_id=S3_ACCESS, aws_secret_access_key=S3_SECRET, region_name=S3_REGION
    )

    def s3_ready() -> bool:
        try:
            s3.list_buckets()
        except Exception:  # not listening yet
            stack.check_alive()
            return False
        return True

    wait_for("moto's S3 server", s3_ready, timeout=30, interval=0.2)
    s3.create_bucket(
        Bucket=BUCKET,
        CreateBucketConfiguration={"LocationConstraint": S3_REGION},
        ObjectLockEnabledForBucket=True,
    )

    metrics_token = secrets.token_urlsafe(24)
    env = {
        "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "portal.settings_production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "KONTOR_SITE_URL": "https://portal.rechenwerk-sued.de",
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/1",
        "KONTOR_SECRET_KEYS": Fernet.generate_key().decode(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DEFAULT_FROM_EMAIL": "Rechenwerk Süd <portal@rechenwerk-sued.de>",
        "KONTOR_INVOICE_BUCKET": BUCKET,
        "KONTOR_S3_ENDPOINT_URL": s3_url,
        "KONTOR_S3_REGION_NAME": S3_REGION,
        "KONTOR_S3_ACCESS_KEY_ID": S3_ACCESS,
        "KONTOR_S3_SECRET_ACCESS_KEY": S3_SECRET,
        "KONTOR_METRICS_TOKEN": metrics_token,
        # Staging allowance, said explicitly: the simulator instead of OpenStack, servers boot in a second.
        "KONTOR_CLOUD_DRIVER": "simulator",
        "KONTOR_ALLOW_SIMULATOR": "true",
        "KONTOR_SIMULATOR_BOOT_SECONDS": "1",
        # Nothing leaves the machine: no VIES look-up, so an operator approves (no automatic approval rule).
        "KONTOR_VIES_URL": "",
        "KONTOR_AUTO_APPROVAL_RULES": "",
        "KONTOR_PORT": str(web_port),
        "KONTOR_WORKER_CONCURRENCY": "1",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "4",
        "PROMETHEUS_MULTIPROC_DIR": str(stack.workdir / "prometheus"),
        # collectstatic as the image's build runs it, into the run's directory and without the gzip/Brotli copies
        # (minutes of CPU here; the hashed manifest WhiteNoise serves from is the same).
        "KONTOR_STATIC_ROOT": str(stack.workdir / "static"),
        "KONTOR_STATIC_COMPRESSION": "false",
        **{f"KONTOR_SELLER_{name.upper()}": value for name, value in SELLER.items()},
    }
    if "KONTOR_XRECHNUNG_XSLT_DIR" in os.environ:
        env["KONTOR_XRECHNUNG_XSLT_DIR"] = os.environ["KONTOR_XRECHNUNG_XSLT_DIR"]
    (stack.workdir / "prometheus").mkdir()

    def manage(*arguments: str, extra: dict[str, str] | None = None) -> str:
        began = time.monotonic()
        done = subprocess.run(
            [PYTHON, "manage.py", *arguments],
            cwd=ROOT,
            env={**env, **(extra or {})},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode:
            raise SmokeFailure(f"manage.py {' '.join(arguments)} exited {done.returncode}:\n{done.stderr[-3000:]}")
        log(f"  manage.py {arguments[0]}: {time.monotonic() - began:.1f} s")
        return done.stdout

    log("check --deploy and migrate, as the migrate Job does")
    figures["check_deploy"] = manage("check", "--deploy", "--fail-level", "WARNING").strip()
    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput", "--verbosity", "0")  # as the image's build does
    # The operator's first-start commands, in one process (each start of Django costs seconds on a busy machine):
    # the catalog, the inventory, the legal documents in force (published in the console later on: here their
    # first versions) and the first operator.
    manage(
        "shell",
        "-c",
        "from django.core.management import call_command\n"
        "from tenants.demo import legal_documents_ensure\n"
        "call_command('seed_catalog', progress='never')\n"
        "call_command('seed_inventory', verbosity=0)\n"
        "legal_documents_ensure()\n"
        f"call_command('createsuperuser', interactive=False, email={OPERATOR!r})\n",
        extra={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )

    log("starting gunicorn, a worker per queue and beat (Procfile)")
    commands = procfile()
    stack.start("web", ["bash", "-c", commands.pop("web")], env)
    base = f"http://127.0.0.1:{web_port}"
    anonymous = Client(base)

    def ready() -> bool:
        stack.check_alive()
        with contextlib.suppress(requests.RequestException):
            return anonymous.session.get(base + "/readyz", timeout=10).status_code == 200
        return False

    wait_for("gunicorn's /readyz", ready, timeout=60)
    # After gunicorn has cleared the metrics directory of earlier starts (deploy/gunicorn.conf.py).
    for name, command in commands.items():
        stack.start(name, ["bash", "-c", command], env)
    figures["stack_started_s"] = round(time.monotonic() - started, 1)

    log("a company signs up through the API")
    anonymous.request(
        "POST",
        "/api/v1/signup/",
        expect=202,
        json={
            "legal_name": "Rheinwerk Robotics GmbH",
            "country": "DE",
            "street": "Werkstraße 1",
            "postal_code": "50667",
            "city": "Köln",
            "vat_id": "DE136695976",
            "billing_email": "rechnungen@rheinwerk-robotics.de",
            "email": OWNER,
            "full_name": "Jonas Weber",
            "password": PASSWORD,
            "language": "de",
            "accept_terms": True,
        },
    )
    owner = Client(base)
    confirm_address(owner, sink, OWNER)

    log("the operator confirms their address, signs in and approves through the operators' API")
    operator = Client(base)
    answer = operator.form("/accounts/login/", {"login": OPERATOR, "password": PASSWORD})
    if "confirm-email" in answer.headers.get("Location", ""):
        confirm_address(operator, sink, OPERATOR)
        operator.sign_in(OPERATOR, PASSWORD)
    queue = operator.request("GET", "/api/v1/ops/organizations/").json()
    rows = queue["results"] if isinstance(queue, dict) else queue
    (company,) = [row for row in rows if row["legal_name"] == "Rheinwerk Robotics GmbH"]
    if company["status"] != "pending_approval":
        raise SmokeFailure(f"the sign-up waits in {company['status']!r}, not pending_approval")
    slug = company["slug"]
    operator.request("POST", f"/api/v1/ops/organizations/{slug}/approve/", expect=(200, 202), json={})

    owner.sign_in(OWNER, PASSWORD)
    org = f"/api/v1/organizations/{slug}"

    def organization_active() -> bool:
        stack.check_alive()
        return bool(owner.request("GET", f"{org}/").json()["status"] == "active")

    wait_for("the organization to become active (its cloud project made by a worker)", organization_active, timeout=60)
    key = owner.request(
        "POST",
        f"{org}/api-keys/",
        expect=201,
        json={
            "name": "prod-smoke",
            "scopes": ["catalog:read", "reservations:read", "reservations:write", "billing:read"],
        },
    ).json()["token"]
    api = Client(base, token=key)
    api.session.headers.pop("Origin")  # a partner's integration: no browser, no cookies, the key alone
    api.session.headers.pop("Referer")

    log("booking through the API with the key")
    now = datetime.now(UTC).replace(microsecond=0)
    quote = api.request(
        "POST",
        f"{org}/quotes/",
        expect=201,
        json={
            "item": "nemo",
            "version": "25.09",
            "flavor": "b200-x8-metal",
            "instance_count": 1,
            "commitment": "on_demand",
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=24)).isoformat(),
        },
    ).json()
    request_id = f"prod-smoke-{uuid.uuid4().hex[:12]}"
    reservation = api.request(
        "POST",
        f"{org}/reservations/",
        expect=201,
        json={"quote": quote["id"]},
        headers={"X-Request-ID": request_id, "Idempotency-Key": str(uuid.uuid4())},
    ).json()
    booked_at = time.monotonic()
    path = f"{org}/reservations/{reservation['id']}/"

    def state_is(*states: str) -> bool:
        stack.check_alive()
        return api.request("GET", path).json()["state"] in states

    wait_for("the reservation to become active", lambda: state_is("active"), timeout=90)
    figures["booking_to_active_s"] = round(time.monotonic() - booked_at, 1)
    time.sleep(3)  # a few seconds of use to meter
    api.request("POST", f"{path}release/", expect=(200, 202), json={})
    wait_for("the reservation to end", lambda: state_is("ended"), timeout=90)

    log("metering: metering.run sent to the metering queue, as beat does every 5 minutes")
    manage("shell", "-c", "from portal.celery import app; app.send_task('metering.run')")

    def usage_seconds() -> int:
        with psycopg.connect(database_url) as connection:
            row = connection.execute("SELECT coalesce(sum(quantity), 0) FROM metering_usagerecord").fetchone()
        return int(row[0]) if row else 0

    figures["metered_gpu_seconds"] = wait_for("usage records", usage_seconds, timeout=60)

    log("invoicing: run_invoicing --finalize, with its clock two hours ahead (the metered hour has passed)")
    month = datetime.now(ZoneInfo("Europe/Berlin"))
    travelled = (
        "import datetime, time_machine, django; django.setup()\n"
        "from django.core.management import call_command\n"
        "with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2), tick=True):\n"
        f"    call_command('run_invoicing', year={month.year}, month={month.month}, finalize=True,"
        " progress='never')\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", travelled], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode:
        raise SmokeFailure(f"run_invoicing failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    figures["run_invoicing"] = done.stdout.strip().splitlines()[-1]

    invoices = api.request("GET", f"{org}/invoices/").json()["results"]
    (invoice,) = invoices
    pdf_path = f"{org}/invoices/{invoice['id']}/pdf/"

    def pdf() -> requests.Response | None:
        stack.check_alive()
        response = api.request("GET", pdf_path, expect=(200, 404))
        return response if response.status_code == 200 else None

    downloaded = wait_for("the documents worker to store the PDF", pdf, timeout=120, interval=1)
    digest = hashlib.sha256(downloaded.content).hexdigest()
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT file, sha256 FROM billing_invoicefile WHERE invoice_id = %s AND kind = 'pdf'", [invoice["id"]]
        ).fetchone()
    if row is None:
        raise SmokeFailure("no InvoiceFile row for the PDF")
    object_key, row_digest = row
    stored = s3.get_object(Bucket=BUCKET, Key=object_key)
    stored_bytes = stored["Body"].read()
    head = s3.head_object(Bucket=BUCKET, Key=object_key)
    if not (downloaded.content == stored_bytes and digest == row_digest == hashlib.sha256(stored_bytes).hexdigest()):
        raise SmokeFailure(f"the PDF differs: API {digest}, row {row_digest}, bucket {hashlib.sha256(stored_bytes)}")
    if not downloaded.content.startswith(b"%PDF-"):
        raise SmokeFailure("the download is not a PDF")
    if head.get("ObjectLockMode") != "COMPLIANCE" or "ObjectLockRetainUntilDate" not in head:
        raise SmokeFailure(f"the PDF object is not under Object Lock: {head.get('ObjectLockMode')}")
    figures.update(
        invoice_number=invoice["number"],
        invoice_gross=invoice["gross_amount"],
        pdf_bytes=len(stored_bytes),
        pdf_sha256=digest,
        pdf_object=f"s3://{BUCKET}/{object_key}",
        object_lock=f"{head.get('ObjectLockMode')} until {head.get('ObjectLockRetainUntilDate'):%Y-%m-%d}",
    )

    log("scraping /metrics")
    anonymous.request("GET", "/metrics", expect=401)

    def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
        text = anonymous.request("GET", "/metrics", headers={"Authorization": f"Bearer {metrics_token}"}).text
        found = metric_samples(text)
        # Beat's heartbeat task is first due a minute after beat started: its age proves beat and a worker run.
        return found if ("kontor_beat_heartbeat_age_seconds", ()) in found else None

    scraped = wait_for("beat's first heartbeat on /metrics", scrape, timeout=90, interval=2)
    expected = {
        ("kontor_reservations", (("state", "ended"),)): 1.0,
        ("kontor_invoices", (("status", "finalized"),)): 1.0,
        ("kontor_invoice_files_rendered", (("kind", "pdf"),)): 1.0,
        ("kontor_provisioning_stuck", ()): 0.0,
    }
    wrong = {name: (scraped.get(name), value) for name, value in expected.items() if scraped.get(name) != value}
    if wrong:
        raise SmokeFailure(f"/metrics: (found, expected) {wrong}")
    required = [
        "kontor_metering_lag_seconds",
        "kontor_provisioning_seconds_to_active",
        "kontor_celery_queue_depth",
        "kontor_beat_heartbeat_age_seconds",
        "kontor_webhook_deliveries",
        "kontor_http_requests_total",
        "kontor_http_request_duration_seconds_bucket",
        "kontor_db_queries_total",
        "kontor_celery_tasks_total",
        "kontor_celery_task_duration_seconds_bucket",
    ]
    names = {name for name, _ in scraped}
    missing = [name for name in required if name not in names]
    if missing:
        raise SmokeFailure(f"/metrics lacks {missing}")
    for queue_name in QUEUES:
        if ("kontor_celery_queue_depth", (("queue", queue_name),)) not in scraped:
            raise SmokeFailure(f"/metrics has no depth for queue {queue_name}")
    booked = [
        value
        for (name, labels), value in scraped.items()
        if name == "kontor_http_requests_total"
        and dict(labels) == {"route": "reservation-list", "method": "POST", "status": "201"}
    ]
    provisioned = [
        value
        for (name, labels), value in scraped.items()
        if name == "kontor_celery_tasks_total"
        and dict(labels) == {"task": "provisioning.provision_reservation", "outcome": "success"}
    ]
    if booked != [1.0] or not provisioned:
        raise SmokeFailure(f"/metrics: bookings {booked}, provisioning tasks {provisioned}")
    figures["metrics_samples"] = len(scraped)

    log("a provisioning worker's log line carries the booking's request ID")
    carried = []
    for line in stack.log_of("worker-provisioning").splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if entry.get("request_id") == request_id and str(entry.get("task", "")).startswith("provisioning."):
                carried.append(entry)
    if not carried:
        raise SmokeFailure(f"no provisioning log line with request_id {request_id}")
    figures["request_id_log_line"] = json.dumps(carried[0], ensure_ascii=False)[:300]
    figures["run_s"] = round(time.monotonic() - started, 1)
    return figures


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="kontor-prod-smoke-"))
    stack = Stack(workdir=workdir)

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    failure: BaseException | None = None
    figures: dict[str, Any] = {}
    try:
        figures = run(stack)
    except BaseException as error:  # report, stop everything, exit non-zero
        failure = error
    finally:
        log("stopping everything")
        killed = stack.stop()
        leftovers = stack.leftovers()
    if failure is not None:
        print(f"\nprod-smoke FAILED: {failure}", file=sys.stderr)
        for name in stack.processes:
            print(f"\n--- {name} (last lines) ---\n{stack.log_of(name)[-2000:]}", file=sys.stderr)
        print(f"\nlogs: {workdir}\nprod-smoke FAILED: {failure}", file=sys.stderr)  # last too: tests show the tail
        return 1
    if leftovers or killed:
        print(f"prod-smoke FAILED: processes left over {leftovers}, killed {killed}", file=sys.stderr)
        return 1
    for name, value in figures.items():
        print(f"  {name}: {value}")
    print("prod-smoke passed: every process stopped gracefully")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
