"""Project files: exact round trip, atomic save, clear errors, save-as, song import."""

from __future__ import annotations

import os
import sqlite3
import wave
from pathlib import Path

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mvstudio.engine.errors import AudioError, InputError, StoreError
from mvstudio.engine.model import (Analysis, Asset, Character, ClipBoundary, ClipScript, LyricLine,
                                   Mood, Plan, Project, Scene, Section, Song, StyleGuide,
                                   Transition, Word)
from mvstudio.engine.store.project_file import (create_project, open_project, project_folder_for,
                                                referenced_media)


def rich_project(media: list[str] | None = None) -> Project:
    """A project using every part of the document; ``media``: the files its records name."""
    media = media or ["a" * 64 + ".wav", "b" * 64 + ".png", "c" * 64 + ".mp4"]
    analysis = Analysis(
        duration=12.345, bpm=121.7, beats=[0.1 * i + 0.0123 for i in range(40)],
        downbeats=[0.5, 2.48], meter=3,
        sections=[Section("intro", 0.0, 4.2, "low", 0.21), Section("chorus", 4.2, 12.345, "high")],
        beat_energy=[0.3, 0.91, 1e-9], beat_brightness=[0.5, 0.25],
        mood=Mood("euphoric", "tense", "high", 0.83),
        lyrics=[LyricLine("hello world", 1.0, 2.0,
                          [Word("hello", 1.0, 1.4), Word("world", 1.5, 2.0)])],
        clip_boundaries=[ClipBoundary(0, 150), ClipBoundary(150, 370)], fps=30,
        beat_confidence=0.9, tempo_confidence=0.7, audio_hash="f" * 64, settings_hash="e" * 64,
        fallback_used=True, processing_time=1.5)
    hero, villain = Character("Ada", "a pilot in red", "lead"), Character("Bo", "a shadow")
    roof, street = Scene("Roof", "neon rooftop", "night"), Scene("Street", "wet street")
    # Ids deliberately out of alphabetical order: the store must keep list order, not sort.
    clips = [ClipScript(0, 150, "Ada looks up", "slow push", "wide", [hero.id], [roof.id],
                        "hello world", "high", 42, True, True, media[1], id="clip_zz"),
             ClipScript(150, 250, "rain", characters=[hero.id, villain.id], id="clip_aa"),
             ClipScript(250, 370, "ü ñ 漢字 \"quotes\" 'and' \\ back", scenes=[street.id],
                        id="clip_mm")]
    transitions = [Transition(None, "clip_zz", "fade", 10, "opening"),
                   Transition("clip_zz", "clip_aa", "crossfade", 14, "soft beat"),
                   Transition("clip_aa", "clip_mm", "cut"),
                   Transition("clip_mm", None, "fadeblack", 20)]
    plan = Plan(clips, transitions, [hero, villain], [roof, street],
                StyleGuide(["#112233", "#AABBCC"], "noir", "tense", "low key", "handheld",
                           ["rain"]),
                "A pilot's night", "llm", ["note one", "note two"])
    assets = [Asset("image", roof.id, media[1], "1" * 64, "replicate", "flux", 0.003, 1024, 576,
                    0.0, 1700000000.25),
              Asset("clip", "clip_zz", media[2], "2" * 64, "local", "kenburns", 0.0, 1920, 1080,
                    5.0, 1700000001.5),
              Asset("song", "proj", media[0], "3" * 64)]
    song = Song("Night", media[0], 12.345, "/x/n.wav")
    return Project("Night Flight", "a neon noir flight", song, analysis, plan, assets, fps=30,
                   width=1280, height=720,
                   settings={"look": {"grain": 0.2, "tags": ["a", "b"]}, "n": 3, "flag": False},
                   created=1700000000.0, modified=1700000123.456)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "Night Flight.mvstudio"


def reopen_load(folder: Path) -> Project:
    with open_project(folder) as pf:
        return pf.load()


