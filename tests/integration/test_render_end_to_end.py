"""A synthesised song rendered end to end with real FFmpeg, checked on the output file itself."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest

from mvstudio.cli import main
from mvstudio.engine.demo import synthesize_demo
from mvstudio.engine.render.cuts import detect_cuts
from mvstudio.engine.render.probe import count_video_frames, probe
from mvstudio.engine.store.project_file import open_project

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One 24 s render at 1080p30, shared by the assertions below."""
    work = tmp_path_factory.mktemp("e2e")
    song = work / "song.wav"
    truth = synthesize_demo(song, duration=24.0, bpm=120.0)
    out = work / "out" / "video.mp4"
    out.parent.mkdir()
    project = work / "song.mvstudio"
    import contextlib
    import io
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["render", str(song), "--prompt", "paper boats on a night river", "-o", str(out),
                     "--project", str(project), "--json"])
    assert code == 0
    return {"out": out, "summary": json.loads(stdout.getvalue()), "truth": truth,
            "project": project, "song": song, "stderr": stderr.getvalue()}


def test_output_is_1080p30_h264_aac_as_long_as_the_song(rendered):
    info = probe(rendered["out"])
    video = next(s for s in info.streams if s.kind == "video")
    audio = next(s for s in info.streams if s.kind == "audio")
    assert video.codec == "h264" and video.pix_fmt == "yuv420p"
    assert (video.width, video.height) == (1920, 1080)
    assert video.fps == Fraction(30)
    assert audio.codec == "aac"
    assert abs(info.duration - 24.0) <= 0.1
    assert count_video_frames(rendered["out"]) == 24 * 30


def test_each_cut_lands_on_the_frame_of_its_planned_beat(rendered):
    summary = rendered["summary"]
    project = open_project(rendered["project"]).load()
    beat_frames = set(project.analysis.beat_frames())
    hard_cuts = [c["frame"] for c in summary["cuts"] if c["kind"] == "cut"]
    assert len(summary["clips"]) >= 3
    assert all(c["frame"] in beat_frames for c in summary["cuts"]), "every cut is on a beat"
    assert hard_cuts, "the demo plan has hard cuts on strong beats"
    found = detect_cuts(rendered["out"])
    # exactly the planned hard cuts: none missing, none moved, and the beat pulses inside each
    # clip are not mistaken for cuts
    assert found == sorted(hard_cuts)
    # and the planned beats are the song's real beats (within one frame of the truth)
    truth = [round(b * 30) for b in rendered["truth"].beats]
    for frame in hard_cuts:
        assert min(abs(frame - t) for t in truth) <= 1


def test_sync_audit_of_the_output_meets_the_targets(rendered):
    audit = rendered["summary"]["render"]["audit"]
    planned = rendered["summary"]["cuts"]
    assert [c["frame"] for c in audit["cuts"]] == [c["frame"] for c in planned]
    assert audit["ok"] and audit["missed"] == []
    assert all(abs(c["offset_frames"]) <= 1 for c in audit["cuts"])
    assert audit["max_offset_ms"] <= 1000 / 30 and audit["av_difference"] <= 0.1
    saved = rendered["out"].with_name("video.audit.json")
    assert json.loads(saved.read_text()) == audit
    line = re.search(r"^sync: (\d+) cuts, max offset [\d.]+ frames \([\d.]+ ms\), "
                     r"\|video-audio\| [\d.]+ s$", rendered["stderr"], re.MULTILINE)
    assert line and int(line.group(1)) == len(planned)


def test_a_second_run_reuses_every_generated_clip(rendered, tmp_path):
    """Re-rendering a saved project makes no new stills or clips."""
    before = open_project(rendered["project"]).load()
    out = tmp_path / "again.mp4"
    code = main(["render", str(rendered["song"]), "--prompt", "paper boats on a night river",
                 "-o", str(out), "--project", str(rendered["project"])])
    assert code == 0 and out.exists()
    after = open_project(rendered["project"]).load()
    assert len(after.assets) == len(before.assets)
