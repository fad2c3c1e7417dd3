"""A mail backend that fails like a mail server that is down, then recovers: Django's in-memory backend behind a
counter of refusals."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Sequence
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend


class FlakyBackend(EmailBackend):
    """Refuses the next ``failures_left`` sends with the error an unreachable SMTP server gives, then delivers to
    ``django.core.mail.outbox``. Tests set ``FlakyBackend.failures_left``."""

    failures_left = 0
    refused = 0

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        if FlakyBackend.failures_left > 0:
            FlakyBackend.failures_left -= 1
            FlakyBackend.refused += 1
            raise smtplib.SMTPConnectError(421, "mail.kontor.example: service not available")
        return super().send_messages(messages)

    @classmethod
    def reset(cls, failures: int) -> None:
        cls.failures_left, cls.refused = failures, 0


def flaky(settings: Any, failures: int) -> type[FlakyBackend]:
    settings.EMAIL_BACKEND = "tests.support.mail.FlakyBackend"
    FlakyBackend.reset(failures)
    return FlakyBackend


class CountingBackend(EmailBackend):
    """Django's in-memory backend that counts the connections made (``get_connection`` builds one backend each)."""

    connections = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        CountingBackend.connections += 1


class SlowBackend(EmailBackend):
    """Django's in-memory backend that takes ``seconds`` per message, like a mail server at a distance: two drains
    racing then hold their batches at the same time."""

    seconds = 0.02

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        time.sleep(SlowBackend.seconds * len(messages))
        return super().send_messages(messages)