def test_round_trip_is_exact_after_reopen(folder):
    project = rich_project()
    create_project(folder, project).close()
    loaded = reopen_load(folder)
    assert loaded == project
    assert [c.id for c in loaded.plan.clips] == ["clip_zz", "clip_aa", "clip_mm"]
    assert loaded.plan.clips[0].locked is True and loaded.analysis.fallback_used is True
    assert loaded.plan.transitions[0].from_clip is None


def test_resave_replaces_rows_and_keeps_new_order(folder):
    project = rich_project()
    with create_project(folder, project) as pf:
        project.plan.clips.reverse()
        del project.plan.characters[1]
        project.assets.pop(0)
        project.song = None
        pf.save(project)
    assert reopen_load(folder) == project


def test_empty_project_round_trip(folder):
    project = Project("Empty")
    create_project(folder, project).close()
    assert reopen_load(folder) == project


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_clip = st.builds(ClipScript, st.integers(0, 10**6), st.integers(0, 10**6), _text, _text, _text,
                  st.lists(_text, max_size=3), st.lists(_text, max_size=3), _text, _text,
                  st.integers(-2**63, 2**63 - 1), st.booleans(), st.booleans(), _text)
_floats = st.floats(allow_nan=False)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_text, clips=st.lists(_clip, max_size=5), beats=st.lists(_floats, max_size=20),
       cost=_floats, extra=st.dictionaries(st.sampled_from("abc"), st.integers() | _text))
def test_round_trip_property(tmp_path_factory, name, clips, beats, cost, extra):
    project = Project(name, plan=Plan(clips), analysis=Analysis(1.0, 120.0, beats),
                      assets=[Asset("clip", "o", "m", "h", cost=cost)], settings=extra)
    folder = tmp_path_factory.mktemp("prop") / "p.mvstudio"
    create_project(folder, project).close()
    assert reopen_load(folder) == project


def test_numpy_values_are_stored_as_plain_numbers(folder):
    np = pytest.importorskip("numpy")
    beats = [np.float64(0.5), np.float32(1.0)]
    project = Project("np", analysis=Analysis(np.float64(3.5), np.float64(90.0), beats,
                                              meter=np.int64(4)))
    create_project(folder, project).close()
    assert reopen_load(folder) == project


def test_save_is_atomic_when_it_fails_midway(folder, monkeypatch):
    before = rich_project()
    pf = create_project(folder, before)
    after = rich_project()
    after.name, after.plan.clips = "changed", after.plan.clips[:1]
    real = sqlite_utils.db.Table.insert_all

    def failing(self, records, *args, **kwargs):
        if self.name == "transitions":  # project, plan, characters, scenes, clips already written
            raise RuntimeError("power cut")
        return real(self, records, *args, **kwargs)

    monkeypatch.setattr(sqlite_utils.db.Table, "insert_all", failing)
    with pytest.raises(RuntimeError):
        pf.save(after)
    assert pf.load() == before
    monkeypatch.undo()
    pf.save(after)  # the connection is still usable
    pf.close()
    assert reopen_load(folder) == after


def test_database_error_during_save_is_a_store_error(folder, monkeypatch):
    before = Project("x")
    pf = create_project(folder, before)

    def full(self, *args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(sqlite_utils.db.Table, "insert_all", full)
    with pytest.raises(StoreError, match="Night Flight.mvstudio.*disk is full"):
        pf.save(rich_project())
    monkeypatch.undo()
    assert pf.load() == before
    pf.close()


def test_folder_is_self_contained_after_save(folder):
    with create_project(folder, rich_project()) as pf:
        pf.save(rich_project())
        assert sorted(p.name for p in folder.iterdir()) == ["media", "project.db"]


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "does not exist"),
    (lambda p: p.write_text("x"), "is not a folder"),
    (lambda p: p.mkdir(), "no project.db"),
    (lambda p: (p.mkdir(), (p / "project.db").write_bytes(os.urandom(4096))), "damaged"),
    (lambda p: (p.mkdir(), sqlite_utils.Database(p / "project.db")["t"].insert({"a": 1})),
     "not an MV Studio project"),
])
def test_open_errors_are_clear(folder, make, message):
    make(folder)
    with pytest.raises(StoreError, match=message) as err:
        open_project(folder)
    assert "\n" not in str(err.value)


