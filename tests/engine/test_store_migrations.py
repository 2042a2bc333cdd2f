"""Schema versions: fresh databases, upgrades from a hand-built v1 file, newer files refused."""

from __future__ import annotations

import json

import pytest
import sqlite_utils

from mvstudio import __version__
from mvstudio.engine.errors import StoreError
from mvstudio.engine.model import ClipScript, Plan, Project, Transition
from mvstudio.engine.store import migrations
from mvstudio.engine.store.migrations import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from mvstudio.engine.store.project_file import create_project, open_project


def test_fresh_database_gets_every_migration_once(tmp_path):
    db = sqlite_utils.Database(tmp_path / "p.db")
    assert migrate(db) == 0
    assert schema_version(db) == SCHEMA_VERSION == len(MIGRATIONS) >= 2
    assert migrate(db) == SCHEMA_VERSION  # nothing left to apply
    rows = list(db["schema_version"].rows)
    assert [r["version"] for r in rows] == list(range(1, SCHEMA_VERSION + 1))


def _hand_built_v1(folder):
    """A project folder exactly as version 1 wrote it, rows inserted with plain SQL."""
    folder.mkdir()
    (folder / "media").mkdir()
    db = sqlite_utils.Database(folder / "project.db")
    with db.atomic():
        MIGRATIONS[0](db)
        db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied REAL)")
        db.execute("INSERT INTO schema_version VALUES (1, 0)")
        db.execute("INSERT INTO project VALUES ('proj_1', 'Old', 'p', 24, 640, 360, '{\"k\": 1}',"
                   " 1.0, 2.0)")
        db.execute("INSERT INTO plan VALUES ('plan_1', 's', 'rules', '[]', ?)",
                   [json.dumps({"palette": ["#000000"]})])
        db.execute("INSERT INTO clips (id, position, start_frame, end_frame, characters, scenes,"
                   " seed, locked, user_edited, visual_description) VALUES"
                   " ('clip_b', 1, 48, 96, '[]', '[]', 7, 1, 0, 'second'),"
                   " ('clip_a', 0, 0, 48, '[]', '[]', 3, 0, 1, 'first')")
        db.execute("INSERT INTO transitions (id, position, from_clip, to_clip, kind,"
                   " duration_frames, rationale)"
                   " VALUES ('tr_1', 0, 'clip_a', 'clip_b', 'cut', 0, '')")
    db.close()


def test_v1_project_is_upgraded_on_open(tmp_path):
    folder = tmp_path / "Old.mvstudio"
    _hand_built_v1(folder)
    with open_project(folder) as pf:
        assert schema_version(pf.db) == SCHEMA_VERSION
        assert "saved_by" in pf.db["project"].columns_dict
        assert {"idx_assets_input_hash", "idx_cost_ledger_status"} <= {
            i.name for t in ("assets", "cost_ledger") for i in pf.db[t].indexes}
        project = pf.load()
        expected = Project("Old", "p", fps=24, width=640, height=360, settings={"k": 1},
                           created=1.0, modified=2.0, id="proj_1", plan=Plan(
                               [ClipScript(0, 48, "first", seed=3, user_edited=True, id="clip_a"),
                                ClipScript(48, 96, "second", seed=7, locked=True, id="clip_b")],
                               [Transition("clip_a", "clip_b", "cut", id="tr_1")], summary="s",
                               id="plan_1"))
        expected.plan.style.palette = ["#000000"]
        assert project == expected
        assert pf.db.execute("SELECT saved_by FROM project").fetchone()[0] == ""
        pf.save(project)
        assert pf.db.execute("SELECT saved_by FROM project").fetchone()[0] == __version__
    backup = sqlite_utils.Database(folder / "project.db.v1.bak")
    assert schema_version(backup) == 1 and "saved_by" not in backup["project"].columns_dict


def test_newer_schema_is_refused_with_a_clear_message(tmp_path):
    folder = tmp_path / "Future.mvstudio"
    create_project(folder, Project("f")).close()
    sqlite_utils.Database(folder / "project.db")["schema_version"].insert(
        {"version": SCHEMA_VERSION + 3, "applied": 0})
    before = (folder / "project.db").read_bytes()
    with pytest.raises(StoreError) as err:
        open_project(folder)
    assert str(err.value) == (
        f"'Future.mvstudio' was saved by a newer MV Studio (project schema {SCHEMA_VERSION + 3}; "
        f"this version reads up to {SCHEMA_VERSION}). Update MV Studio to open it.")
    assert (folder / "project.db").read_bytes() == before


def test_a_failing_migration_leaves_the_last_complete_version(tmp_path, monkeypatch):
    db = sqlite_utils.Database(tmp_path / "p.db")
    migrate(db)

    def broken(db):
        db["half_done"].create({"id": int}, pk="id")
        raise RuntimeError("bug in migration")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, broken])
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(RuntimeError):
        migrate(db)
    assert schema_version(db) == SCHEMA_VERSION
    assert "half_done" not in db.table_names()


def test_v5_project_opens_with_empty_music_prompts(tmp_path):
    """Version 6 adds a music prompt per scene; a v5 file's scenes get an empty one."""
    folder = tmp_path / "Five.mvstudio"
    folder.mkdir()
    (folder / "media").mkdir()
    db = sqlite_utils.Database(folder / "project.db")
    db["schema_version"].create({"version": int, "applied": float}, pk="version")
    for version, migration in enumerate(MIGRATIONS[:5], start=1):
        migration(db)
        db["schema_version"].insert({"version": version, "applied": 0})
    db.execute("INSERT INTO project (id, name, prompt, fps, width, height, settings, created,"
               " modified) VALUES ('proj_5', 'Five', 'p', 30, 640, 360, '{}', 1.0, 2.0)")
    db.execute("INSERT INTO plan VALUES ('plan_5', 's', 'rules', '[]', '{}', '')")
    db.execute("INSERT INTO scenes VALUES ('scene_1', 0, 'Roof', 'neon rooftop', 'night')")
    db.close()
    with open_project(folder) as pf:
        assert schema_version(pf.db) == SCHEMA_VERSION >= 6
        project = pf.load()
        scene = project.plan.scenes[0]
        assert (scene.name, scene.time_of_day, scene.music_prompt) == ("Roof", "night", "")
        scene.music_prompt = "slow synthwave, 90 BPM"
        pf.save(project)
    with open_project(folder) as pf:
        assert pf.load().plan.scenes[0].music_prompt == "slow synthwave, 90 BPM"
    assert schema_version(sqlite_utils.Database(folder / "project.db.v5.bak")) == 5
