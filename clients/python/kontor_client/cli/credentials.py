"""Where ``kontor login`` keeps the API key: the OS keyring when one is available (the ``keyring`` package and a
working backend), else a 0600 file ``$XDG_CONFIG_HOME/kontor/config.json`` (``~/.config`` without XDG). The file
always holds the base URL and the organization; ``KONTOR_API_KEY``, ``KONTOR_BASE_URL`` and
``KONTOR_ORGANIZATION`` override what is stored (for CI)."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEYRING_SERVICE = "kontor"


@dataclass(frozen=True)
class Profile:
    base_url: str
    organization: str
    api_key: str


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kontor" / "config.json"


def _keyring() -> Any | None:
    """The keyring module if it can store secrets here; None when absent or when only the fail backend is found."""
    try:
        import keyring
        from keyring.backends.fail import Keyring as FailKeyring
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken backend configuration counts as no keyring
        return None
    if isinstance(backend, FailKeyring) or getattr(backend, "priority", 0) <= 0:
        return None
    return keyring


def _write_private(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when the file existed with wider permissions
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")


def save(profile: Profile) -> str:
    """Store the profile; returns where the key went (``"keyring"`` or the file's path)."""
    data: dict[str, Any] = {"base_url": profile.base_url, "organization": profile.organization}
    keyring = _keyring()
    stored = False
    if keyring is not None:
        try:
            keyring.set_password(KEYRING_SERVICE, f"{profile.base_url}#{profile.organization}", profile.api_key)
            stored = True
        except Exception:  # locked or unavailable keyring: fall back to the private file
            stored = False
    if stored:
        data["key_in_keyring"] = True
    else:
        data["api_key"] = profile.api_key
    path = config_path()
    _write_private(path, data)
    return "keyring" if stored else str(path)


def load() -> Profile | None:
    """The stored profile with environment overrides, or None when there is no key."""
    path = config_path()
    stored: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    base_url = os.environ.get("KONTOR_BASE_URL") or stored.get("base_url") or ""
    organization = os.environ.get("KONTOR_ORGANIZATION") or stored.get("organization") or ""
    api_key = os.environ.get("KONTOR_API_KEY") or stored.get("api_key") or ""
    if not api_key and stored.get("key_in_keyring"):
        keyring = _keyring()
        if keyring is not None:
            api_key = keyring.get_password(KEYRING_SERVICE, f"{stored.get('base_url')}#{stored.get('organization')}")
    if not (base_url and organization and api_key):
        return None
    return Profile(base_url=base_url, organization=organization, api_key=api_key)


def forget() -> None:
    path = config_path()
    if not path.exists():
        return
    stored = json.loads(path.read_text(encoding="utf-8"))
    keyring = _keyring()
    if stored.get("key_in_keyring") and keyring is not None:
        with contextlib.suppress(Exception):  # already gone, or the keyring is locked: the file goes anyway
            keyring.delete_password(KEYRING_SERVICE, f"{stored.get('base_url')}#{stored.get('organization')}")
    path.unlink()
