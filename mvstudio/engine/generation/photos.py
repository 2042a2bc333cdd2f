"""Photo mode: the user's own pictures instead of generated stills, one per clip in order."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Optional

from PIL import Image, ImageOps, UnidentifiedImageError

from mvstudio.engine.errors import InputError
from mvstudio.engine.events import CancelToken
from mvstudio.engine.generation.local_images import overscan_size
from mvstudio.engine.generation.protocols import Generated, ImageRequest
from mvstudio.engine.hashing import file_hash

PHOTO_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif"}


def natural_key(name: str) -> list:
    """Sort key for names with numbers in them: "img2" before "img10"."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def list_photos(folder: str | Path) -> list[Path]:
    """Picture files in ``folder`` in natural name order; a clear error when there are none."""
    folder = Path(folder)
    if not folder.exists():
        raise InputError(f"images folder not found: {folder}")
    if not folder.is_dir():
        raise InputError(f"--images must be a folder of pictures, not a file: {folder}")
    photos = sorted((p for p in folder.iterdir()
                     if p.is_file() and p.suffix.lower() in PHOTO_EXTENSIONS and p.stat().st_size),
                    key=lambda p: natural_key(p.name))
    if not photos:
        raise InputError(f"no pictures in {folder} (looked for "
                         f"{', '.join(sorted(e.lstrip('.') for e in PHOTO_EXTENSIONS))})")
    return photos


def readable_photos(photos: list[Path]) -> tuple[list[Path], list[str]]:
    """Split ``photos`` into those Pillow can open and one-line reasons for the rest."""
    good, skipped = [], []
    for p in photos:
        try:
            with Image.open(p) as im:
                im.verify()
            good.append(p)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            skipped.append(f"skipped {p.name}: not a readable picture ({type(exc).__name__})")
    return good, skipped


def cover_fit(src: Path, out: Path, width: int, height: int) -> tuple[int, int]:
    """Write ``src`` upright (EXIF orientation applied), cropped to cover ``width`` x ``height``."""
    with Image.open(src) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        fitted = ImageOps.fit(im, (width, height), Image.Resampling.LANCZOS)
    fitted.save(out, compress_level=1)
    return fitted.size


class PhotoStills:
    """``ImageGenerator`` that hands out the user's photos, clip by clip, in order.

    ``assign`` maps clip ids to photos before a run; a clip without one gets the photos cyclically.
    """

    name = "photos"

    def __init__(self, photos: list[Path]):
        if not photos:
            raise InputError("photo mode needs at least one readable picture")
        self.photos = list(photos)
        self._by_owner: dict[str, Path] = {}

    def assign(self, owners: list[str]) -> None:
        self._by_owner = {o: self.photos[i % len(self.photos)] for i, o in enumerate(owners)}

    def photo_for(self, owner: str) -> Path:
        return self._by_owner.get(owner, self.photos[0])

    def fingerprint(self) -> str:
        return f"{self.name}/1"

    def request_key(self, request: ImageRequest) -> str:
        """What identifies this request's output: the photo's content, not the prompt."""
        return file_hash(self.photo_for(request.owner))

    async def generate(self, request: ImageRequest, workdir: Path,
                       cancel: Optional[CancelToken] = None) -> Generated:
        if cancel:
            cancel.raise_if_cancelled()
        src = self.photo_for(request.owner)
        w, h = overscan_size(request.width, request.height)
        out = Path(workdir) / f"{request.owner}.png"
        size = await asyncio.to_thread(cover_fit, src, out, w, h)
        return Generated(out, self.name, model=src.name, width=size[0], height=size[1])
