"""User settings: a JSON file in ``config_dir()``.  API keys are never kept here (see ``keys.py``).

Reading is forgiving: a missing, corrupt or partial file gives defaults for whatever cannot be used,
unknown keys are ignored.  Writing is atomic (temporary file, fsync, rename).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mvstudio.engine.analysis.settings import AnalysisSettings
from mvstudio.engine.errors import StoreError
from mvstudio.engine.userdirs import config_dir

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"
MAX_RECENT = 10


@dataclass
class Settings:
    budget_cap_usd: float = 20.0
    concurrency: int = 5
    output_folder: str = ""
    default_image_model: str = "black-forest-labs/flux-schnell"
    default_video_model: str = "bytedance/seedance-1-lite"
    planner_model: str = "gpt-4o-mini"
    min_clip_s: float = 4.0
    max_clip_s: float = 8.0
    theme: str = "dark"
    recent_projects: list[str] = field(default_factory=list)  # most recent first

    def analysis_settings(self) -> AnalysisSettings:
        """The analysis options these settings choose (clip lengths)."""
        return AnalysisSettings(min_clip_s=self.min_clip_s, max_clip_s=self.max_clip_s)


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def _usable(default: Any, value: Any) -> bool:
    """Does ``value`` fit a field whose default is ``default``?"""
    if isinstance(value, bool) or value is None:
        return isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and value >= 0
    if isinstance(default, int):
        return isinstance(value, int) and value >= 1
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, type(default))


def _recent(paths: list[str], prune_missing: bool) -> list[str]:
    """De-duplicated, capped, optionally without folders that no longer exist."""
    out: list[str] = []
    for p in paths:
        if p and p not in out and (not prune_missing or Path(p).exists()):
            out.append(p)
    return out[:MAX_RECENT]


def load_settings() -> Settings:
    """The saved settings; defaults for anything missing or unusable."""
    defaults = Settings()
    try:
        data = json.loads(settings_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    except (OSError, ValueError) as err:
        log.warning("settings file unreadable, using defaults: %s", err)
        data = {}
    if not isinstance(data, dict):
        data = {}
    values = {f.name: data[f.name] for f in dataclasses.fields(Settings)
              if f.name in data and _usable(getattr(defaults, f.name), data[f.name])}
    settings = Settings(**values)
    if settings.min_clip_s > settings.max_clip_s:
        settings.min_clip_s, settings.max_clip_s = defaults.min_clip_s, defaults.max_clip_s
    settings.recent_projects = _recent(settings.recent_projects, prune_missing=True)
    return settings


def save_settings(settings: Settings) -> None:
    """Write ``settings`` atomically."""
    data = dataclasses.asdict(settings)
    data["recent_projects"] = _recent([str(p) for p in settings.recent_projects], False)
    target = settings_path()
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".settings-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise StoreError(f"cannot save settings to '{target}': {err.strerror or err}") from None


def add_recent_project(path: str | Path) -> Settings:
    """Put ``path`` first in the recent projects (saved); return the updated settings."""
    settings = load_settings()
    entry = str(Path(path).expanduser().resolve())
    settings.recent_projects = _recent([entry, *settings.recent_projects], prune_missing=False)
    save_settings(settings)
    return settings
