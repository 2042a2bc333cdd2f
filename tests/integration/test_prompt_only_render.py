"""Prompt-only from the command line: a plan with music prompts, and a render with no song."""

from __future__ import annotations

import json

import pytest

from mvstudio.cli import main
from mvstudio.engine.render.cuts import detect_cuts
from mvstudio.engine.render.probe import count_video_frames, probe
from mvstudio.engine.store.project_file import open_project

PROMPT = "a 12-second ad for a neon skateboard, energetic electronic"


def test_plan_prints_scenes_with_music_prompts(capsys):
    assert main(["plan", "--prompt", PROMPT, "--duration", "30", "--template", "ad",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["duration"] == 30 and data["bpm"] == 124  # the electronic genre's tempo
    assert [s["name"] for s in data["scenes"]][:2] == ["1. Hook", "2. Problem"]
    assert all("124 BPM" in s["music_prompt"] for s in data["scenes"])
    assert data["clips"][-1]["end"] == 30


@pytest.mark.parametrize("args, words", [
    (["--duration", "2"], "5-600 s"), (["--duration", "30", "--bpm", "500"], "BPM"),
    (["--duration", "30", "--template", "opera"], "template")])
def test_bad_prompt_only_input_is_one_line_and_exit_2(tmp_path, capsys, args, words):
    out = tmp_path / "o.mp4"
    code = main(["render", "--prompt-only", "--prompt", PROMPT, "-o", str(out), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("mvstudio: error: ") and words in err[-1]
    assert not out.exists() and "Traceback" not in "\n".join(err)


@pytest.mark.slow
def test_a_prompt_alone_renders_to_a_video_of_its_length(tmp_path, capsys):
    out, project = tmp_path / "ad.mp4", tmp_path / "ad.mvstudio"
    code = main(["render", "--prompt-only", "--prompt", PROMPT, "--duration", "12",
                 "-o", str(out), "--size", "640x360", "--project", str(project), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    info = probe(out)
    assert abs(info.duration - 12.0) <= 0.1 and count_video_frames(out) == 12 * 30
    assert abs(summary["bpm"] - 124) <= 2
    saved = open_project(project).load()
    assert saved.settings["story"]["template"] == "ad"
    assert all(s.music_prompt for s in saved.plan.scenes)
    beats = set(saved.analysis.beat_frames())
    assert all(c["frame"] in beats for c in summary["cuts"])
    hard = sorted(c["frame"] for c in summary["cuts"] if c["kind"] == "cut")
    assert detect_cuts(out) == hard
