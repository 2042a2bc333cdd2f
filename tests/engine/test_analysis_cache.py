"""Analysis cache (content hash + settings), and the ``mvstudio analyze`` command around it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fakes.openai_server import FakeOpenAI

from mvstudio.cli import main
from mvstudio.engine.analysis import analyze as analyze_module
from mvstudio.engine.analysis.cache import AnalysisCache, analyze_cached
from mvstudio.engine.analysis.corrections import apply_corrections
from mvstudio.engine.analysis.settings import AnalysisSettings
from mvstudio.engine.demo import synthesize_demo
from mvstudio.engine.model import AnalysisCorrections


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cache") / "song.wav"
    synthesize_demo(path, duration=20.0)
    return path


def forbid_analysis(monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise AssertionError("analysed although the result was cached")

    monkeypatch.setattr(analyze_module, "analyze", fail)


def test_second_run_is_a_hit_without_recomputation(song, tmp_path, monkeypatch):
    cache = AnalysisCache(tmp_path / "c")
    first, hit = analyze_cached(song, 30, cache=cache)
    assert not hit
    forbid_analysis(monkeypatch)
    began = time.perf_counter()
    again, hit = analyze_cached(song, 30, cache=cache)
    assert hit and time.perf_counter() - began < 0.2
    assert again == first


def test_settings_fps_and_audio_are_part_of_the_key(song, tmp_path):
    cache = AnalysisCache(tmp_path / "c")
    analyze_cached(song, 30, cache=cache)
    assert not analyze_cached(song, 24, cache=cache)[1]
    assert not analyze_cached(song, 30, AnalysisSettings(max_clip_s=6.0), cache=cache)[1]
    other = tmp_path / "other.wav"
    other.write_bytes(song.read_bytes()[:-2000])  # different content, same name elsewhere
    assert not analyze_cached(other, 30, cache=cache)[1]
    assert analyze_cached(song, 30, cache=cache)[1]


def test_damaged_or_unwritable_cache_is_only_a_miss(song, tmp_path):
    cache = AnalysisCache(tmp_path / "c")
    analyze_cached(song, 30, cache=cache)
    for entry in cache.folder.glob("*.json"):
        entry.write_text("{not json")
    assert not analyze_cached(song, 30, cache=cache)[1]
    assert analyze_cached(song, 30, cache=cache)[1]  # rewritten
    blocked = tmp_path / "file"
    blocked.write_text("x")  # a file where the cache folder should be
    analysis, hit = analyze_cached(song, 30, cache=AnalysisCache(blocked / "c"))
    assert not hit and analysis.beats


def test_corrected_analyses_are_not_cached(song, tmp_path):
    cache = AnalysisCache(tmp_path / "c")
    raw, _ = analyze_cached(song, 30, cache=cache)
    corrected = apply_corrections(raw, AnalysisCorrections(phase_shift_ms=30.0))
    cache.put(corrected)
    assert cache.get(raw.audio_hash, raw.settings_hash) == raw


def test_cli_analyze_json_uses_the_cache(song, capsys, monkeypatch):
    assert main(["analyze", str(song), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["metadata"]["cache_hit"] is False and data["lyrics"] == []
    assert {"downbeats", "meter", "tempo_curve", "energy_curve"} <= set(data)
    assert data["metadata"]["tempo_stability"] > 0.8
    forbid_analysis(monkeypatch)
    assert main(["analyze", str(song), "--json"]) == 0
    cached = json.loads(capsys.readouterr().out)
    assert cached["metadata"]["cache_hit"] is True
    assert cached["beat_timestamps"] == data["beat_timestamps"]
    assert cached["metadata"]["processing_time"] < data["metadata"]["processing_time"]
    monkeypatch.undo()
    assert main(["analyze", str(song), "--json", "--no-cache"]) == 0
    assert json.loads(capsys.readouterr().out)["metadata"]["cache_hit"] is False


def test_cli_lyrics_need_a_key(song, capsys):
    assert main(["analyze", str(song), "--lyrics"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mvstudio: error: --lyrics needs an OpenAI API key") and "\n" not in err


def test_cli_lyrics_through_openai(song, capsys, monkeypatch):
    with FakeOpenAI() as fake:
        monkeypatch.setenv("OPENAI_API_KEY", fake.key)
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        assert main(["analyze", str(song), "--json", "--lyrics"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert [line["text"] for line in data["lyrics"]] == ["Hello city lights.", "Shine on me."]
        assert data["lyrics"][0]["timestamp"] == 0.4
        assert data["lyrics"][0]["words"][1] == {"text": "city", "start": 0.9, "end": 1.3}
        assert main(["analyze", str(song), "--json", "--lyrics"]) == 0  # lyrics cached too
        assert len(fake.requests) == 1
        capsys.readouterr()
