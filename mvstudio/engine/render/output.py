"""Output files that appear only when complete, and scratch folders that never outlive a job."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator, Optional

from mvstudio.engine.errors import InputError


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_writable_folder(folder: Path) -> None:
    """Raise ``InputError("cannot write to FOLDER: reason")`` unless files can be created there."""
    if not folder.exists():
        raise InputError(f"cannot write to {folder}: the folder does not exist")
    if not folder.is_dir():
        raise InputError(f"cannot write to {folder}: it is not a folder")
    try:  # a real probe: permission bits do not tell the truth everywhere (ACLs, read-only mounts)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise InputError(f"cannot write to {folder}: {_reason(exc)}") from exc


VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov")


def check_output_path(path: Path | str) -> None:
    """``InputError`` unless a video can be written at ``path`` (an MP4 in a usable folder)."""
    final = Path(path)
    if final.suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(f"the output must be an MP4 file ({', '.join(VIDEO_SUFFIXES)}), "
                         f"got {final.name}")
    if final.is_dir():
        raise InputError(f"cannot write the video to {final}: it is a folder")
    check_writable_folder(final.parent if str(final.parent) else Path("."))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(final_path: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``final_path`` (same extension); publish it on success.

    The temporary file (``.NAME.part-XXXX.EXT``) is moved over ``final_path`` with ``os.replace``
    when the block ends normally and deleted when it raises (errors, ``Cancelled``, Ctrl+C), so a
    reader never sees a half-written video.  The folder is checked up front: an unusable folder is
    an ``InputError`` before any work starts.
    """
    final = Path(final_path)
    folder = final.parent if str(final.parent) else Path(".")
    check_writable_folder(folder)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.part-", suffix=final.suffix,
                                    dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write to {folder}: {_reason(exc)}") from exc
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        if not temp.is_file() or temp.stat().st_size == 0:
            raise InputError(f"nothing was written for {final.name}")
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes 0600; a video is an ordinary file
        os.replace(temp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


@contextlib.contextmanager
def temp_workspace(prefix: str = "mvstudio-", parent: Optional[Path | str] = None
                   ) -> Iterator[Path]:
    """A scratch folder for intermediate files, removed with everything in it on exit."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
