"""An OS keyring stand-in that lives in a dict, and a context manager that installs it."""

from __future__ import annotations

import contextlib
from typing import Iterator

import keyring
import keyring.errors
from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    """A keyring backend in a dict (never discovered as a real backend)."""

    priority = 1
    viable = False

    def __init__(self):
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        if self.store.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


@contextlib.contextmanager
def installed(backend: KeyringBackend, monkeypatch) -> Iterator[KeyringBackend]:
    """Use ``backend`` (and switch the keyring on, see conftest) until the block ends."""
    monkeypatch.delenv("MVSTUDIO_KEYRING", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
