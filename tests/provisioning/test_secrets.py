"""Secrets at rest: Fernet round trip, key rotation, tampering refused."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from core.secrets import SecretDecryptionError, decrypt_secret, development_key, encrypt_secret, rotate_secret

NGC = "nvapi-0123456789abcdefSECRET"
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_round_trip_does_not_store_the_plaintext(settings: Any) -> None:
    settings.KONTOR_SECRET_KEYS = [NEW]

    token = encrypt_secret(NGC)

    assert NGC not in token
    assert decrypt_secret(token) == NGC
    assert encrypt_secret(NGC) != token  # a fresh IV every time


def test_rotation_the_first_key_encrypts_and_every_key_decrypts(settings: Any) -> None:
    settings.KONTOR_SECRET_KEYS = [OLD]
    old_token = encrypt_secret(NGC)

    settings.KONTOR_SECRET_KEYS = [NEW, OLD]
    new_token = encrypt_secret(NGC)
    rotated = rotate_secret(old_token)

    assert decrypt_secret(old_token) == NGC
    assert Fernet(NEW.encode()).decrypt(new_token.encode()).decode() == NGC
    assert Fernet(NEW.encode()).decrypt(rotated.encode()).decode() == NGC

    settings.KONTOR_SECRET_KEYS = [NEW]
    assert decrypt_secret(rotated) == NGC
    with pytest.raises(SecretDecryptionError, match="no longer configured in KONTOR_SECRET_KEYS"):
        decrypt_secret(old_token)


def test_a_tampered_token_is_refused(settings: Any) -> None:
    settings.KONTOR_SECRET_KEYS = [NEW]
    token = encrypt_secret(NGC)
    flipped = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]

    with pytest.raises(SecretDecryptionError, match="the secret cannot be decrypted: it was tampered with"):
        decrypt_secret(flipped)
    with pytest.raises(SecretDecryptionError):
        decrypt_secret("not a token at all ✗")


def test_the_development_key_is_derived_from_secret_key(settings: Any) -> None:
    settings.KONTOR_SECRET_KEYS = []
    settings.SECRET_KEY = "one-development-secret-key-that-is-long-enough-0123456789"
    first = development_key()
    token = encrypt_secret(NGC)

    assert development_key() == first
    assert Fernet(first.encode()).decrypt(token.encode()).decode() == NGC
    settings.SECRET_KEY = "another-development-secret-key-that-is-long-enough-012345"
    assert development_key() != first
    with pytest.raises(SecretDecryptionError):
        decrypt_secret(token)


def test_an_invalid_key_is_a_configuration_error_that_does_not_echo_it(settings: Any) -> None:
    settings.KONTOR_SECRET_KEYS = ["not-a-fernet-key"]

    with pytest.raises(
        ImproperlyConfigured, match="KONTOR_SECRET_KEYS holds a key that is not a valid Fernet key"
    ) as error:
        encrypt_secret(NGC)
    assert "not-a-fernet-key" not in str(error.value)
