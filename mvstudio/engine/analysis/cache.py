"""Analysis results cached on disk by content: the audio's SHA-256 plus the settings hash.

Entries are JSON files (``codec``) under ``userdirs.cache_dir() / "analysis"``, named
``<audio hash>-<key hash>.json``; they are written to a temporary file and renamed, so a reader
never sees half an entry.  A damaged or unreadable entry is a miss, never an error.  This module
imports no signal-processing code, so a cache hit does not pay for loading librosa.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Optional

from mvstudio.engine.codec import from_dict, to_dict
from mvstudio.engine.model import Analysis, LyricLine

FOLDER = "analysis"
ENTRY = "analysis2"  # bumped when Analysis gains a field: older entries are misses


def _default_folder() -> Path:
    from mvstudio.engine.userdirs import cache_dir

    return cache_dir() / FOLDER


class AnalysisCache:
    """Analyses and lyrics of songs, keyed by content (see module doc)."""

    def __init__(self, folder: Optional[Path] = None):
        self.folder = Path(folder) if folder is not None else _default_folder()

    def _path(self, kind: str, audio_hash: str, key: str) -> Path:
        return self.folder / f"{audio_hash}-{kind}-{key[:16]}.json"

    def _read(self, path: Path) -> Optional[Any]:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _write(self, path: Path, data: Any) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, separators=(",", ":"))
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs a recomputation

    # ------------------------------------------------------------------ analyses

    def get(self, audio_hash: str, settings_hash: str) -> Optional[Analysis]:
        """The cached analysis of this audio with these settings, or None."""
        data = self._read(self._path(ENTRY, audio_hash, settings_hash))
        if not isinstance(data, dict):
            return None
        try:
            analysis = from_dict(Analysis, data)
        except (TypeError, KeyError, ValueError):
            return None
        if analysis.audio_hash != audio_hash or analysis.settings_hash != settings_hash:
            return None
        return analysis

    def put(self, analysis: Analysis) -> None:
        """Store ``analysis`` (without lyrics or corrections: those are kept elsewhere)."""
        if not analysis.audio_hash or not analysis.settings_hash or analysis.corrections_hash:
            return
        data = to_dict(analysis)
        data["lyrics"], data["transcript"] = [], None
        self._write(self._path(ENTRY, analysis.audio_hash, analysis.settings_hash), data)

    # ------------------------------------------------------------------ lyrics

    def get_lyrics(self, audio_hash: str, key: str) -> Optional[list[LyricLine]]:
        """Cached lyrics of this audio for ``key`` (transcriber fingerprint + pasted text hash)."""
        data = self._read(self._path("lyrics", audio_hash, key))
        if not isinstance(data, list):
            return None
        try:
            return [from_dict(LyricLine, line) for line in data]
        except (TypeError, KeyError, ValueError):
            return None

    def put_lyrics(self, audio_hash: str, key: str, lines: list[LyricLine]) -> None:
        self._write(self._path("lyrics", audio_hash, key), to_dict(lines))


def analyze_cached(path: str | Path, fps: int, settings: Any = None, sink: Any = None,
                   cancel: Any = None, cache: Optional[AnalysisCache] = None
                   ) -> tuple[Analysis, bool]:
    """``(analysis, cache_hit)``: the cached analysis of the song at ``path``, else a fresh one.

    A fresh analysis is stored for next time.  Only a miss imports the signal-processing code.
    """
    from mvstudio.engine.analysis.settings import AnalysisSettings, settings_hash
    from mvstudio.engine.hashing import file_hash

    settings = settings or AnalysisSettings()
    cache = cache or AnalysisCache()
    try:
        found = cache.get(file_hash(path), settings_hash(settings, fps))
    except OSError:
        found = None  # analyze() reports the unreadable file in one line
    if found is not None:
        found.settings = settings  # what the hash stands for (entries from before it was kept)
        return found, True
    from mvstudio.engine.analysis.analyze import analyze
    from mvstudio.engine.events import null_sink

    analysis = analyze(path, fps, settings, sink or null_sink, cancel)
    cache.put(analysis)
    return analysis, False
