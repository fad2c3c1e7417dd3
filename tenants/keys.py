"""API key tokens: ``ktr_<prefix>_<secret>``; only the SHA-256 of the secret is stored."""

from __future__ import annotations

import hashlib

KEY_PREFIX = "ktr_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
