"""`mvstudio plan SONG --prompt TEXT --json` prints a plan a script can use."""

import json

from mvstudio.cli import main
from mvstudio.engine.demo import synthesize_demo
from mvstudio.engine.planning.prompts import MAX_WORDS


def test_plan_for_a_song_prints_every_clip_with_its_prompt(tmp_path, capsys):
    song = tmp_path / "song.wav"
    truth = synthesize_demo(song, duration=20.0, bpm=120.0)
    assert main(["plan", str(song), "--prompt", "a hip hop video about rain", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["origin"] == "rules" and report["style"]["visual_style"].startswith("urban")
    clips = report["clips"]
    assert clips[0]["start"] == 0.0 and abs(clips[-1]["end"] - 20.0) < 0.05
    assert all(a["end"] == b["start"] for a, b in zip(clips, clips[1:]))
    beats = {round(b * 30) for b in truth.beats}
    assert all(min(abs(c["start_frame"] - b) for b in beats) <= 1 for c in clips[1:])
    assert all(0 < len(c["prompt"].split()) <= MAX_WORDS and c["negative_prompt"] for c in clips)
    assert len(report["transitions"]) == len(clips) + 1


def test_plan_without_a_song_or_a_duration_is_one_clear_line(capsys):
    try:
        main(["plan", "--prompt", "anything"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "needs a SONG, or --duration" in capsys.readouterr().err
