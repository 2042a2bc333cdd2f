"""How a render looks: aspect preset, crop-or-pad, quality, audio fades, preview, captions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from mvstudio.engine.errors import InputError

ASPECTS = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080)}
FITS = ("crop", "pad")  # crop: fill and centre-crop; pad: fit inside, black bars
CAPTIONS = ("off", "sidecar", "burn")  # sidecar: SRT/VTT beside a render with lyrics; burn: drawn too
PREVIEW_SHORT_SIDE = 360  # a preview is at most 640x360 (16:9), 360x640, 360x360
PREVIEW_PRESET = "veryfast"


@dataclass(frozen=True)
class RenderOptions:
    """The output's format; the defaults render at the project size as before."""

    aspect: Optional[str] = None  # a key of ASPECTS, or None for the project size
    fit: str = "crop"
    crf: int = 20
    preset: str = "medium"
    audio_fade: float = 0.0  # seconds of fade in and out
    preview: bool = False  # low resolution and a faster preset, for the app's player
    captions: str = "sidecar"

    def check(self) -> "RenderOptions":
        """``self``, or ``InputError`` naming the first bad value."""
        if self.aspect is not None and self.aspect not in ASPECTS:
            raise InputError(f"aspect must be one of {', '.join(ASPECTS)}, got {self.aspect!r}")
        if self.fit not in FITS:
            raise InputError(f"fit must be crop or pad, got {self.fit!r}")
        if not 0 <= self.crf <= 51:
            raise InputError(f"quality (CRF) must be between 0 and 51, got {self.crf}")
        if not 0 <= self.audio_fade <= 60:
            raise InputError(f"audio fade must be between 0 and 60 seconds, got {self.audio_fade}")
        if self.captions not in CAPTIONS:
            raise InputError(f"captions must be off, sidecar or burn, got {self.captions!r}")
        return self

    def size(self, width: int, height: int) -> tuple[int, int]:
        """Output size: the aspect preset's or the project's, scaled down for a preview."""
        width, height = ASPECTS.get(self.aspect, (width, height))
        scale = PREVIEW_SHORT_SIDE / min(width, height) if self.preview else 1.0
        if scale >= 1:
            return width, height
        return 2 * max(8, round(width * scale / 2)), 2 * max(8, round(height * scale / 2))

    @property
    def x264_preset(self) -> str:
        return PREVIEW_PRESET if self.preview else self.preset
