"""A project on disk: the folder ``Name.mvstudio/`` holding ``project.db`` and ``media/``.

``project.db`` is the one source of truth for the document (song, analysis, plan, asset records);
``media/`` holds the files those records name by content hash.  ``save`` replaces the whole document
in a single SQLite transaction: it either lands completely or not at all.

Journal mode is SQLite's rollback journal (``DELETE``), not WAL: between saves the folder contains
only ``project.db`` and ``media/`` (no ``-wal``/``-shm`` side files), so it can be copied, zipped or
synced as it is.  Secrets never enter the file: API keys live in the OS keyring (``keys.py``) and
``save`` refuses project settings whose names look like credentials.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import sqlite3
import threading
import types
import typing
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import sqlite_utils

from mvstudio import __version__
from mvstudio.engine.codec import from_dict, to_dict
from mvstudio.engine.errors import InputError, StoreError
from mvstudio.engine.model import (Asset, Character, ClipScript, Plan, Project, Scene, Song,
                                   Transition)
from mvstudio.engine.store.media import MediaStore, is_media_name
from mvstudio.engine.store.migrations import SCHEMA_VERSION, migrate, schema_version

SUFFIX = ".mvstudio"
DB_NAME = "project.db"
MEDIA_DIR = "media"

# Plan lists: table name == Plan attribute name.
_PLAN_LISTS: dict[str, type] = {"characters": Character, "scenes": Scene, "clips": ClipScript,
                                "transitions": Transition}
_DOC_TABLES = ("project", "song", "analysis", "plan", *_PLAN_LISTS, "assets")
_POSITIONED = {*_PLAN_LISTS, "assets"}
_SECRET_NAME = re.compile(r"api[_-]?key|token|secret|password|credential", re.IGNORECASE)
_UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


# --------------------------------------------------------------------------- rows <-> records


@lru_cache(maxsize=None)
def _column_kinds(cls: type) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(fields kept as JSON text, fields kept as 0/1, fields that may be None) of a dataclass."""
    hints = typing.get_type_hints(cls)
    as_json, as_bool, nullable = set(), set(), set()
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if typing.get_origin(tp) in (typing.Union, types.UnionType):  # Optional[X] -> X
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            nullable.add(f.name)
            tp = args[0] if len(args) == 1 else tp
        if tp is bool:
            as_bool.add(f.name)
        elif typing.get_origin(tp) in (list, dict) or tp in (list, dict) or \
                dataclasses.is_dataclass(tp):
            as_json.add(f.name)
    return frozenset(as_json), frozenset(as_bool), frozenset(nullable)


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays (as analysis code may produce) to plain Python values."""
    if isinstance(value, (str, int, float, type(None))):
        return value
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_plain, ensure_ascii=False, separators=(",", ":"))


def _row(cls: type, data: dict, **extra: Any) -> dict:
    """A table row from ``to_dict`` output of ``cls``: lists and records as JSON text."""
    as_json, _, _ = _column_kinds(cls)
    row = {k: _dumps(v) if k in as_json else _plain(v) for k, v in data.items()}
    row.update(extra)
    return row


def _unrow(cls: type, row: dict) -> dict:
    """Inverse of ``_row``: a dict ready for ``from_dict(cls, ...)``.

    Extra columns are ignored; NULL in a field that cannot be None (a column written by an older
    version, or left empty) gives the field's default.
    """
    as_json, as_bool, nullable = _column_kinds(cls)
    out = {k: v for k, v in row.items() if v is not None or k in nullable}
    for k in as_json & out.keys():
        out[k] = None if out[k] is None else json.loads(out[k])
    for k in as_bool & out.keys():
        out[k] = bool(out[k])
    return out


def _document_rows(project: Project) -> dict[str, list[dict]]:
    """Every row of the document, table by table."""
    doc = to_dict(project)
    song, analysis, plan, assets = (doc.pop(k) for k in ("song", "analysis", "plan", "assets"))
    rows: dict[str, list[dict]] = {t: [] for t in _DOC_TABLES}
    rows["project"] = [_row(Project, doc, saved_by=__version__)]
    if song is not None:
        rows["song"] = [_row(Song, song)]
    if analysis is not None:
        keys = ("id", "audio_hash", "settings_hash", "fps", "duration", "bpm")
        rows["analysis"] = [{**{k: _plain(analysis[k]) for k in keys}, "data": _dumps(analysis)}]
    if plan is not None:
        for name, cls in _PLAN_LISTS.items():
            rows[name] = [_row(cls, item, position=i) for i, item in enumerate(plan.pop(name))]
        rows["plan"] = [_row(Plan, plan)]
    rows["assets"] = [_row(Asset, a, position=i) for i, a in enumerate(assets)]
    return rows


def _document_from_rows(rows: dict[str, list[dict]]) -> Project:
    doc = _unrow(Project, rows["project"][0])
    doc["song"] = _unrow(Song, rows["song"][0]) if rows["song"] else None
    doc["analysis"] = json.loads(rows["analysis"][0]["data"]) if rows["analysis"] else None
    doc["plan"] = None
    if rows["plan"]:
        doc["plan"] = _unrow(Plan, rows["plan"][0])
        for name, cls in _PLAN_LISTS.items():
            doc["plan"][name] = [_unrow(cls, r) for r in rows[name]]
    doc["assets"] = [_unrow(Asset, r) for r in rows["assets"]]
    return from_dict(Project, doc)


def _secret_names(value: Any, path: str = "") -> list[str]:
    if not isinstance(value, dict):
        return []
    found = []
    for k, v in value.items():
        where = f"{path}.{k}" if path else str(k)
        if _SECRET_NAME.search(str(k)):
            found.append(where)
        found += _secret_names(v, where)
    return found


def referenced_media(project: Project) -> set[str]:
    """Media names the document points at (song, assets, the user's pictures kept in the store:
    photo mode's, stills' and references')."""
    from mvstudio.engine.references import own_references

    names = {a.media for a in project.assets} | set(own_references(project).values())
    if project.song is not None:
        names.add(project.song.media)
    if project.plan is not None:
        names |= {name for c in project.plan.clips for name in (c.image_path, c.last_image_path)
                  if is_media_name(name)}
    names.discard("")
    return names


# --------------------------------------------------------------------------- the project file


class ProjectFile:
    """An open project folder.  Use ``create_project`` / ``open_project`` to get one.

    Methods may be called from worker threads; calls are serialised.  ``close()`` (or ``with``)
    releases the database.  ``db`` is the open ``sqlite_utils.Database`` (e.g. for ``cost_ledger``
    rows); ``media`` the project's ``MediaStore``.
    """

    def __init__(self, folder: Path, db: sqlite_utils.Database):
        self.folder = Path(folder)
        self.db = db
        self.media = MediaStore(self.folder / MEDIA_DIR)
        self._lock = threading.RLock()

    @property
    def name(self) -> str:
        return self.folder.name

    def __enter__(self) -> "ProjectFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # ------------------------------------------------------------------ document

    def load(self) -> Project:
        """The saved document."""
        with self._lock:
            try:
                with self.db.atomic():  # one consistent snapshot across the tables
                    rows = {t: list(self.db.table(t).rows_where(
                        order_by="position" if t in _POSITIONED else None)) for t in _DOC_TABLES}
            except sqlite3.Error as err:
                raise StoreError(f"cannot read '{self.name}': {err}") from None
        if not rows["project"]:
            raise StoreError(f"'{self.name}' holds no project document")
        try:
            return _document_from_rows(rows)
        except (ValueError, TypeError, KeyError) as err:
            raise StoreError(f"'{self.name}' is damaged: the project document cannot be read "
                             f"({type(err).__name__}: {err})") from None

    def save(self, project: Project) -> None:
        """Replace the saved document with ``project`` in one transaction (all or nothing)."""
        secrets = _secret_names(project.settings)
        if secrets:
            raise StoreError(f"project settings must not hold secrets (found "
                             f"{', '.join(secrets)}); API keys belong in the OS keyring")
        try:
            rows = _document_rows(project)
        except (TypeError, ValueError) as err:
            raise StoreError(f"cannot save '{self.name}': {err}") from None
        with self._lock:
            try:
                with self.db.atomic():
                    for table, table_rows in rows.items():
                        self.db.table(table).delete_where()
                        if table_rows:
                            self.db.table(table).insert_all(table_rows)
            except (sqlite3.Error, OverflowError, UnicodeError) as err:
                raise StoreError(f"cannot save '{self.name}': {err}") from None

    def add_asset(self, asset: Asset) -> None:
        """Record one asset at once (e.g. right after a paid generation) without a full save.

        The row is appended (or replaced in place if its id exists); the caller also appends the
        asset to its in-memory ``Project.assets`` so the next ``save`` keeps it.
        """
        with self._lock:
            try:
                with self.db.atomic():
                    pos = self.db.execute(
                        "SELECT COALESCE((SELECT position FROM assets WHERE id = ?),"
                        " (SELECT MAX(position) + 1 FROM assets), 0)", [asset.id]).fetchone()[0]
                    self.db.table("assets").insert(_row(Asset, to_dict(asset), position=pos),
                                                   replace=True)
            except sqlite3.Error as err:
                raise StoreError(f"cannot record asset {asset.id} in '{self.name}': "
                                 f"{err}") from None

    def save_as(self, project: Project, new_folder: str | Path) -> "ProjectFile":
        """Write ``project`` and the media it references to a new folder; return it, opened.

        On failure nothing is left behind in ``new_folder``.  This file stays open and unchanged.
        """
        return _create(Path(new_folder), project, media_from=self.media)

    # ------------------------------------------------------------------ media

    def import_song(self, path: str | Path, duration: Optional[float] = None) -> Song:
        """Copy an audio file into the media store; return the ``Song`` to put on the project.

        ``duration`` is read from the file unless given.
        """
        src = Path(path)
        if not src.is_file():
            raise InputError(f"'{src}' is not a file")
        seconds = _audio_duration(src) if duration is None else float(duration)
        media = self.media.put_file(src)
        return Song(title=src.stem, media=media, duration=seconds, source_path=str(src.resolve()))


def _audio_duration(path: Path) -> float:
    """Length of an audio file in seconds, decoded exactly as analysis decodes it."""
    from mvstudio.engine.analysis.audio_io import probe_audio

    return probe_audio(path).duration


# --------------------------------------------------------------------------- create / open


def project_folder_for(name: str, parent: str | Path) -> Path:
    """``parent / '<safe name>.mvstudio'``: a folder name valid on Windows, macOS and Linux."""
    stem = name[: -len(SUFFIX)] if name.lower().endswith(SUFFIX) else name
    stem = " ".join(_UNSAFE_CHARS.sub("_", stem).split()).strip(" .")[:100].rstrip(" .")
    if not stem:
        stem = "Untitled"
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    return Path(parent) / f"{stem}{SUFFIX}"


def _connect(db_path: Path, label: str) -> sqlite_utils.Database:
    """Open ``db_path`` in rollback-journal mode; a file that is not SQLite gives StoreError."""
    conn = sqlite3.connect(str(db_path), check_same_thread=False, timeout=10)
    try:
        db = sqlite_utils.Database(conn)
        db.disable_wal()
        problem = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as err:
        conn.close()
        raise StoreError(f"'{label}' is damaged: {DB_NAME} is not a readable database "
                         f"({err})") from None
    if problem != "ok":
        conn.close()
        raise StoreError(f"'{label}' is damaged: {DB_NAME} failed its integrity check ({problem})")
    return db


def _check_new_folder(folder: Path) -> bool:
    """Raise unless ``folder`` can receive a new project; True when it has to be created."""
    if not folder.exists():
        return True
    if not folder.is_dir():
        raise StoreError(f"'{folder}' exists and is not a folder")
    if (folder / DB_NAME).exists():
        raise StoreError(f"'{folder}' already holds an MV Studio project; open it instead")
    if any(folder.iterdir()):
        raise StoreError(f"'{folder}' is not empty; choose a new folder for the project")
    return False


def _create(folder: Path, project: Project, media_from: Optional[MediaStore] = None) -> ProjectFile:
    made = _check_new_folder(folder)
    pf: Optional[ProjectFile] = None
    try:
        (folder / MEDIA_DIR).mkdir(parents=True, exist_ok=True)
        pf = ProjectFile(folder, _connect(folder / DB_NAME, folder.name))
        try:
            migrate(pf.db, folder.name)
        except sqlite3.Error as err:
            raise StoreError(f"cannot create '{folder.name}': {err}") from None
        if media_from is not None:
            for name in sorted(referenced_media(project)):
                media_from.copy_into(pf.media, name)
        pf.save(project)
        return pf
    except OSError as err:
        _discard(folder, made, pf)
        raise StoreError(f"cannot create '{folder}': {err.strerror or err}") from None
    except BaseException:
        _discard(folder, made, pf)
        raise


def _discard(folder: Path, made: bool, pf: Optional[ProjectFile]) -> None:
    """Undo a failed create: remove what it wrote (and the folder, if it made it)."""
    if pf is not None:
        pf.close()
    if made:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for child in folder.iterdir():
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def create_project(folder: str | Path, project: Project) -> ProjectFile:
    """Make a new project folder holding ``project``; it must not exist or be empty."""
    return _create(Path(folder), project)


def open_project(folder: str | Path) -> ProjectFile:
    """Open a project folder (or its ``project.db``), upgrading an older schema in place.

    Before an upgrade the old database is kept as ``project.db.v<N>.bak``.
    """
    folder = Path(folder)
    if folder.name == DB_NAME and folder.is_file():
        folder = folder.parent
    if not folder.exists():
        raise StoreError(f"'{folder}' does not exist")
    if not folder.is_dir():
        raise StoreError(f"'{folder}' is not a folder (an MV Studio project is a folder ending "
                         f"in {SUFFIX})")
    db_path = folder / DB_NAME
    if not db_path.is_file():
        raise StoreError(f"'{folder.name}' is not an MV Studio project (no {DB_NAME} inside)")
    db = _connect(db_path, folder.name)
    try:
        version = schema_version(db)
        if version == 0:
            raise StoreError(f"'{folder.name}' is not an MV Studio project ({DB_NAME} holds no "
                             "MV Studio schema)")
        if version < SCHEMA_VERSION:
            shutil.copy2(db_path, folder / f"{DB_NAME}.v{version}.bak")
        migrate(db, folder.name)
    except (sqlite3.Error, OSError) as err:
        db.close()
        raise StoreError(f"cannot open '{folder.name}': {err}") from None
    except BaseException:
        db.close()
        raise
    return ProjectFile(folder, db)
