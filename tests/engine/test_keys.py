"""API keys: keyring first, environment fallback, clear refusal without a keyring, no leaks."""

from __future__ import annotations

import logging

import keyring
import keyring.errors
import pytest
from keyring.backends import chainer, fail

from fakes.memory_keyring import MemoryKeyring
from mvstudio.engine import keys
from mvstudio.engine.errors import StoreError
from mvstudio.engine.keys import (KeyringUnavailable, delete_key, get_key, key_source,
                                  keyring_status, mask, set_key)
from mvstudio.engine.model import ClipScript, Plan, Project
from mvstudio.engine.settings import add_recent_project, load_settings, save_settings
from mvstudio.engine.store.project_file import create_project
from mvstudio.engine.userdirs import config_dir

OPENAI = "sk-test-0123456789abcdef9f2c"
REPLICATE = "r8_ABCDEFGHIJKLMNOPQRSTUV42"


class LockedKeyring(MemoryKeyring):
    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")

    set_password = get_password


class EmptyChainer(chainer.ChainerBackend):
    backends = []
    viable = False


@pytest.fixture
def use_backend(monkeypatch):
    """Install a keyring backend for one test (and switch the keyring on), then restore."""
    monkeypatch.delenv("MVSTUDIO_KEYRING")
    previous = keyring.get_keyring()

    def install(backend):
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


@pytest.fixture
def memory(use_backend) -> MemoryKeyring:
    return use_backend(MemoryKeyring())


def test_keys_are_stored_in_the_keyring(memory):
    assert keyring_status()[0]
    set_key("openai", f"  {OPENAI}\n")
    assert memory.store == {("MV Studio", "openai"): OPENAI}
    assert get_key("openai") == OPENAI and key_source("openai") == "keyring"
    assert get_key("replicate") is None and key_source("replicate") is None


def test_environment_is_the_fallback_and_keyring_wins(memory, monkeypatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", REPLICATE)
    assert get_key("replicate") == REPLICATE and key_source("replicate") == "environment"
    set_key("replicate", "r8_from_the_keyring_000000")
    assert get_key("replicate") == "r8_from_the_keyring_000000"
    assert key_source("replicate") == "keyring"
    assert delete_key("replicate") is True
    assert get_key("replicate") == REPLICATE
    assert delete_key("replicate") is False


@pytest.mark.parametrize("backend", [fail.Keyring, EmptyChainer, LockedKeyring])
def test_no_usable_keyring_falls_back_to_environment(use_backend, monkeypatch, backend):
    use_backend(backend())
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI)
    assert get_key("openai") == OPENAI and key_source("openai") == "environment"
    with pytest.raises(KeyringUnavailable) as err:
        set_key("openai", "sk-new-value-1234567890")
    assert "new-value" not in str(err.value)


@pytest.mark.parametrize("backend", [fail.Keyring, EmptyChainer])
def test_no_backend_message(use_backend, backend):
    use_backend(backend())
    usable, description = keyring_status()
    assert not usable and "no keyring backend" in description
    with pytest.raises(KeyringUnavailable) as err:
        set_key("replicate", REPLICATE)
    message = str(err.value)
    assert "keyring" in message and "REPLICATE_API_TOKEN" in message and "\n" not in message


def test_keyring_switched_off_by_environment(monkeypatch):
    # the autouse fixture sets MVSTUDIO_KEYRING=none
    memory = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(memory)
    try:
        memory.set_password("MV Studio", "openai", OPENAI)
        assert keyring_status() == (False, "keyring disabled by MVSTUDIO_KEYRING=none")
        assert get_key("openai") is None
        monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
        assert get_key("openai") == "sk-env"
        with pytest.raises(KeyringUnavailable, match="OPENAI_API_KEY"):
            set_key("openai", OPENAI)
        with pytest.raises(KeyringUnavailable):
            delete_key("openai")
    finally:
        keyring.set_keyring(previous)


def test_unknown_provider_and_empty_key(memory):
    with pytest.raises(ValueError, match="unknown provider"):
        get_key("stability")
    with pytest.raises(ValueError, match="empty"):
        set_key("openai", "   ")


def test_mask():
    assert mask(OPENAI) == "sk-…9f2c"
    assert mask("short-key-12") == "…y-12"
    assert mask("tiny") == "…"
    assert mask("") == "" and mask(None) == ""


def test_keys_are_never_logged(memory, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("REPLICATE_API_TOKEN", REPLICATE)
    set_key("openai", OPENAI)
    get_key("openai"), get_key("replicate"), key_source("openai"), delete_key("openai")
    keyring.set_keyring(LockedKeyring())
    get_key("openai")
    with pytest.raises(KeyringUnavailable):
        set_key("openai", OPENAI)
    assert caplog.records  # the module does log, just never the values
    assert OPENAI not in caplog.text and REPLICATE not in caplog.text


def test_no_key_bytes_reach_the_project_or_settings(memory, monkeypatch, tmp_path):
    set_key("openai", OPENAI)
    monkeypatch.setenv("REPLICATE_API_TOKEN", REPLICATE)
    project = Project("Keys", "prompt", plan=Plan([ClipScript(0, 30, "a clip")]),
                      settings={"planner": "gpt-4o-mini", "providers": ["openai", "replicate"]})
    folder = tmp_path / "Keys.mvstudio"
    with create_project(folder, project) as pf:
        pf.save(project)
        with pytest.raises(StoreError, match="replicate_token"):  # a careless caller is stopped
            pf.save(Project("Keys", settings={"replicate_token": REPLICATE}))
    add_recent_project(folder)
    save_settings(load_settings())
    files = [p for p in [*folder.rglob("*"), *config_dir().rglob("*")] if p.is_file()]
    assert any(p.name == "project.db" for p in files)
    for path in files:
        data = path.read_bytes()
        for secret in (OPENAI, REPLICATE):
            assert secret.encode() not in data, f"{secret[:3]}… leaked into {path.name}"
            assert secret.encode("utf-16-le") not in data


def test_module_keeps_no_copy_of_values(memory):
    set_key("openai", OPENAI)
    assert OPENAI not in repr(vars(keys))
