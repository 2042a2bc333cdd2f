"""Shared test set-up: headless Qt, isolated user folders, the annotated data beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Settings, recent projects and caches go to a temporary folder, never the user's."""
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("MVSTUDIO_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("MVSTUDIO_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("MVSTUDIO_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("MVSTUDIO_KEYRING", "none")
    for var in ("OPENAI_API_KEY", "REPLICATE_API_TOKEN"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def shared_data() -> Path:
    """The annotated music beside the repo; tests that need it skip where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout (annotated music is not shipped)")
    return SHARED_DATA
