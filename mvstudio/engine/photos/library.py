"""A photo library: the pictures in some folders (or dropped files), measured once and cached.

``import_library`` finds the pictures (folders searched recursively, in natural name order: the
order "as given"), and for each reads what selection needs: its upright size (EXIF orientation
applied), when it was taken (EXIF ``DateTimeOriginal``, else the file's time), words from its folder
and file names and EXIF description, the quality measures (``quality.measure``), perceptual hashes
(``phash``) and a thumbnail.  Everything but the words and the place is a function of the file's
content, so it is cached in the user cache folder under the file's SHA-256 (which is also its name
in a project's media store): a second import of the same library reads only small files.

A file Pillow cannot read is skipped with a one-line reason, never fatal.  HEIC/HEIF needs the
optional ``pillow-heif`` package; without it those files are skipped with a note saying so.
Near-duplicates get one ``group`` number (``phash.duplicate_groups``).
"""

from __future__ import annotations

import json
import os
import threading
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from PIL import Image, ImageOps, UnidentifiedImageError

from mvstudio.engine.events import CancelToken
from mvstudio.engine.generation.photos import PHOTO_EXTENSIONS, natural_key
from mvstudio.engine.hashing import file_hash
from mvstudio.engine.photos.phash import dhash, duplicate_groups, phash
from mvstudio.engine.photos.quality import analysis_copy, measure
from mvstudio.engine.userdirs import cache_dir

FEATURES_VERSION = 1  # bump when what is measured changes: the cache starts afresh
THUMB_SIDE = 512  # longest side of a thumbnail (the vision ranker sends these)
HEIF = {".heic", ".heif"}
_NOISE = {"img", "dsc", "dscn", "dscf", "pxl", "photo", "photos", "image", "picture", "pic", "jpg",
          "jpeg", "png", "copy", "edit", "edited", "final", "the", "and", "with", "mvimg", "raw"}
_WORD = re.compile(r"[a-z]+")
_HASHES: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) -> content hash, this session

try:  # HEIC where the optional pillow-heif is installed
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_READABLE = True
except ImportError:  # pragma: no cover - depends on the environment
    HEIF_READABLE = False


@dataclass
class PhotoInfo:
    path: str
    hash: str  # SHA-256 of the file
    width: int  # upright, EXIF orientation applied
    height: int
    taken: str  # ISO time the photo was taken ("" unknown: the file's time is used)
    modified: float
    bytes: int
    words: list[str]
    sharpness: float
    mean: float
    dark: float
    bright: float
    phash: str
    dhash: str
    thumb: str  # the cached thumbnail (JPEG, longest side THUMB_SIDE)
    index: int = 0  # position in the library as given
    group: int = 0  # near-duplicate group (the index of its first member)

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def orientation(self) -> str:
        return "portrait" if self.height > self.width * 1.05 else "landscape"

    @property
    def time_key(self) -> str:
        """When it was taken, for ordering (EXIF, else the file's time)."""
        return self.taken or time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(self.modified))


@dataclass
class Library:
    photos: list[PhotoInfo] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line per file left out

    def by_hash(self) -> dict[str, PhotoInfo]:
        return {p.hash: p for p in self.photos}


def photo_cache_dir() -> Path:
    folder = cache_dir() / "photos" / f"v{FEATURES_VERSION}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def library_files(sources: Iterable[str | Path]) -> list[tuple[Path, Path]]:
    """``(file, source folder)`` for the pictures of ``sources`` (folders searched recursively,
    hidden ones skipped), each source's files in natural order of their path inside it; missing
    sources are left out."""
    found: dict[Path, Path] = {}
    for source in map(Path, sources):
        if source.is_file():
            root, files = source.parent, [source]
        elif source.is_dir():
            root = source
            files = sorted((p for p in source.rglob("*") if p.is_file() and not any(
                part.startswith(".") for part in p.relative_to(source).parts)),
                key=lambda p: [natural_key(part) for part in p.relative_to(source).parts])
        else:
            continue
        for p in files:
            if p.suffix.lower() in PHOTO_EXTENSIONS:
                found.setdefault(p, root)
    return list(found.items())


def words_of(path: Path, root: Path, description: str = "") -> list[str]:
    """Words that may say what a photo shows: the names of its folders (from the library folder
    ``root`` down), its file name and its EXIF description."""
    text = " ".join([root.name, *path.relative_to(root).parent.parts, path.stem,
                     description]).lower()
    return list(dict.fromkeys(w for w in _WORD.findall(text) if len(w) > 2 and w not in _NOISE))


