"""Parsing and checking OpenSSH public keys (pure: no database).

Accepted: ``ssh-ed25519``, ``ecdsa-sha2-nistp256/384/521`` and ``ssh-rsa`` of at least 3,072 bits, one key on one
line, optionally followed by a plain comment. Refused with the reason: other key types (DSA, FIDO ``sk-`` keys),
short RSA keys, ``authorized_keys`` options in front of the key (``command="..."``, ``from=...``), a comment that
carries shell syntax, several keys, and a private key pasted by mistake — the warning never repeats any of it.

The key is parsed with ``cryptography`` (not by prefix), so a truncated or corrupted blob is refused too. The
fingerprint is OpenSSH's: ``SHA256:`` and the unpadded base64 of the SHA-256 of the key blob.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.utils.translation import gettext as _

MIN_RSA_BITS = 3072
MAX_KEY_LENGTH = 16_000
SUPPORTED_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa")
# What a comment may hold: the user@host and labels people write there, never shell syntax.
COMMENT = re.compile(r"[\w .@+:,=/()\[\]-]{0,200}")
PRIVATE_MARKERS = ("PRIVATE KEY", "PuTTY-User-Key-File", "BEGIN OPENSSH")


class SshKeyError(ValueError):
    """The text is not an acceptable public key; ``code`` names the reason, the message explains it."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ParsedSshKey:
    key_type: str
    bits: int
    public_key: str  # canonical "type base64" (no comment)
    comment: str
    fingerprint: str  # SHA256:...

    @property
    def line(self) -> str:
        """What goes into ``authorized_keys``: the key and its comment."""
        return f"{self.public_key} {self.comment}".strip()


def fingerprint_of(blob: bytes) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")


def parse_ssh_public_key(text: str) -> ParsedSshKey:
    """The key in ``text``, or ``SshKeyError`` with the reason it is refused."""
    if any(marker in text for marker in PRIVATE_MARKERS):
        raise SshKeyError(
            _(
                "This is a private key. Never paste a private key anywhere: paste the public key (the .pub file) "
                "instead. Nothing was stored."
            ),
            code="private_key",
        )
    stripped = text.strip()
    if not stripped:
        raise SshKeyError(_("Paste an OpenSSH public key."), code="empty")
    if len(stripped) > MAX_KEY_LENGTH:
        raise SshKeyError(_("This is too long for an SSH public key."), code="too_long")
    if any(character in stripped for character in "\r\n\0"):
        raise SshKeyError(_("Paste one public key on one line."), code="several_lines")
    parts = stripped.split(None, 2)
    key_type = parts[0]
    if key_type not in SUPPORTED_TYPES:
        if "=" in key_type or '"' in key_type or (len(parts) > 1 and parts[1] in SUPPORTED_TYPES):
            raise SshKeyError(
                _("Remove the options in front of the key (such as command= or from=): they are not allowed."),
                code="options",
            )
        raise SshKeyError(
            _("Keys of type %(type)s are not supported; use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa.")
            % {"type": key_type[:40]},
            code="unsupported_type",
        )
    if len(parts) < 2:
        raise SshKeyError(_("The key's data is missing after %(type)s.") % {"type": key_type}, code="malformed")
    comment = parts[2] if len(parts) > 2 else ""
    if not COMMENT.fullmatch(comment):
        raise SshKeyError(
            _("The text after the key looks like a command or holds characters a comment may not: remove it."),
            code="trailing_command",
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
        key = serialization.load_ssh_public_key(f"{key_type} {parts[1]}".encode("ascii"))
    except (ValueError, UnsupportedAlgorithm, UnicodeEncodeError):
        raise SshKeyError(_("The key's data is damaged or incomplete."), code="malformed") from None
    if isinstance(key, rsa.RSAPublicKey):
        bits = key.key_size
        if bits < MIN_RSA_BITS:
            raise SshKeyError(
                _("This RSA key has %(bits)s bits; at least %(min)s are needed (or use ssh-ed25519).")
                % {"bits": bits, "min": MIN_RSA_BITS},
                code="too_short",
            )
    elif isinstance(key, ec.EllipticCurvePublicKey):
        bits = key.curve.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey):
        bits = 256
    else:  # pragma: no cover - the type check above admits only the three families
        raise SshKeyError(_("This key type is not supported."), code="unsupported_type")
    canonical = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode("ascii")
    return ParsedSshKey(
        key_type=key_type, bits=bits, public_key=canonical, comment=comment, fingerprint=fingerprint_of(blob)
    )
