"""Numbered schema migrations for ``project.db``.

``MIGRATIONS[i]`` upgrades a database from version ``i`` to ``i + 1``.  A released migration is
never edited: a schema change is a new function appended to the list.  Each migration runs in its
own transaction together with the row that records it in ``schema_version``, so a failure leaves
the file at the last complete version.

Schema (version 9)::

    schema_version(version PK, applied)
    project(id PK, name, prompt, fps, width, height, settings JSON, created, modified, saved_by,
            corrections JSON, raw_analysis JSON)
    song(title, media, duration, source_path)                       -- at most one row
    analysis(id PK, audio_hash, settings_hash, fps, duration, bpm, data JSON)   -- one row
    plan(id PK, summary, origin, notes JSON, style JSON, basis)      -- one row
    characters(id PK, position, name, description, role)
    scenes(id PK, position, name, description, time_of_day, music_prompt)
    clips(id PK, position, start_frame, end_frame, visual_description, motion, camera,
          characters JSON, scenes JSON, lyrics_context, beat_intensity, seed, locked,
          user_edited, image_path, last_image_path, move, video_model, continues)
    transitions(id PK, position, from_clip, to_clip, kind, duration_frames, rationale)
    assets(id PK, position, kind, owner, media, input_hash, provider, model, cost, width, height,
           duration, created)              -- indexed on (owner, kind) and (input_hash)
    cost_ledger(id PK, created, stage, owner, provider, model, estimate, actual, status,
                prediction_id, input_hash, reserved)   -- indexed on (status)

``position`` keeps list order; JSON columns hold lists and nested records.
"""

from __future__ import annotations

import time
from typing import Callable

import sqlite_utils

from mvstudio.engine.errors import StoreError

Migration = Callable[[sqlite_utils.Database], None]


def _v1_initial(db: sqlite_utils.Database) -> None:
    """The project document, its media records and the cost ledger."""
    tables: dict[str, dict] = {
        "project": {"id": str, "name": str, "prompt": str, "fps": int, "width": int, "height": int,
                    "settings": str, "created": float, "modified": float},
        "song": {"title": str, "media": str, "duration": float, "source_path": str},
        "analysis": {"id": str, "audio_hash": str, "settings_hash": str, "fps": int,
                     "duration": float, "bpm": float, "data": str},
        "plan": {"id": str, "summary": str, "origin": str, "notes": str, "style": str},
        "characters": {"id": str, "position": int, "name": str, "description": str, "role": str},
        "scenes": {"id": str, "position": int, "name": str, "description": str,
                   "time_of_day": str},
        "clips": {"id": str, "position": int, "start_frame": int, "end_frame": int,
                  "visual_description": str, "motion": str, "camera": str, "characters": str,
                  "scenes": str, "lyrics_context": str, "beat_intensity": str, "seed": int,
                  "locked": bool, "user_edited": bool, "image_path": str},
        "transitions": {"id": str, "position": int, "from_clip": str, "to_clip": str,
                        "kind": str, "duration_frames": int, "rationale": str},
        "assets": {"id": str, "position": int, "kind": str, "owner": str, "media": str,
                   "input_hash": str, "provider": str, "model": str, "cost": float, "width": int,
                   "height": int, "duration": float, "created": float},
        "cost_ledger": {"id": str, "created": float, "stage": str, "owner": str,
                        "provider": str, "model": str, "estimate": float, "actual": float,
                        "status": str, "prediction_id": str},
    }
    for name, columns in tables.items():
        db.table(name).create(columns, pk="id" if "id" in columns else None)
    db.table("assets").create_index(["owner", "kind"])


def _v2_lookups(db: sqlite_utils.Database) -> None:
    """Find assets by input hash and ledger entries by status; record the writing app version."""
    db.table("assets").create_index(["input_hash"])
    db.table("cost_ledger").create_index(["status"])
    db.table("project").add_column("saved_by", str, not_null_default="")


def _v3_plan_basis(db: sqlite_utils.Database) -> None:
    """Record what a plan was made from (analysis and prompt), so a stale plan can be told."""
    db.table("plan").add_column("basis", str, not_null_default="")


def _v4_analysis_corrections(db: sqlite_utils.Database) -> None:
    """Keep the user's analysis corrections (tempo, beat phase, taps, section edits)."""
    db.table("project").add_column("corrections", str, not_null_default="{}")


def _v5_raw_analysis(db: sqlite_utils.Database) -> None:
    """Keep the analysis as measured beside the corrected one, so corrections can be re-applied."""
    db.table("project").add_column("raw_analysis", str)


def _v6_scene_music(db: sqlite_utils.Database) -> None:
    """A music prompt per scene, for a soundtrack made to the plan (prompt-only videos)."""
    db.table("scenes").add_column("music_prompt", str, not_null_default="")


def _v7_ledger_reservations(db: sqlite_utils.Database) -> None:
    """Ledger rows reserve money before a paid call and name the item's input hash, so a run can
    keep within the budget cap and reattach to a prediction after a crash."""
    db.table("cost_ledger").add_column("input_hash", str, not_null_default="")
    db.table("cost_ledger").add_column("reserved", float, not_null_default=0.0)


def _v8_clip_photos(db: sqlite_utils.Database) -> None:
    """Photo-library videos: a clip's last-frame picture and its camera move from a scene
    template."""
    db.table("clips").add_column("last_image_path", str, not_null_default="")
    db.table("clips").add_column("move", str, not_null_default="")


def _v9_clip_model_and_continuity(db: sqlite_utils.Database) -> None:
    """A clip's own video model, and whether it continues the clip before as one shot."""
    db.table("clips").add_column("video_model", str, not_null_default="")
    db.table("clips").add_column("continues", bool, not_null_default=False)


MIGRATIONS: list[Migration] = [_v1_initial, _v2_lookups, _v3_plan_basis, _v4_analysis_corrections,
                               _v5_raw_analysis, _v6_scene_music, _v7_ledger_reservations,
                               _v8_clip_photos, _v9_clip_model_and_continuity]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    """The version recorded in ``db`` (0 for a database without the version table)."""
    if "schema_version" not in db.table_names():
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(db: sqlite_utils.Database, label: str = "this project") -> int:
    """Bring ``db`` up to ``SCHEMA_VERSION``; return the version it had before.

    Raises ``StoreError`` when the file comes from a newer MV Studio; ``label`` names the project
    in that message.
    """
    before = schema_version(db)
    if before > SCHEMA_VERSION:
        raise StoreError(f"'{label}' was saved by a newer MV Studio (project schema {before}; "
                         f"this version reads up to {SCHEMA_VERSION}). "
                         "Update MV Studio to open it.")
    for version in range(before, SCHEMA_VERSION):
        with db.atomic():
            if version == 0:
                db.table("schema_version").create({"version": int, "applied": float},
                                                  pk="version", if_not_exists=True)
            MIGRATIONS[version](db)
            db.table("schema_version").insert({"version": version + 1, "applied": time.time()})
    return before
