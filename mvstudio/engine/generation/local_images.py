"""The offline still maker: an abstract, layered landscape painted from a seed and a palette.

Deterministic: the same request gives the same pixels.  Pictures are painted a little larger than
the output so that the clip maker can pan and zoom without upscaling.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Optional

import numpy as np
from PIL import Image

from mvstudio.engine.events import CancelToken
from mvstudio.engine.generation.protocols import Generated, ImageRequest

OVERSCAN = 1.2  # stills are painted this much larger than the output frame


def overscan_size(width: int, height: int) -> tuple[int, int]:
    """A still's size (even) for a ``width x height`` frame."""
    return round(width * OVERSCAN / 2) * 2, round(height * OVERSCAN / 2) * 2
DEFAULT_PALETTE = ("#1D3557", "#457B9D", "#A8DADC", "#F1FAEE", "#E63946")


def _rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    if len(h) != 6:
        raise ValueError(f"not a hex colour: {hex_colour}")
    return np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)], dtype=np.float32) / 255.0


def _luma(c: np.ndarray) -> float:
    return float(c @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32))


def _ridge(rng: np.random.Generator, width: int, base: float, amp: float) -> np.ndarray:
    """A smooth random skyline (fraction of height per column) from a few sine octaves."""
    x = np.linspace(0, 1, width, dtype=np.float32)
    y = np.full(width, base, dtype=np.float32)
    for octave in range(1, 5):
        freq = rng.uniform(1.0, 2.5) * 2 ** octave
        y += amp / octave ** 1.6 * np.sin(2 * np.pi * (freq * x + rng.uniform(0, 1)))
    return y


GRAIN_TILE = 256  # film grain is a tiled patch: as good to the eye, far cheaper than per pixel


def _grain(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Fine noise over the whole picture, from one random tile repeated."""
    tile = rng.normal(0, 0.012, (GRAIN_TILE, GRAIN_TILE, 3)).astype(np.float32)
    reps = (-(-height // GRAIN_TILE), -(-width // GRAIN_TILE), 1)
    return np.tile(tile, reps)[:height, :width]


def paint_still(palette: tuple[str, ...], seed: int, width: int, height: int) -> np.ndarray:
    """An RGB uint8 picture (height x width x 3)."""
    rng = np.random.default_rng(seed)
    colours = sorted((_rgb(c) for c in (palette or DEFAULT_PALETTE)), key=_luma)
    dark, light = colours[0], colours[-1]
    accents = colours[1:-1] or colours
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    yy /= height
    xx /= width

    sky_top = dark * 0.6 + accents[rng.integers(len(accents))] * 0.4
    sky_low = accents[rng.integers(len(accents))] * 0.6 + light * 0.4
    tilt = rng.uniform(-0.25, 0.25)
    t = np.clip(yy + tilt * (xx - 0.5), 0, 1)[..., None]
    img = sky_top * (1 - t) + sky_low * t

    # A glowing sun or moon.
    cx, cy, r = rng.uniform(0.2, 0.8), rng.uniform(0.15, 0.45), rng.uniform(0.05, 0.12)
    d = np.sqrt(((xx - cx) * width / height) ** 2 + (yy - cy) ** 2)
    glow = np.exp(-((d / (r * 3)) ** 2))[..., None] * 0.6 + (d < r)[..., None] * 0.5
    img = img + glow * light

    # Layered ridges, darker towards the viewer.
    layers = int(rng.integers(3, 6))
    for i in range(layers):
        depth = (i + 1) / layers
        ridge = _ridge(rng, width, 0.45 + 0.4 * depth, 0.08 * (1 - 0.5 * depth))
        mask = (yy > ridge[None, :])[..., None]
        tone = accents[rng.integers(len(accents))] * (1 - depth) * 0.7 + dark * (0.3 + 0.7 * depth)
        img = np.where(mask, tone * (0.85 + 0.15 * (1 - yy[..., None])), img)

    # Soft bokeh lights, each painted only inside its bounding box.
    for _ in range(int(rng.integers(12, 28))):
        bx, by, br = rng.uniform(0, 1), rng.uniform(0, 0.9), rng.uniform(0.01, 0.05)
        colour = colours[rng.integers(len(colours))] * rng.uniform(0.15, 0.45)
        y0, y1 = max(int((by - br) * height), 0), min(int((by + br) * height) + 1, height)
        x0 = max(int((bx - br * height / width) * width), 0)
        x1 = min(int((bx + br * height / width) * width) + 1, width)
        if y0 >= y1 or x0 >= x1:
            continue
        d = np.sqrt(((xx[y0:y1, x0:x1] - bx) * width / height) ** 2 + (yy[y0:y1, x0:x1] - by) ** 2)
        img[y0:y1, x0:x1] += np.clip((br - d) / (br * 0.35), 0, 1)[..., None] * colour

    vignette = 1 - 0.35 * (((xx - 0.5) * 1.6) ** 2 + ((yy - 0.5) * 1.6) ** 2)[..., None]
    img = img * np.clip(vignette, 0.5, 1) + _grain(rng, height, width)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


class LocalStillMaker:
    """Offline ``ImageGenerator``: painted stills, no network, no cost."""

    name = "local-stills"

    def fingerprint(self) -> str:
        return f"{self.name}/1"

    def request_key(self, request: ImageRequest) -> str:
        return ""

    async def generate(self, request: ImageRequest, workdir: Path,
                       cancel: Optional[CancelToken] = None) -> Generated:
        if cancel:
            cancel.raise_if_cancelled()
        w, h = overscan_size(request.width, request.height)
        out = Path(workdir) / f"{request.owner}.png"

        def work() -> None:
            pixels = paint_still(request.palette, request.seed, w, h)
            Image.fromarray(pixels, "RGB").save(out, compress_level=1)

        await asyncio.to_thread(work)
        return Generated(out, self.name, width=w, height=h)
