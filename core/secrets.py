"""Secrets at rest (organizations' NGC API keys): Fernet tokens under ``settings.KONTOR_SECRET_KEYS``.

The first key encrypts, every key decrypts, so keys rotate without downtime: put the new key first, re-encrypt the
stored tokens (``rotate_secret``), then drop the old key. With no keys configured, one key is derived from
``SECRET_KEY`` with HKDF-SHA256 — for development only: production must set ``KONTOR_SECRET_KEYS`` to real keys
made with ``cryptography.fernet.Fernet.generate_key()``, kept apart from ``SECRET_KEY``.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_KEY_INFO = b"kontor secrets at rest, development key"


class SecretDecryptionError(ValueError):
    """A token cannot be decrypted: it was tampered with, or no configured key encrypted it."""


def encrypt_secret(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise SecretDecryptionError(
            "the secret cannot be decrypted: it was tampered with or encrypted with a key that is no longer "
            "configured in KONTOR_SECRET_KEYS"
        ) from exc


def rotate_secret(token: str) -> str:
    """The same secret encrypted with the current first key (for re-encrypting after a key rotation)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise SecretDecryptionError("the secret cannot be decrypted, so it cannot be rotated") from exc


def development_key() -> str:
    """The key derived from ``SECRET_KEY`` when ``KONTOR_SECRET_KEYS`` is empty."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DEVELOPMENT_KEY_INFO).derive(
        settings.SECRET_KEY.encode()
    )
    return base64.urlsafe_b64encode(derived).decode("ascii")


def _fernet() -> MultiFernet:
    keys = [key.strip() for key in settings.KONTOR_SECRET_KEYS if key.strip()] or [development_key()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:  # do not echo the key
        raise ImproperlyConfigured("KONTOR_SECRET_KEYS holds a key that is not a valid Fernet key") from exc
