"""Synthetic photo libraries: pictures whose blur, exposure, duplicates, size and orientation are
known, so tests (and the photo benchmark) can check what selection makes of them.

``scene`` paints a detailed picture from a seed (shapes, lines and fine texture, so it is sharp);
``photo`` writes one, optionally blurred, over- or under-exposed, cropped a little (a
near-duplicate of the same seed), stored sideways with an EXIF orientation, dated and described.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A sharp, well-exposed picture that differs from every other seed's."""
    rng = np.random.default_rng(seed)
    w, h = size
    gx = np.linspace(0, 1, w)[None, :, None]
    gy = np.linspace(0, 1, h)[:, None, None]
    a, b = rng.uniform(40, 200, 3), rng.uniform(40, 200, 3)
    base = a * (1 - gx) * (1 - gy) + b * gx * gy + (a + b) / 2 * (gx * (1 - gy))
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(28):
        x0, y0 = rng.uniform(-0.1, 1.0) * w, rng.uniform(-0.1, 1.0) * h
        x1, y1 = x0 + rng.uniform(0.08, 0.45) * w, y0 + rng.uniform(0.08, 0.45) * h
        colour = tuple(int(c) for c in rng.uniform(20, 235, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=colour)
    for _ in range(40):
        pts = [(float(rng.uniform(0, w)), float(rng.uniform(0, h))) for _ in range(2)]
        draw.line(pts, fill=tuple(int(c) for c in rng.uniform(0, 255, 3)), width=2)
    texture = rng.normal(0, 9, (h, w, 1))
    pixels = np.asarray(image, dtype=np.float64) + texture
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def photo(path: Path, seed: int, *, size: tuple[int, int] = (640, 480), blur: float = 0.0,
          exposure: float = 1.0, crop: float = 0.0, quality: int = 92,
          orientation: Optional[int] = None, taken: Optional[str] = None,
          description: str = "") -> Path:
    """Write the picture of ``seed`` to ``path`` (see module doc).  ``exposure`` scales the
    brightness (3.0: blown out, 0.15: nearly black); ``crop`` trims that share of each edge;
    ``orientation`` 6 stores it turned a quarter (a viewer turns it back); ``taken`` is
    ``YYYY:MM:DD HH:MM:SS``."""
    image = scene(seed, size)
    if crop:
        dx, dy = round(size[0] * crop), round(size[1] * crop)
        image = image.crop((dx, dy, size[0] - dx, size[1] - dy)).resize(size)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    if exposure != 1.0:
        image = ImageEnhance.Brightness(image).enhance(exposure)
    exif = Image.Exif()
    if orientation == 6:  # stored turned 90° anticlockwise: the viewer turns it clockwise back
        image = image.transpose(Image.Transpose.ROTATE_90)
        exif[0x0112] = 6
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    if description:
        exif[0x010E] = description
    kind = path.suffix.lower()
    if kind in (".jpg", ".jpeg"):
        image.save(path, quality=quality, exif=exif)
    elif kind == ".webp":
        image.save(path, quality=quality, exif=exif)
    else:
        image.save(path, exif=exif)
    return path


def library(folder: Path, count: int, *, size: tuple[int, int] = (640, 480),
            start_seed: int = 0) -> list[Path]:
    """``count`` distinct sharp photos ``p001.jpg`` … in ``folder``, taken a second apart."""
    folder.mkdir(parents=True, exist_ok=True)
    return [photo(folder / f"p{i + 1:03d}.jpg", start_seed + i, size=size,
                  taken=f"2024:06:01 10:{i // 60:02d}:{i % 60:02d}") for i in range(count)]


def rooms(folder: Path, names: list[str], *, per_room: int = 2, start_seed: int = 0,
          size: tuple[int, int] = (320, 200), blurred: bool = False,
          resaved: bool = False) -> Path:
    """A shoot in room folders (``IMG_0.jpg`` … sharp), each room with a blurred ``IMG_9.jpg``
    and a resaved near-duplicate ``IMG_0 copy.jpg`` of its first photo when asked."""
    for i, room in enumerate(names):
        (folder / room).mkdir(parents=True, exist_ok=True)
        seed = start_seed + 10 * i
        for j in range(per_room):
            photo(folder / room / f"IMG_{j}.jpg", seed + j, size=size)
        if blurred:
            photo(folder / room / "IMG_9.jpg", seed + 9, size=size, blur=4.0)
        if resaved:
            photo(folder / room / "IMG_0 copy.jpg", seed, size=size, quality=40)
    return folder