def content_hash(path: Path) -> str:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        _HASHES[key] = file_hash(path)
    return _HASHES[key]


def _exif_time(exif: Image.Exif) -> str:
    raw = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132) or ""
    match = re.match(r"(\d{4}):(\d\d):(\d\d)[ T](\d\d):(\d\d):(\d\d)", str(raw).strip())
    return "{}-{}-{}T{}:{}:{}".format(*match.groups()) if match else ""


def _exif_text(exif: Image.Exif) -> str:
    description = str(exif.get(0x010E) or "")
    keywords = exif.get(0x9C9E)  # XPKeywords: UTF-16LE bytes
    if isinstance(keywords, (bytes, tuple, list)):
        description += " " + bytes(keywords).decode("utf-16-le", "ignore").strip("\x00")
    return description.strip()


def _writer() -> str:
    """A name for this process and thread's temporary files (workers may meet on one picture)."""
    return f"{os.getpid()}-{threading.get_ident()}"


def _measure_file(path: Path, digest: str, folder: Path) -> dict:
    """The content-derived features of one picture, writing its thumbnail into ``folder``."""
    with Image.open(path) as im:
        exif = im.getexif()
        im.draft("RGB", (THUMB_SIDE, THUMB_SIDE))  # JPEG: decode at a fraction of its size
        upright = ImageOps.exif_transpose(im).convert("RGB")
        width, height = im.size
    if exif.get(0x0112, 1) in (5, 6, 7, 8):  # rotated a quarter turn
        width, height = height, width
    thumb = upright.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    thumb_path = folder / f"{digest}.jpg"
    part = thumb_path.with_suffix(f".{_writer()}.part")  # the same picture twice: no clash
    thumb.save(part, format="JPEG", quality=85)
    part.replace(thumb_path)
    grey = analysis_copy(upright)
    return {"width": width, "height": height, "taken": _exif_time(exif),
            "description": _exif_text(exif), **asdict(measure(grey)), "phash": phash(grey),
            "dhash": dhash(grey)}


def _features(path: Path, folder: Path) -> tuple[str, dict]:
    digest = content_hash(path)
    cached = folder / f"{digest}.json"
    if cached.is_file() and (folder / f"{digest}.jpg").is_file():
        try:
            return digest, json.loads(cached.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    features = _measure_file(path, digest, folder)
    tmp = cached.with_suffix(f".{_writer()}.tmp")
    tmp.write_text(json.dumps(features), encoding="utf-8")
    tmp.replace(cached)
    return digest, features


def _read_one(path: Path, root: Path, folder: Path) -> PhotoInfo | str:
    """The photo at ``path``, or why it is skipped."""
    if path.suffix.lower() in HEIF and not HEIF_READABLE:
        return f"skipped {path.name}: HEIC needs the optional pillow-heif package " \
               "(pip install pillow-heif)"
    try:
        digest, f = _features(path, folder)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
            ValueError) as exc:
        return f"skipped {path.name}: not a readable picture ({type(exc).__name__})"
    stat = path.stat()
    return PhotoInfo(
        path=str(path), hash=digest, width=f["width"], height=f["height"], taken=f["taken"],
        modified=stat.st_mtime, bytes=stat.st_size, words=words_of(path, root, f["description"]),
        sharpness=f["sharpness"], mean=f["mean"], dark=f["dark"], bright=f["bright"],
        phash=f["phash"], dhash=f["dhash"], thumb=str(folder / f"{digest}.jpg"))


def import_library(sources: Sequence[str | Path], *, workers: int = 2,
                   progress: Optional[Callable[[int, int], None]] = None,
                   cancel: Optional[CancelToken] = None) -> Library:
    """The pictures of ``sources`` (see module doc); ``progress(done, total)`` after each."""
    files = library_files(sources)
    folder = photo_cache_dir()
    library = Library()
    seen: set[str] = set()

    def one(item: tuple[Path, Path]) -> PhotoInfo | str:
        if cancel is not None:
            cancel.raise_if_cancelled()
        return _read_one(*item, folder)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="photos") as pool:
        for done, result in enumerate(pool.map(one, files), 1):
            if isinstance(result, str):
                library.skipped.append(result)
            elif result.hash in seen:
                library.skipped.append(f"skipped {result.name}: the same file as another one")
            else:
                seen.add(result.hash)
                result.index = len(library.photos)
                library.photos.append(result)
            if progress is not None:
                progress(done, len(files))
    groups = duplicate_groups([p.phash for p in library.photos], [p.dhash for p in library.photos])
    for photo, group in zip(library.photos, groups):
        photo.group = group
    return library
