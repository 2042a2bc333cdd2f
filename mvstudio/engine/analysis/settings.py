"""Analysis settings and their hash: light (no librosa), so a cache lookup starts fast."""

from __future__ import annotations

from dataclasses import dataclass

from mvstudio.engine.hashing import input_hash

DEFAULT_SR = 22050
ANALYSIS_VERSION = 3  # bump when results change for the same input, to invalidate cached analyses


@dataclass(frozen=True)
class AnalysisSettings:
    """User-tunable analysis options (part of the analysis' input hash).

    ``max_clip_s`` is capped by the chosen video model's longest clip (``capped_by``).
    """

    min_clip_s: float = 4.0
    max_clip_s: float = 8.0
    min_clips: int = 3
    sr: int = DEFAULT_SR

    def capped_by(self, model_max_clip_s: float | None) -> "AnalysisSettings":
        """These settings with clips no longer than a video model can make.

        The shortest clip is kept at least a second below the cap (beats come at most about a
        second apart, so a window that narrow can always be met).
        """
        if model_max_clip_s is None or model_max_clip_s >= self.max_clip_s:
            return self
        top = max(float(model_max_clip_s), 1.5)
        return AnalysisSettings(max(0.5, min(self.min_clip_s, top - 1.0)), top, self.min_clips,
                                self.sr)


def settings_hash(settings: AnalysisSettings, fps: int) -> str:
    """Hash of everything besides the audio that decides the analysis result."""
    return input_hash("analysis", ANALYSIS_VERSION, settings, fps)
