"""User folders and settings: overrides, forgiving reads, atomic writes, recent projects."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile

import pytest

from mvstudio.engine import userdirs
from mvstudio.engine.errors import StoreError
from mvstudio.engine.settings import (MAX_RECENT, Settings, add_recent_project, load_settings,
                                      save_settings, settings_path)


def test_user_dirs_follow_the_environment_and_are_created(tmp_path, monkeypatch):
    for fn, var in ((userdirs.config_dir, "MVSTUDIO_CONFIG_DIR"),
                    (userdirs.cache_dir, "MVSTUDIO_CACHE_DIR"),
                    (userdirs.data_dir, "MVSTUDIO_DATA_DIR")):
        target = tmp_path / var / "nested"
        monkeypatch.setenv(var, str(target))
        assert fn() == target and target.is_dir()


def test_user_dirs_default_to_platformdirs(tmp_path, monkeypatch):
    monkeypatch.delenv("MVSTUDIO_CACHE_DIR")
    monkeypatch.setattr(userdirs.platformdirs, "user_cache_dir",
                        lambda app, appauthor: str(tmp_path / app))
    assert userdirs.cache_dir() == tmp_path / "MV Studio"


def test_check_writable(tmp_path, monkeypatch):
    assert userdirs.check_writable(tmp_path) is None
    assert userdirs.check_writable(tmp_path / "not" / "yet") is None
    (tmp_path / "file").write_text("x")
    assert "is not a folder" in userdirs.check_writable(tmp_path / "file" / "sub")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", denied)
    assert "Permission denied" in userdirs.check_writable(tmp_path)


def test_defaults_without_a_file():
    assert load_settings() == Settings()
    assert Settings().budget_cap_usd == 20.0 and Settings().concurrency == 5


def test_round_trip(tmp_path):
    project = tmp_path / "A.mvstudio"
    project.mkdir()
    settings = Settings(budget_cap_usd=7.5, concurrency=2, output_folder=str(tmp_path),
                        planner_model="gpt-4o", min_clip_s=3, max_clip_s=6.0, theme="light",
                        recent_projects=[str(project)])
    save_settings(settings)
    assert load_settings() == settings


@pytest.mark.parametrize("content", [b"{not json", os.urandom(64), b"[1, 2]", b"", b"null"])
def test_corrupt_file_gives_defaults(content):
    settings_path().write_bytes(content)
    assert load_settings() == Settings()


def test_partial_file_keeps_good_values_and_ignores_the_rest():
    settings_path().write_text(json.dumps({
        "concurrency": 3, "theme": "light", "budget_cap_usd": "lots", "max_clip_s": -1,
        "recent_projects": "not a list", "bogus": 1, "openai_api_key": "sk-x"}))
    assert load_settings() == Settings(concurrency=3, theme="light")


def test_inverted_clip_lengths_fall_back_to_defaults():
    settings_path().write_text(json.dumps({"min_clip_s": 9.0, "max_clip_s": 5.0}))
    s = load_settings()
    assert (s.min_clip_s, s.max_clip_s) == (4.0, 8.0)


def test_recent_projects_order_dedupe_cap_and_prune(tmp_path):
    folders = [tmp_path / f"P{i}.mvstudio" for i in range(MAX_RECENT + 3)]
    for f in folders:
        f.mkdir()
        add_recent_project(f)
    recent = load_settings().recent_projects
    assert recent == [str(f) for f in reversed(folders)][:MAX_RECENT]
    add_recent_project(folders[5])
    recent = load_settings().recent_projects
    assert recent[0] == str(folders[5]) and len(recent) == MAX_RECENT == len(set(recent))
    folders[-1].rmdir()
    assert str(folders[-1]) not in load_settings().recent_projects


def test_failed_write_keeps_the_old_file(monkeypatch):
    save_settings(Settings(theme="light"))
    before = settings_path().read_bytes()

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(StoreError, match="settings"):
        save_settings(Settings(theme="dark"))
    assert settings_path().read_bytes() == before
    assert [p.name for p in settings_path().parent.iterdir()] == ["settings.json"]


def test_settings_have_no_place_for_secrets():
    names = [f.name for f in dataclasses.fields(Settings)]
    assert not [n for n in names if any(w in n for w in ("key", "token", "secret", "password"))]
