"""API keys: the OS keyring (service "MV Studio") first, environment variables as a fallback.

Keys are handed to providers by the caller, never stored in a project or the settings file, and
never logged: show them with ``mask``.  ``MVSTUDIO_KEYRING=none`` switches the keyring off (tests,
headless machines); then only environment variables are read and ``set_key`` refuses.
"""

from __future__ import annotations

import logging
import os
from typing import Literal, Optional

import keyring
import keyring.errors
from keyring.backends import chainer, fail, null

from mvstudio.engine.errors import MVError

log = logging.getLogger(__name__)

SERVICE = "MV Studio"
ENV_VARS = {"openai": "OPENAI_API_KEY", "replicate": "REPLICATE_API_TOKEN"}
LABELS = {"openai": "OpenAI", "replicate": "Replicate"}

Source = Literal["keyring", "environment"]


class KeyringUnavailable(MVError):
    """No usable OS keyring to store a key in."""


def _env_var(provider: str) -> str:
    try:
        return ENV_VARS[provider]
    except KeyError:
        raise ValueError(f"unknown provider {provider!r}; known: {', '.join(ENV_VARS)}") from None


def mask(key: Optional[str]) -> str:
    """A key fit for display: ``sk-…9f2c`` (short keys show less, empty shows nothing)."""
    if not key:
        return ""
    head = key[:3] if len(key) >= 16 else ""
    tail = key[-4:] if len(key) >= 12 else ""
    return f"{head}…{tail}"


def keyring_status() -> tuple[bool, str]:
    """(usable, description) of the keyring backend on this machine."""
    if os.environ.get("MVSTUDIO_KEYRING", "").strip().lower() == "none":
        return False, "keyring disabled by MVSTUDIO_KEYRING=none"
    try:
        backend = keyring.get_keyring()
        if isinstance(backend, (fail.Keyring, null.Keyring)):
            return False, "no keyring backend found"
        if isinstance(backend, chainer.ChainerBackend):
            names = [b.name for b in backend.backends]
            if not names:
                return False, "no keyring backend found"
            return True, ", ".join(names)
        return True, backend.name
    except Exception as err:  # noqa: BLE001 - a broken backend is "not usable", whatever broke
        return False, f"keyring error ({type(err).__name__})"


def _from_keyring(provider: str) -> Optional[str]:
    if not keyring_status()[0]:
        return None
    try:
        return keyring.get_password(SERVICE, provider) or None
    except Exception as err:  # noqa: BLE001 - locked or broken keyring: fall back to environment
        log.warning("keyring lookup for %s failed (%s)", provider, type(err).__name__)
        return None


def _lookup(provider: str) -> tuple[Optional[str], Optional[Source]]:
    env_var = _env_var(provider)
    value = _from_keyring(provider)
    if value:
        return value, "keyring"
    value = os.environ.get(env_var, "").strip()
    return (value, "environment") if value else (None, None)


def get_key(provider: str) -> Optional[str]:
    """The key for ``provider`` ("openai", "replicate"): keyring first, then environment."""
    return _lookup(provider)[0]


def key_source(provider: str) -> Optional[Source]:
    """Where ``get_key`` finds the key: "keyring", "environment" or None."""
    return _lookup(provider)[1]


def _unavailable(provider: str, reason: str, action: str = "store") -> KeyringUnavailable:
    return KeyringUnavailable(
        f"Cannot {action} the {LABELS[provider]} key: no usable OS keyring ({reason}). Install or "
        f"unlock a keyring (GNOME Keyring/KWallet, macOS Keychain, Windows Credential Manager) or "
        f"set the environment variable {ENV_VARS[provider]} instead.")


def set_key(provider: str, value: str) -> None:
    """Store ``value`` in the keyring; raises ``KeyringUnavailable`` when there is none."""
    _env_var(provider)
    value = (value or "").strip()
    if not value:
        raise ValueError("the key is empty")
    usable, reason = keyring_status()
    if not usable:
        raise _unavailable(provider, reason)
    try:
        keyring.set_password(SERVICE, provider, value)
    except Exception as err:  # noqa: BLE001 - message must not carry the value
        raise _unavailable(provider, f"the keyring refused it: {type(err).__name__}") from None
    log.info("stored the %s key in the keyring", provider)


def delete_key(provider: str) -> bool:
    """Remove the stored key; True if one was removed.  Environment variables are untouched."""
    _env_var(provider)
    usable, reason = keyring_status()
    if not usable:
        raise _unavailable(provider, reason, "remove")
    try:
        keyring.delete_password(SERVICE, provider)
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as err:  # noqa: BLE001
        raise _unavailable(provider, f"the keyring refused it: {type(err).__name__}",
                           "remove") from None
    log.info("removed the %s key from the keyring", provider)
    return True
