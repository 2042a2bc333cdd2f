"""Content-addressed media: every file in ``Name.mvstudio/media/`` is named ``<sha256>.<ext>``.

A file is written to a hidden temporary file in the same folder while it is hashed, flushed to disk
and only then renamed to its final name, so a crash or a full disk never leaves a partial file
under a name that claims to be complete.  Storing the same bytes twice is a no-op.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
from io import BytesIO
from pathlib import Path
from typing import BinaryIO, Iterable

from mvstudio.engine.errors import StoreError
from mvstudio.engine.hashing import file_hash

_CHUNK = 1 << 20
_TMP_PREFIX = ".incoming-"
_NAME = re.compile(r"^[0-9a-f]{64}(\.[a-z0-9]{1,10})?$")
_EXT = re.compile(r"^[a-z0-9]{1,10}$")


def is_media_name(name: str) -> bool:
    """True for a well-formed store name such as ``<64 hex>.mp4``."""
    return bool(_NAME.match(name or ""))


def _norm_ext(ext: str | None) -> str:
    ext = (ext or "").lower().lstrip(".")
    if ext and not _EXT.match(ext):
        raise StoreError(f"'{ext}' is not a usable file extension for the media store")
    return ext


def _reason(err: OSError) -> str:
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    return err.strerror or str(err)


def _fsync_path(path: Path) -> None:
    """Best-effort flush of a file or, for a rename, its folder (skipped where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class MediaStore:
    """The media folder of one project."""

    def __init__(self, root: Path):
        self.root = Path(root)

    # ------------------------------------------------------------------ names and lookups

    def path(self, name: str) -> Path:
        """Where ``name`` lives; refuses anything that is not a store name (no path tricks)."""
        if not is_media_name(name):
            raise StoreError(f"'{name}' is not a media store name")
        return self.root / name

    def exists(self, name: str) -> bool:
        return is_media_name(name) and (self.root / name).is_file()

    def verify(self, name: str) -> bool:
        """True when the file exists and its content still hashes to its name."""
        if not self.exists(name):
            return False
        try:
            return file_hash(self.root / name) == name.split(".", 1)[0]
        except OSError:
            return False

    def names(self) -> list[str]:
        """Every complete file in the store, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if is_media_name(p.name) and p.is_file())

    def unused(self, referenced: Iterable[str]) -> list[str]:
        """Files no record refers to (candidates for garbage collection), sorted."""
        keep = set(referenced)
        return [n for n in self.names() if n not in keep]

    def remove(self, name: str) -> None:
        """Delete ``name`` if present."""
        try:
            self.path(name).unlink(missing_ok=True)
        except OSError as err:
            raise StoreError(f"cannot delete media file '{name}': {_reason(err)}") from None

    # ------------------------------------------------------------------ writing

    def put_file(self, src: str | Path, ext: str | None = None) -> str:
        """Copy ``src`` into the store (extension from its suffix unless given); return its name."""
        src = Path(src)
        ext = _norm_ext(src.suffix if ext is None else ext)
        try:
            fh = open(src, "rb")
        except OSError as err:
            raise StoreError(f"cannot read '{src.name}': {_reason(err)}") from None
        with fh:
            return self._write(fh, ext, src.name)

    def put_bytes(self, data: bytes, ext: str) -> str:
        """Store ``data``; return its name."""
        return self._write(BytesIO(data), _norm_ext(ext), f"{len(data)} bytes of .{ext} data")

    def adopt(self, tmp_path: str | Path, ext: str) -> str:
        """Move a finished file (e.g. a download) into the store; return its name.

        The source is consumed: renamed into place when it is on the same disk, otherwise copied
        and deleted.  If the content is already stored the source is simply deleted.
        """
        tmp_path = Path(tmp_path)
        ext = _norm_ext(ext)
        try:
            digest = file_hash(tmp_path)
        except OSError as err:
            raise StoreError(f"cannot read '{tmp_path.name}': {_reason(err)}") from None
        name = f"{digest}.{ext}" if ext else digest
        final = self.root / name
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if final.exists():
                tmp_path.unlink()
                return name
            _fsync_path(tmp_path)
            os.replace(tmp_path, final)
        except OSError as err:
            if err.errno != errno.EXDEV:
                raise StoreError(f"cannot move '{tmp_path.name}' into the media store: "
                                 f"{_reason(err)}") from None
            name = self.put_file(tmp_path, ext)  # another disk: copy, then drop the source
            tmp_path.unlink(missing_ok=True)
            return name
        _fsync_path(self.root)
        return name

    def _write(self, fh: BinaryIO, ext: str, label: str) -> str:
        """Stream ``fh`` to a temp file while hashing, fsync, rename to ``<hash>.<ext>``."""
        tmp: Path | None = None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=_TMP_PREFIX, suffix=".part")
            tmp = Path(tmp_name)
            h = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                while chunk := fh.read(_CHUNK):
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            name = f"{h.hexdigest()}.{ext}" if ext else h.hexdigest()
            final = self.root / name
            if final.exists():
                tmp.unlink()
            else:
                os.replace(tmp, final)
                _fsync_path(self.root)
            return name
        except OSError as err:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            raise StoreError(f"cannot store '{label}' in {self.root}: {_reason(err)}") from None

    def copy_into(self, other: "MediaStore", name: str) -> None:
        """Copy ``name`` into another store, checking on the way that its content is intact."""
        if not self.exists(name):
            raise StoreError(f"media file '{name}' is missing from {self.root}")
        got = other.put_file(self.root / name, name.partition(".")[2])
        if got != name:
            other.remove(got)
            raise StoreError(f"media file '{name}' is damaged: its content no longer matches "
                             "its name")
