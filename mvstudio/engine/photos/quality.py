"""How good a photo is for a video frame, offline: sharpness, exposure, resolution, aspect fit.

``measure`` reads a grey copy at ``ANALYSIS_SIDE`` pixels (every photo at the same scale, so the
numbers compare across a library): the variance of its Laplacian (sharpness: blur removes the
fine detail the Laplacian sees), its mean brightness and the shares of crushed blacks and blown
highlights.  ``Quality`` turns those, the photo's size and the project's frame into scores 0-1:

* sharpness: the Laplacian variance on a log scale, ``SOFT``..``CRISP``; a photo far below the
  library's median (``BLUR_SHARE``) or under ``BLURRY`` is flagged blurry;
* exposure: penalised for clipped pixels beyond 2 % and a mean away from mid-grey; flagged dark or
  bright under ``POOR_EXPOSURE``;
* resolution: the frame-aspect crop's width against the frame's (1: no upscaling; a small photo
  only scores lower: a library of small photos must still tell sharp from blurry);
* aspect fit: how much of the photo the frame keeps (a portrait in a 16:9 frame keeps ~42 %).

A flagged photo is chosen only when the library has nothing unflagged left (``selection``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from mvstudio.engine.photos.library import PhotoInfo

ANALYSIS_SIDE = 512
SOFT, CRISP = 15.0, 400.0  # Laplacian variance (grey levels²) scored 0 and 1
BLURRY = 25.0
BLUR_SHARE = 0.25  # flagged blurry under this share of the library's median sharpness
POOR_EXPOSURE = 0.35
LOW_RESOLUTION = 0.5  # said in the reason (the weight already prefers larger photos)
WEIGHTS = {"sharpness": 0.45, "exposure": 0.35, "resolution": 0.1, "aspect": 0.1}
FLAG_PENALTY = 0.5


@dataclass(frozen=True)
class Measures:
    sharpness: float  # variance of the Laplacian at ANALYSIS_SIDE
    mean: float  # 0-1
    dark: float  # share of pixels at or under 2 %
    bright: float  # share at or over 98 %


def analysis_copy(image: Image.Image) -> Image.Image:
    """A grey copy whose longest side is ``ANALYSIS_SIDE``."""
    grey = image.convert("L")
    scale = ANALYSIS_SIDE / max(grey.size)
    size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
    return grey.resize(size, Image.Resampling.BILINEAR)


def measure(grey: Image.Image) -> Measures:
    a = np.asarray(grey, dtype=np.float32)
    lap = a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:] - 4 * a[1:-1, 1:-1]
    return Measures(sharpness=float(lap.var()) if lap.size else 0.0, mean=float(a.mean() / 255),
                    dark=float((a <= 5).mean()), bright=float((a >= 250).mean()))


def exposure_score(mean: float, dark: float, bright: float) -> float:
    clipped = max(0.0, dark + bright - 0.02)
    return max(0.0, 1.0 - 5.0 * clipped) * max(0.0, 1.0 - ((mean - 0.48) / 0.45) ** 2)


def crop_of(width: int, height: int, frame_w: int, frame_h: int) -> tuple[float, float]:
    """The frame-aspect crop of a ``width x height`` photo (its width, and the share kept)."""
    aspect, frame = width / height, frame_w / frame_h
    if aspect > frame:
        return height * frame, frame / aspect
    return float(width), aspect / frame


@dataclass(frozen=True)
class Quality:
    sharpness: float
    exposure: float
    resolution: float
    aspect: float
    flags: tuple[str, ...]  # "blurry", "too dark", "too bright": chosen last

    @property
    def total(self) -> float:
        score = sum(w * getattr(self, name) for name, w in WEIGHTS.items())
        return score * FLAG_PENALTY ** len(self.flags)

    def reason(self) -> str:
        """A few words: what is good or wrong with the photo."""
        if self.flags:
            return ", ".join(self.flags)
        words = ["sharp" if self.sharpness >= 0.6 else "a little soft",
                 "well exposed" if self.exposure >= 0.7 else "exposure fair"]
        if self.resolution < LOW_RESOLUTION:
            words.append("low resolution")
        if self.aspect < 0.7:
            words.append(f"cropped to {self.aspect:.0%}")
        return ", ".join(words)


def quality(photo: "PhotoInfo", frame_w: int, frame_h: int, median_sharpness: float) -> Quality:
    """The scores of ``photo`` in a ``frame_w x frame_h`` video, against its library's median."""
    lo, hi = math.log(SOFT), math.log(CRISP)
    sharp = min(1.0, max(0.0, (math.log(max(photo.sharpness, 1e-6)) - lo) / (hi - lo)))
    exposure = exposure_score(photo.mean, photo.dark, photo.bright)
    crop_w, kept = crop_of(photo.width, photo.height, frame_w, frame_h)
    resolution = min(1.0, crop_w / frame_w)
    flags = []
    if photo.sharpness < max(BLURRY, BLUR_SHARE * median_sharpness):
        flags.append("blurry")
    if exposure < POOR_EXPOSURE:
        flags.append("too dark" if photo.mean < 0.48 else "too bright")
    return Quality(sharp, exposure, resolution, kept, tuple(flags))
