"""Where FFmpeg lives: the binary shipped by imageio-ffmpeg (no system FFmpeg needed)."""

from __future__ import annotations

import os
from functools import lru_cache

from mvstudio.engine.errors import RenderError


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the FFmpeg executable; ``MVSTUDIO_FFMPEG`` overrides the bundled one."""
    override = os.environ.get("MVSTUDIO_FFMPEG")
    if override:
        return override
    try:
        import imageio_ffmpeg
        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # missing wheel binary, unsupported platform
        raise RenderError(f"FFmpeg is not available: {exc}") from exc
