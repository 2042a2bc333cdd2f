"""The edited timeline as an OpenTimelineIO ``Timeline``, and editors' files written from it.

Time is rational at the project rate: every clip's range is its frame-exact slot.  A transition
sits on its cut as the renderer plays it (``render.commands.Cut``): the incoming clip starts
``lead`` frames before the cut (OTIO ``in_offset``), the outgoing one runs ``tail`` frames past it
(``out_offset``), so each clip's ``source_range`` starts ``lead`` frames into its video::

    clip A  ....|==========|--tail-->            in_offset = lead, out_offset = tail
    clip B            <--lead--|==========|...   (OTIO: the transition covers cut-lead..cut+tail)
                               ^ cut

The opening and ending fades (from and to black) are transitions at the ends of the video track.
Markers on the timeline mark beats (downbeats named "bar N"), sections and lyric lines; a second
track holds the song.  FCPXML (its adapter writes the markers of clips only, and no transitions)
gets the markers on the song; CMX EDL has one video track, cuts and dissolves, and no markers.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from mvstudio.engine.errors import InputError
from mvstudio.engine.model import Analysis, Project, Transition
from mvstudio.engine.render.commands import Cut
from mvstudio.engine.store.media import MediaStore
from mvstudio.engine.timebase import to_frame

DISSOLVES = ("crossfade", "dissolve")  # kinds an editor knows as a plain cross dissolve
ADAPTERS = {"otio": "otio_json", "fcpxml": "fcpx_xml", "edl": "cmx_3600"}
ADAPTER_PACKAGES = {"fcpx_xml": "otio-fcpx-xml-adapter", "cmx_3600": "otio-cmx3600-adapter"}


def _meta(**values) -> dict:
    return {"mvstudio": values}


class _Builder:
    """Builds one timeline; ``t(frame)`` is a time at the project rate."""

    def __init__(self, project: Project, media: MediaStore):
        if project.plan is None or project.analysis is None or not project.plan.clips:
            raise InputError("nothing to export yet: the project has no plan (run Plan first)")
        self.project, self.media, self.fps = project, media, project.fps

    def t(self, frame: int) -> RationalTime:
        return RationalTime(frame, self.fps)

    def span(self, start: int, end: int) -> TimeRange:
        return TimeRange(self.t(start), self.t(max(end - start, 0)))

    def reference(self, name: str, media: str, duration: float) -> otio.core.MediaReference:
        if not media or not self.media.exists(media):
            return otio.schema.MissingReference(name=name)
        frames = to_frame(duration, self.fps) if duration else None
        return otio.schema.ExternalReference(
            target_url=self.media.path(media).resolve().as_uri(),
            available_range=self.span(0, frames) if frames else None)

    def transition(self, t: Transition, before: int, after: int) -> otio.schema.Transition:
        """``t`` covering ``before`` frames before its cut and ``after`` frames after it."""
        kind = otio.schema.TransitionTypes.SMPTE_Dissolve if t.kind in DISSOLVES \
            else otio.schema.TransitionTypes.Custom
        return otio.schema.Transition(t.kind, kind, self.t(before), self.t(after),
                                      _meta(kind=t.kind, id=t.id))

    def video_track(self) -> otio.schema.Track:
        plan = self.project.plan
        track = otio.schema.Track("Video", kind=otio.schema.TrackKind.Video)
        opening = plan.transition_between(None, plan.clips[0].id)
        if opening and opening.kind != "cut" and opening.duration_frames:
            track.append(self.transition(opening, 0, opening.duration_frames))
        lead = 0
        for i, clip in enumerate(plan.clips):
            asset = self.project.latest_asset(clip.id, "clip")
            ref = self.reference(f"clip {i + 1} (not generated yet)",
                                 asset.media if asset else "", asset.duration if asset else 0.0)
            track.append(otio.schema.Clip(
                f"clip {i + 1}", ref, TimeRange(self.t(lead), self.t(clip.frames)),
                _meta(id=clip.id, description=clip.visual_description, camera=clip.camera,
                      motion=clip.motion, start_frame=clip.start_frame,
                      end_frame=clip.end_frame)))
            after = plan.clips[i + 1] if i + 1 < len(plan.clips) else None
            t = plan.transition_between(clip.id, after.id if after else None)
            cut = Cut(clip.end_frame, t.kind, t.duration_frames) if t else Cut(clip.end_frame)
            if after is None and cut.overlap:
                track.append(self.transition(t, cut.overlap, 0))
            elif cut.overlap:
                track.append(self.transition(t, cut.lead, cut.tail))
            lead = cut.lead
        return track

    def song_track(self) -> otio.schema.Track:
        song = self.project.song
        title = song.title if song else "song"
        ref = self.reference(title, song.media if song else "", song.duration if song else 0.0)
        track = otio.schema.Track("Song", kind=otio.schema.TrackKind.Audio)
        track.append(otio.schema.Clip(title, ref, self.span(0, self.project.analysis.end_frame)))
        return track

    def markers(self) -> list[otio.schema.Marker]:
        a = self.project.analysis
        return [*self.beat_markers(a), *(
            otio.schema.Marker(s.label, self.seconds_span(s.start, s.end),
                               otio.schema.MarkerColor.BLUE,
                               _meta(kind="section", energy=s.energy)) for s in a.sections), *(
            otio.schema.Marker(line.text, self.seconds_span(line.start, line.end),
                               otio.schema.MarkerColor.PURPLE, _meta(kind="lyric"))
            for line in a.lyrics if line.text.strip())]

    def seconds_span(self, start: float, end: float) -> TimeRange:
        return self.span(to_frame(start, self.fps), to_frame(end, self.fps))

    def beat_markers(self, a: Analysis) -> list[otio.schema.Marker]:
        """A marker per beat: "bar N" (red) on downbeats, "beat N.k" (green) on the others."""
        downbeats = set(a.downbeat_frames())
        out, bar, beat = [], 0, 0
        for frame in sorted(set(a.beat_frames()) | downbeats):
            if frame in downbeats:
                bar, beat = bar + 1, 1
                out.append(otio.schema.Marker(f"bar {bar}", self.span(frame, frame),
                                              otio.schema.MarkerColor.RED, _meta(kind="downbeat")))
            else:
                beat += 1
                out.append(otio.schema.Marker(f"beat {bar}.{beat}", self.span(frame, frame),
                                              otio.schema.MarkerColor.GREEN, _meta(kind="beat")))
        return out


def build_timeline(project: Project, media: MediaStore) -> otio.schema.Timeline:
    """The project's edited timeline (see the module doc); clips reference ``media`` files."""
    b = _Builder(project, media)
    a = project.analysis
    timeline = otio.schema.Timeline(
        project.name, global_start_time=b.t(0),
        metadata=_meta(prompt=project.prompt, fps=project.fps, width=project.width,
                       height=project.height, bpm=a.bpm, summary=project.plan.summary))
    timeline.tracks.append(b.video_track())
    timeline.tracks.append(b.song_track())
    timeline.tracks.markers.extend(b.markers())
    return timeline


def write_timeline(project: Project, media: MediaStore, fmt: str, out: Path) -> None:
    """Write the timeline to ``out`` as ``fmt`` ("otio", "fcpxml" or "edl")."""
    adapter = ADAPTERS[fmt]
    if adapter not in otio.adapters.available_adapter_names():
        raise InputError(f"{fmt} export needs the OpenTimelineIO adapter "
                         f"{ADAPTER_PACKAGES[adapter]} (pip install {ADAPTER_PACKAGES[adapter]})")
    timeline = build_timeline(project, media)
    options = {"rate": project.fps} if adapter == "cmx_3600" else {}
    if adapter == "fcpx_xml":  # the adapter writes the markers of clips only: give them the song's
        markers = list(timeline.tracks.markers)
        timeline.tracks.markers.clear()
        timeline.audio_tracks()[0][0].markers.extend(markers)
    text = otio.adapters.write_to_string(timeline, adapter, **options)
    out.write_text(text, encoding="utf-8")
