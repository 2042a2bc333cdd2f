"""A project as one ``.zip``: the project folder as saved, without recovery and scratch files.

Unzipped anywhere, it is a project folder that opens as it is (media is named by content and the
document names media only by those names).  ``project.db`` is copied with SQLite's backup API, so
the archive holds a consistent snapshot even while the project is open.
"""

from __future__ import annotations

import sqlite3
import tempfile
import zipfile
from pathlib import Path

from mvstudio.engine.store.media import is_media_name
from mvstudio.engine.store.project_file import DB_NAME, MEDIA_DIR, ProjectFile

# Left out: the autosave, SQLite's journal, backups made before schema upgrades, scratch folders.
SKIPPED_NAMES = ("recovery.json", f"{DB_NAME}-journal", f"{DB_NAME}-wal", f"{DB_NAME}-shm")
# Stored as they are: compressing them again gains nothing.
COMPRESSED = {".mp4", ".m4v", ".mov", ".webm", ".png", ".jpg", ".jpeg", ".webp", ".mp3", ".m4a",
              ".aac", ".ogg", ".opus", ".flac", ".zip"}


def archived_files(folder: Path) -> list[Path]:
    """Files of the project folder that go into the archive (relative paths, sorted)."""
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if not path.is_file() or rel == Path(DB_NAME) or any(p.startswith(".") for p in rel.parts):
            continue
        if rel.name in SKIPPED_NAMES or rel.name.startswith(f"{DB_NAME}.v"):
            continue
        if rel.parts[0] == MEDIA_DIR and not is_media_name(rel.name):
            continue
        out.append(rel)
    return out


def _snapshot(db_path: Path, into: Path) -> None:
    source = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(into)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def write_archive(store: ProjectFile, out: Path) -> None:
    """Zip the saved project into ``out``: one top folder named like the project folder."""
    top = store.folder.name
    with tempfile.TemporaryDirectory(prefix="mvstudio-archive-") as tmp:
        db_copy = Path(tmp) / DB_NAME
        _snapshot(store.folder / DB_NAME, db_copy)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(db_copy, f"{top}/{DB_NAME}")
            zf.writestr(f"{top}/{MEDIA_DIR}/", b"")
            for rel in archived_files(store.folder):
                method = zipfile.ZIP_STORED if rel.suffix.lower() in COMPRESSED else None
                zf.write(store.folder / rel, f"{top}/{rel.as_posix()}", method)
