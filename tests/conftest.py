from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from django.test import Client
from rest_framework.test import APIClient

from tenants.choices import Role
from tenants.models import Organization, User
from tests.factories import MembershipFactory, OperatorFactory, OrganizationFactory

# Every e-mail any test puts into the outbox, for tests/tenants/test_email_links.py (run last, see below): the rows
# themselves are rolled back with each test, so what was sent is kept here.
SENT_EMAILS: list[tuple[str, str, str, str]] = []  # (site URL then, template, body, html body)


def _collect_email(sender: object, instance: object, created: bool, **kwargs: object) -> None:
    from django.conf import settings

    if created:
        email: Any = instance
        SENT_EMAILS.append((settings.SITE_URL, email.template, email.body, email.html_body))


def pytest_sessionstart(session: pytest.Session) -> None:
    from django.db.models.query import QuerySet
    from django.db.models.signals import post_save

    from tenants.models import OutgoingEmail

    post_save.connect(_collect_email, sender=OutgoingEmail, dispatch_uid="tests-collect-emails")
    # The notice drain writes its e-mails in one INSERT (``tenants.mail.emails_write``), which sends no post_save:
    # kept here too, after the real bulk_create ran.
    bulk_create = QuerySet.bulk_create

    def bulk_create_collecting(self: QuerySet[Any], objs: Any, *args: Any, **kwargs: Any) -> Any:
        created = bulk_create(self, objs, *args, **kwargs)
        if self.model is OutgoingEmail:
            for email in created:
                _collect_email(OutgoingEmail, email, created=True)
        return created

    QuerySet.bulk_create = bulk_create_collecting  # type: ignore[method-assign]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``after_all_emails`` run last, when every other test has sent its e-mails."""
    items.sort(key=lambda item: item.get_closest_marker("after_all_emails") is not None)


@pytest.fixture(autouse=True)
def language_reset() -> Iterator[None]:
    """Every test starts and ends in the default language: a request in German (``Accept-Language: de``) leaves
    German active in the thread after the response, and a later test's refusal messages would be German."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


def _applied_here(monkeypatch: pytest.MonkeyPatch, task: Any) -> None:
    def apply_here(args: tuple[object, ...] | None = None, kwargs: dict[str, object] | None = None, **options: object):
        return task.apply(args=args, kwargs=kwargs)

    monkeypatch.setattr(task, "apply_async", apply_here)


@pytest.fixture(autouse=True)
def emails_sent_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The outbox's sending drain and the retrying send task run in the test's own process, with Celery's retries
    (countdowns not waited for), when they are enqueued after a commit; tests then read Django's ``mailoutbox``.
    Real workers consume the broker in the worker tests."""
    from tenants.tasks import send_email_task, send_pending_emails_task

    _applied_here(monkeypatch, send_email_task)
    _applied_here(monkeypatch, send_pending_emails_task)


@pytest.fixture(autouse=True)
def reservation_notices_written_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Likewise the drain that renders reservations' lifecycle e-mails into the outbox after the commit (and the
    task of one notice that messages queued before the drain still name)."""
    from reservations.tasks import write_notice_task, write_pending_notices_task

    _applied_here(monkeypatch, write_pending_notices_task)
    _applied_here(monkeypatch, write_notice_task)


@pytest.fixture(autouse=True)
def drain_flags_cleared() -> Iterator[None]:
    """No drain flag (``core.tasks.enqueue_drain``) left in Redis by an earlier test: the rows behind it were rolled
    back, and a flag left set would keep this test's writers from publishing their drain."""
    from django.core.cache import cache

    def clear() -> None:
        client = cache._cache.get_client(None, write=True)  # type: ignore[attr-defined]
        keys = list(client.scan_iter("*:kontor:drain:*"))
        if keys:
            client.delete(*keys)

    clear()
    yield
    clear()


@pytest.fixture
def organization() -> Organization:
    return OrganizationFactory.create(legal_name="Rheinwerk Robotics GmbH", slug="rheinwerk")


@pytest.fixture
def other_organization() -> Organization:
    return OrganizationFactory.create(legal_name="Delft Digital Twins B.V.", slug="delft", country="NL")


@pytest.fixture
def member_of() -> Callable[[Organization, Role], User]:
    """A new user with ``role`` in ``organization``."""

    def make(organization: Organization, role: Role = Role.OWNER) -> User:
        return MembershipFactory.create(organization=organization, role=role).user

    return make


@pytest.fixture
def owner(organization: Organization, member_of: Callable[[Organization, Role], User]) -> User:
    return member_of(organization, Role.OWNER)


@pytest.fixture
def operator() -> User:
    return OperatorFactory.create(email="operator@kontor.example")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def client_for(api_client: APIClient) -> Callable[[User], APIClient]:
    def login(user: User) -> APIClient:
        api_client.force_authenticate(user=None)
        api_client.force_login(user)
        return api_client

    return login


@pytest.fixture
def console_client(client: Client, operator: User) -> Client:
    """A browser session of an operator who signed in with a password and a second factor."""
    client.force_login(operator)
    session = client.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": operator.email},
        {"method": "mfa", "at": now, "id": 1, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(operator.pk)  # allauth binds the records to the user
    session.save()
    return client


@pytest.fixture
def fresh_rate_limits() -> Iterator[None]:
    """No rate-limit counts (core.ratelimit) or allauth limits left in the cache by earlier tests or runs."""
    from django.core.cache import cache

    def clear() -> None:
        client = cache._cache.get_client(None, write=True)  # type: ignore[attr-defined]
        for pattern in ("*:kontor:rl:*", "*:allauth:rl:*"):
            keys = list(client.scan_iter(pattern))
            if keys:
                client.delete(*keys)

    clear()
    yield
    clear()


@pytest.fixture(autouse=True)
def pool_reads_forgotten() -> None:
    """No pool read kept by this process from an earlier test (``reservations.timeline.BUSY_CACHE``): its rows were
    rolled back, and what a booking or an answer reads depends on whether the process keeps any."""
    from reservations.timeline import BUSY_CACHE

    BUSY_CACHE.clear()