def test_open_accepts_the_db_file_itself(folder):
    create_project(folder, Project("x")).close()
    with open_project(folder / "project.db") as pf:
        assert pf.load().name == "x"


def test_create_refuses_used_folders(folder):
    create_project(folder, Project("x")).close()
    with pytest.raises(StoreError, match="already holds"):
        create_project(folder, Project("y"))
    other = folder.parent / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not empty"):
        create_project(other, Project("y"))
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def test_secrets_in_settings_are_refused_and_failed_create_leaves_nothing(folder):
    project = Project("x", settings={"providers": {"openai_api_key": "sk-secret"}})
    with pytest.raises(StoreError, match="providers.openai_api_key"):
        create_project(folder, project)
    assert not folder.exists()


def test_save_as_copies_referenced_media_only(folder, tmp_path):
    with create_project(folder, Project("tmp")) as pf:
        names = [pf.media.put_bytes(b"song", "wav"), pf.media.put_bytes(b"img", "png"),
                 pf.media.put_bytes(b"clip", "mp4")]
        orphan = pf.media.put_bytes(b"orphan", "png")
        project = rich_project(names)
        pf.save(project)
        copy = tmp_path / "Copy.mvstudio"
        with pf.save_as(project, copy) as new:
            assert new.load() == project
            assert new.media.names() == sorted(names)
            assert all(new.media.verify(n) for n in names)
        assert pf.media.exists(orphan) and pf.load() == project
    assert referenced_media(project) == set(names)


def test_save_as_with_damaged_media_fails_and_leaves_nothing(folder, tmp_path):
    with create_project(folder, Project("tmp")) as pf:
        names = [pf.media.put_bytes(b"song", "wav"), pf.media.put_bytes(b"img", "png"),
                 pf.media.put_bytes(b"clip", "mp4")]
        pf.media.path(names[2]).write_bytes(b"bit rot")
        with pytest.raises(StoreError, match="damaged"):
            pf.save_as(rich_project(names), tmp_path / "Copy.mvstudio")
    assert not (tmp_path / "Copy.mvstudio").exists()


def _write_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x01" * int(seconds * rate))


def test_import_song_copies_audio_by_content(folder, tmp_path):
    src = tmp_path / "My Song.WAV"
    _write_wav(src, 1.5)
    with create_project(folder, Project("x")) as pf:
        song = pf.import_song(src)
        assert song.title == "My Song" and song.duration == pytest.approx(1.5, abs=0.01)
        assert song.media.endswith(".wav") and pf.media.verify(song.media)
        assert pf.import_song(src).media == song.media
        assert pf.media.names() == [song.media]
        (tmp_path / "bad.mp3").write_bytes(b"not audio at all")
        with pytest.raises(AudioError, match="bad.mp3"):
            pf.import_song(tmp_path / "bad.mp3")
        with pytest.raises(InputError):
            pf.import_song(tmp_path / "missing.wav")


def test_add_asset_is_recorded_without_a_full_save(folder):
    project = rich_project()
    with create_project(folder, project) as pf:
        extra = Asset("clip", "clip_aa", "d" * 64 + ".mp4", "4" * 64, created=5.0)
        pf.add_asset(extra)
        replaced = Asset("image", project.assets[0].owner, "e" * 64 + ".png", "5" * 64,
                         id=project.assets[0].id)
        pf.add_asset(replaced)
    loaded = reopen_load(folder)
    assert loaded.assets == [replaced, *project.assets[1:], extra]


@pytest.mark.parametrize("name, expected", [
    ("My Song", "My Song.mvstudio"),
    ('a/b\\c:d*e?"f"<g>|h', "a_b_c_d_e__f__g__h.mvstudio"),
    ("  spaced   out.  ", "spaced out.mvstudio"),
    ("CON", "_CON.mvstudio"),
    ("", "Untitled.mvstudio"),
    ("Demo.mvstudio", "Demo.mvstudio"),
])
def test_project_folder_for_sanitises(tmp_path, name, expected):
    assert project_folder_for(name, tmp_path) == tmp_path / expected
