"""Real SSH keys for tests, made with ``cryptography`` once per session."""

from __future__ import annotations

from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from tenants.ssh_keys import parse_ssh_public_key


def _openssh(key: object, comment: str) -> str:
    public = key.public_key()  # type: ignore[attr-defined]
    line = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{line} {comment}".strip()


@cache
def ed25519_key(comment: str = "ada@laptop") -> str:
    return _openssh(ed25519.Ed25519PrivateKey.generate(), comment)


@cache
def ecdsa_key(comment: str = "grace@laptop") -> str:
    return _openssh(ec.generate_private_key(ec.SECP384R1()), comment)


@cache
def rsa_key(bits: int = 3072, comment: str = "linus@laptop") -> str:
    return _openssh(rsa.generate_private_key(public_exponent=65537, key_size=bits), comment)


@cache
def dsa_key() -> str:
    return _openssh(dsa.generate_private_key(key_size=1024), "old@box")


@cache
def private_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()


def fingerprint(public_key: str) -> str:
    return parse_ssh_public_key(public_key).fingerprint
