"""Timeline exports: the OTIO file loads back with the project's frame-exact cuts, transitions
centred as the renderer plays them and markers for the music; FCPXML and EDL keep the same cuts;
lyrics become SRT and WebVTT."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime, TimeRange

from media_factory import tone_wav
from mvstudio.engine.errors import InputError
from mvstudio.engine.export import export_project, format_for
from mvstudio.engine.export.subtitles import srt, vtt
from mvstudio.engine.model import Asset, LyricLine, Project, Word, check_consistency
from mvstudio.engine.planning.rules import plan_from_rules
from mvstudio.engine.render.commands import Cut
from mvstudio.engine.store.project_file import ProjectFile, create_project
from mvstudio.engine.timebase import to_frame
from test_planning_rules import make_analysis

FPS = 30
LYRICS = [LyricLine("we ride the night", 10.0, 12.5,
                    [Word("we", 10.0, 10.4), Word("ride", 10.4, 11.0)]),
          LyricLine("R&B <3 until   dawn", 14.25, 16.0)]


def make_store(folder: Path) -> tuple[ProjectFile, Project]:
    """A saved project: 30 s, rule plan with a 15-frame crossfade and a 10-frame wipe, end fades,
    lyrics, a video in the media store for every clip but the last."""
    analysis = make_analysis(30.0, 120.0, 0.1, "dark", 3)
    analysis.lyrics = list(LYRICS)
    plan = plan_from_rules(analysis, "a night ride", seed=1)
    inner = [t for t in plan.transitions if t.from_clip and t.to_clip]
    inner[0].kind, inner[0].duration_frames = "crossfade", 15
    inner[2].kind, inner[2].duration_frames = "wipeleft", 10
    project = Project(name="Export", prompt="a night ride", analysis=analysis, plan=plan, fps=FPS)
    assert check_consistency(project) == []
    store = create_project(folder / "Export.mvstudio", project)
    project.song = store.import_song(tone_wav(folder / "song.wav", 30.0), duration=30.0)
    for i, clip in enumerate(plan.clips[:-1]):
        media = store.media.put_bytes(f"video of clip {i}".encode(), "mp4")
        project.assets.append(Asset("clip", clip.id, media, f"h{i}", duration=(clip.frames + 30) / FPS,
                                    created=float(i)))
    store.save(project)
    return store, project


@pytest.fixture
def saved(tmp_path):
    store, project = make_store(tmp_path)
    yield store, project
    store.close()


def rt(frame: int) -> RationalTime:
    return RationalTime(frame, FPS)


def incoming_leads(project: Project) -> list[int]:
    """Frames each clip's video plays before its slot (the renderer's ``Cut.lead``)."""
    plan = project.plan
    leads = [0]
    for a, b in zip(plan.clips, plan.clips[1:]):
        t = plan.transition_between(a.id, b.id)
        leads.append(Cut(b.start_frame, t.kind, t.duration_frames).lead)
    return leads


def test_the_otio_timeline_loads_back_with_frame_exact_cuts(saved, tmp_path):
    store, project = saved
    out = export_project(store, project, "otio", tmp_path / "cut.otio")
    timeline = otio.adapters.read_from_file(str(out))
    video, song = timeline.video_tracks()[0], timeline.audio_tracks()[0]
    clips = video.find_clips()
    plan = project.plan
    assert len(clips) == len(plan.clips)
    assert timeline.duration() == rt(project.analysis.end_frame)
    for clip, script, lead in zip(clips, plan.clips, incoming_leads(project)):
        assert video.range_of_child(clip) == TimeRange(rt(script.start_frame), rt(script.frames))
        assert clip.source_range == TimeRange(rt(lead), rt(script.frames))
        assert clip.metadata["mvstudio"]["id"] == script.id
    for clip, asset in zip(clips[:-1], [project.latest_asset(c.id, "clip") for c in plan.clips]):
        assert clip.media_reference.target_url == store.media.path(asset.media).resolve().as_uri()
        assert Path(clip.media_reference.target_url.removeprefix("file://")).is_file()
    assert isinstance(clips[-1].media_reference, otio.schema.MissingReference)
    assert song.find_clips()[0].media_reference.target_url.endswith(project.song.media)
    assert song.duration() == rt(project.analysis.end_frame)


def test_transitions_sit_on_their_cuts_as_the_renderer_plays_them(saved, tmp_path):
    store, project = saved
    timeline = otio.adapters.read_from_file(
        str(export_project(store, project, "otio", tmp_path / "cut.otio")))
    video = timeline.video_tracks()[0]
    found = [(i, item) for i, item in enumerate(video) if isinstance(item, otio.schema.Transition)]
    plan = project.plan
    expected = [t for t in plan.transitions if t.kind != "cut" and t.duration_frames]
    assert [item.metadata["mvstudio"]["id"] for _, item in found] == [t.id for t in expected]
    for (index, item), t in zip(found, expected):
        frames = t.duration_frames
        if t.from_clip is None:
            assert index == 0 and (item.in_offset, item.out_offset) == (rt(0), rt(frames))
        elif t.to_clip is None:
            assert index == len(video) - 1
            assert (item.in_offset, item.out_offset) == (rt(frames), rt(0))
        else:  # centred on the cut (15 frames play as 14: an odd length cannot centre)
            before, after = video[index - 1], video[index + 1]
            assert (before.metadata["mvstudio"]["id"], after.metadata["mvstudio"]["id"]) == \
                (t.from_clip, t.to_clip)
            assert item.in_offset == item.out_offset == rt(frames // 2)
            cut = video.range_of_child(after).start_time
            assert cut == rt(plan.clip(t.to_clip).start_frame)
            assert after.source_range.start_time >= item.in_offset  # the lead comes from media
    kinds = {item.name: item.transition_type for _, item in found}
    assert kinds["crossfade"] == otio.schema.TransitionTypes.SMPTE_Dissolve
    assert kinds["wipeleft"] == otio.schema.TransitionTypes.Custom


def test_markers_mark_beats_downbeats_sections_and_lyric_lines(saved, tmp_path):
    store, project = saved
    timeline = otio.adapters.read_from_file(
        str(export_project(store, project, "otio", tmp_path / "cut.otio")))
    by_kind: dict[str, list] = {}
    for marker in timeline.tracks.markers:
        by_kind.setdefault(marker.metadata["mvstudio"]["kind"], []).append(marker)
    a = project.analysis
    starts = lambda kind: [m.marked_range.start_time for m in by_kind[kind]]  # noqa: E731
    assert starts("downbeat") == [rt(f) for f in a.downbeat_frames()]
    assert sorted(starts("beat") + starts("downbeat")) == [rt(f) for f in a.beat_frames()]
    assert by_kind["downbeat"][1].name == "bar 2"
    assert [m.marked_range for m in by_kind["section"]] == [
        TimeRange(rt(to_frame(s.start, FPS)), rt(to_frame(s.end, FPS) - to_frame(s.start, FPS)))
        for s in a.sections]
    assert [m.name for m in by_kind["section"]] == [s.label for s in a.sections]
    assert [(m.name, m.marked_range) for m in by_kind["lyric"]] == [
        ("we ride the night", TimeRange(rt(300), rt(75))),
        ("R&B <3 until   dawn", TimeRange(rt(428), rt(52)))]


def _seconds(value: str) -> Fraction:
    return Fraction(value.removesuffix("s"))


def test_fcpxml_keeps_the_cuts_and_the_markers(saved, tmp_path):
    store, project = saved
    root = ET.parse(export_project(store, project, "fcpxml", tmp_path / "cut.fcpxml")).getroot()
    spine = root.find("./project/sequence/spine")
    clips = [c for c in spine.findall("clip") if c.get("lane") is None]
    assert [(_seconds(c.get("offset")), _seconds(c.get("duration"))) for c in clips] == [
        (Fraction(c.start_frame, FPS), Fraction(c.frames, FPS)) for c in project.plan.clips]
    song = spine.find(".//clip[@lane='-1']")
    assert song is not None and len(song.findall("marker")) > len(project.analysis.beats)
    sources = {a.get("src") for a in root.iter("asset")}
    assert store.media.path(project.song.media).resolve().as_uri() in sources


def _timecode(frame: int) -> str:
    s, f = divmod(frame, FPS)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{f:02d}"


def test_the_edl_has_every_cut_and_dissolve_at_its_record_time(saved, tmp_path):
    store, project = saved
    text = export_project(store, project, "edl", tmp_path / "cut.edl").read_text()
    events = [line.split() for line in text.splitlines() if line[:3].isdigit()]
    record_in = {e[-2]: e for e in events}
    plan = project.plan
    for a, b in zip(plan.clips, plan.clips[1:]):
        t = plan.transition_between(a.id, b.id)
        if t.kind == "cut":
            assert _timecode(b.start_frame) in record_in
        else:
            cut = Cut(b.start_frame, t.kind, t.duration_frames)
            event = record_in[_timecode(b.start_frame - cut.lead)]
            assert event[3:5] == ["D", f"{cut.overlap:03d}"]
    assert events[-1][-1] == _timecode(project.analysis.end_frame)


def test_lyrics_become_srt_and_webvtt(saved, tmp_path):
    store, project = saved
    assert srt(project.analysis) == (
        "1\n00:00:10,000 --> 00:00:12,500\nwe ride the night\n\n"
        "2\n00:00:14,250 --> 00:00:16,000\nR&B <3 until dawn\n\n")
    assert vtt(project.analysis) == (
        "WEBVTT\n\n00:00:10.000 --> 00:00:12.500\nwe ride the night\n\n"
        "00:00:14.250 --> 00:00:16.000\nR&amp;B &lt;3 until dawn\n\n")
    out = export_project(store, project, "vtt", tmp_path / "lyrics.vtt")
    assert out.read_text(encoding="utf-8") == vtt(project.analysis)
    project.analysis.lyrics = []
    with pytest.raises(InputError, match="no lyrics"):
        export_project(store, project, "srt", tmp_path / "none.srt")
    assert not (tmp_path / "none.srt").exists() and not list(tmp_path.glob(".none.srt*"))


def test_formats_come_from_the_suffix_and_bad_requests_say_why(saved, tmp_path, monkeypatch):
    store, project = saved
    assert format_for(Path("x.FCPXML")) == "fcpxml" and format_for(Path("x.txt"), "edl") == "edl"
    with pytest.raises(InputError, match="cannot tell"):
        format_for(Path("x.txt"))
    with pytest.raises(InputError, match="no plan"):
        export_project(store, Project(name="empty"), "otio", tmp_path / "x.otio")
    monkeypatch.setattr(otio.adapters, "available_adapter_names", lambda: ["otio_json"])
    with pytest.raises(InputError, match="pip install otio-fcpx-xml-adapter"):
        export_project(store, project, "fcpxml", tmp_path / "x.fcpxml")
