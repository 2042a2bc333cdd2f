"""The project document: analysis, plan, clips and assets as plain dataclasses.

Every entity that the user can point at has a stable ``id``.  Times that decide cuts are integer
frames at the project rate (``Project.fps``); analysis times (beats, words) stay in float seconds as
measured and are snapped to frames where a cut is made (see ``timebase``).

Layout of the timeline::

    frame 0                                                        end_frame
    |--- clip A ---|------ clip B ------|---- clip C ----|... ---|
                   ^ cut (transition A->B)

Clips are stored in order with ``start_frame``/``end_frame``; ``check_consistency`` finds overlaps,
gaps and references to things that do not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Optional

from mvstudio.engine.analysis.settings import AnalysisSettings
from mvstudio.engine.timebase import DEFAULT_FPS, to_frame

SECTION_LABELS = ("intro", "verse", "pre-chorus", "chorus", "bridge", "instrumental", "outro")
ENERGY_LEVELS = ("low", "medium", "high")
TRANSITION_KINDS = ("cut", "crossfade", "fade", "fadeblack", "fadewhite", "wipeleft", "slideleft",
                    "circleopen", "dissolve")
ASSET_KINDS = ("song", "image", "clip", "render", "frame")  # frame: a continued shot's start


def new_id(prefix: str) -> str:
    """A short random id with a readable prefix, e.g. ``clip_3f9a1c2b``."""
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


# --------------------------------------------------------------------------- analysis


@dataclass
class Section:
    label: str
    start: float
    end: float
    energy: str = "medium"
    energy_value: float = 0.5
    id: str = field(default_factory=lambda: new_id("sec"))


@dataclass
class Word:
    text: str
    start: float
    end: float


@dataclass
class LyricLine:
    text: str
    start: float
    end: float
    words: list[Word] = field(default_factory=list)


@dataclass
class Mood:
    primary: str = "calm"
    secondary: str = ""
    energy_level: str = "medium"
    confidence: float = 0.0


@dataclass
class ClipBoundary:
    """A proposed clip slot in frames at the analysis' fps: ``[start_frame, end_frame)``."""

    start_frame: int
    end_frame: int


@dataclass
class Analysis:
    """What the song is: tempo, beats, bars, sections, energy, mood, lyrics, proposed clip slots.

    ``confidence_curve`` says how well the music supports each beat (``analysis.confidence``);
    ``lyrics`` are what the timeline shows: the ``transcript``, or the user's pasted text timed by
    it (or, without a transcript, spread over the sung sections: ``analysis.lyrics``).
    """

    duration: float
    bpm: float
    beats: list[float]
    downbeats: list[float] = field(default_factory=list)
    meter: int = 4
    sections: list[Section] = field(default_factory=list)
    beat_energy: list[float] = field(default_factory=list)
    beat_brightness: list[float] = field(default_factory=list)
    mood: Mood = field(default_factory=Mood)
    lyrics: list[LyricLine] = field(default_factory=list)
    clip_boundaries: list[ClipBoundary] = field(default_factory=list)
    fps: int = DEFAULT_FPS
    beat_confidence: float = 0.0
    tempo_confidence: float = 0.0
    audio_hash: str = ""
    settings_hash: str = ""
    fallback_used: bool = False
    processing_time: float = 0.0
    tempo_curve: list[float] = field(default_factory=list)  # local BPM at each beat
    tempo_stability: float = 0.0  # share of beats within 4% of the median tempo
    corrections_hash: str = ""  # hash of the user corrections applied ("" = none)
    settings: AnalysisSettings = field(default_factory=AnalysisSettings)  # what it was made with
    confidence_curve: list[float] = field(default_factory=list)  # 0-1 per beat ([] = unknown)
    transcript: Optional[list[LyricLine]] = None  # what a transcriber heard (None: not asked)
    id: str = field(default_factory=lambda: new_id("ana"))

    @property
    def end_frame(self) -> int:
        return to_frame(self.duration, self.fps)

    def beat_frames(self) -> list[int]:
        return [to_frame(b, self.fps) for b in self.beats]

    def downbeat_frames(self) -> list[int]:
        return [to_frame(b, self.fps) for b in self.downbeats]

    def section_at(self, seconds: float) -> Optional[Section]:
        for sec in self.sections:
            if sec.start <= seconds < sec.end:
                return sec
        return self.sections[-1] if self.sections else None


@dataclass
class SectionRelabel:
    """The user renamed a section: the one containing ``at`` seconds, else the ``index``-th."""

    index: int
    label: str
    at: Optional[float] = None


@dataclass
class BoundaryMove:
    """The user moved the start of section ``index`` (>= 1) to ``time`` seconds.

    ``original`` is where that boundary was when the user moved it; after a re-analysis the move
    applies to the boundary nearest ``original`` (if one is close), so it survives renumbering.
    """

    index: int
    time: float
    original: Optional[float] = None


@dataclass
class AnalysisCorrections:
    """What the user corrected in the analysis; re-applied after every (re)analysis.

    * ``tempo_bpm``: the right tempo (an octave relation re-levels the beats, anything else lays a
      regular grid at that tempo from the first downbeat);
    * ``phase_shift_ms``: every beat moved by this much (a frame is ``1000 / fps`` ms);
    * ``tapped_beats``: beats the user tapped (s); two or more replace tempo and phase;
    * ``relabels`` / ``boundary_moves``: section edits.
    """

    tempo_bpm: Optional[float] = None
    phase_shift_ms: float = 0.0
    tapped_beats: list[float] = field(default_factory=list)
    relabels: list[SectionRelabel] = field(default_factory=list)
    boundary_moves: list[BoundaryMove] = field(default_factory=list)

    def is_empty(self) -> bool:
        return (self.tempo_bpm is None and not self.phase_shift_ms and not self.tapped_beats
                and not self.relabels and not self.boundary_moves)


# --------------------------------------------------------------------------- plan


@dataclass
class Character:
    name: str
    description: str
    role: str = ""
    id: str = field(default_factory=lambda: new_id("char"))


@dataclass
class Scene:
    name: str
    description: str
    time_of_day: str = ""
    music_prompt: str = ""  # what its music sounds like, for a soundtrack made to the plan
    id: str = field(default_factory=lambda: new_id("scene"))


@dataclass
class StyleGuide:
    palette: list[str] = field(default_factory=list)  # hex colours "#RRGGBB"
    visual_style: str = ""
    mood: str = ""
    lighting: str = ""
    cinematography: str = ""
    keywords: list[str] = field(default_factory=list)


@dataclass
class ClipScript:
    """One clip of the video: where it sits and what it shows."""

    start_frame: int
    end_frame: int
    visual_description: str = ""
    motion: str = ""
    camera: str = ""
    characters: list[str] = field(default_factory=list)  # Character ids
    scenes: list[str] = field(default_factory=list)  # Scene ids
    lyrics_context: str = ""
    beat_intensity: str = "medium"
    seed: int = 0
    locked: bool = False
    user_edited: bool = False
    image_path: str = ""  # photo mode: the user's own picture for this clip
    last_image_path: str = ""  # photo mode: the picture its video ends on (models that take one)
    move: str = ""  # the offline animator's camera move (render.commands.MOVES; "" = by seed)
    video_model: str = ""  # registry key of the model that makes its video ("" = the project's)
    continues: bool = False  # one continuous shot with the clip before: starts on its last frame
    id: str = field(default_factory=lambda: new_id("clip"))

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame


@dataclass
class Transition:
    """The change between two clips; ``from_clip`` None is the opening, ``to_clip`` None the ending.

    ``duration_frames`` is centred on the cut: a crossfade of 14 frames at cut frame F runs from
    F-7 to F+7, so its midpoint lands on the beat.
    """

    from_clip: Optional[str]
    to_clip: Optional[str]
    kind: str = "cut"
    duration_frames: int = 0
    rationale: str = ""
    id: str = field(default_factory=lambda: new_id("tr"))


@dataclass
class Plan:
    clips: list[ClipScript]
    transitions: list[Transition] = field(default_factory=list)
    characters: list[Character] = field(default_factory=list)
    scenes: list[Scene] = field(default_factory=list)
    style: StyleGuide = field(default_factory=StyleGuide)
    summary: str = ""
    origin: str = "rules"  # "rules" | "llm" | "user"
    notes: list[str] = field(default_factory=list)
    basis: str = ""  # hash of what the plan was made from (analysis, prompt); see pipeline
    id: str = field(default_factory=lambda: new_id("plan"))

    def clip(self, clip_id: str) -> ClipScript:
        for c in self.clips:
            if c.id == clip_id:
                return c
        raise KeyError(clip_id)

    def transition_between(self, from_clip: Optional[str],
                           to_clip: Optional[str]) -> Optional[Transition]:
        """The transition from one clip to the next (None: the opening or the ending)."""
        return next((t for t in self.transitions
                     if t.from_clip == from_clip and t.to_clip == to_clip), None)

    def cut_frames(self) -> list[int]:
        """Frames where one clip ends and the next begins."""
        return [c.start_frame for c in self.clips[1:]]


# --------------------------------------------------------------------------- media


@dataclass
class Asset:
    """A generated or imported file in the project's media store.

    ``media`` is the content-addressed file name inside ``media/``; ``input_hash`` is the hash of
    everything that produced it, so a stage can tell fresh from stale.
    """

    kind: str  # one of ASSET_KINDS
    owner: str  # id of the clip, scene, character or project it belongs to
    media: str
    input_hash: str
    provider: str = ""
    model: str = ""
    cost: float = 0.0
    width: int = 0
    height: int = 0
    duration: float = 0.0
    created: float = 0.0
    id: str = field(default_factory=lambda: new_id("asset"))


@dataclass
class Song:
    title: str
    media: str  # content-addressed file in media/
    duration: float
    source_path: str = ""  # where the user's file was when imported (informational)


@dataclass
class Project:
    name: str
    prompt: str = ""
    song: Optional[Song] = None
    analysis: Optional[Analysis] = None
    plan: Optional[Plan] = None
    assets: list[Asset] = field(default_factory=list)
    fps: int = DEFAULT_FPS
    width: int = 1920
    height: int = 1080
    settings: dict = field(default_factory=dict)
    created: float = 0.0
    modified: float = 0.0
    corrections: AnalysisCorrections = field(default_factory=AnalysisCorrections)
    raw_analysis: Optional[Analysis] = None  # before the corrections; None: ``analysis`` is raw
    id: str = field(default_factory=lambda: new_id("proj"))

    def uncorrected_analysis(self) -> Optional[Analysis]:
        """The analysis as measured, before the user's corrections."""
        return self.raw_analysis if self.raw_analysis is not None else self.analysis

    def assets_for(self, owner: str, kind: str) -> list[Asset]:
        return [a for a in self.assets if a.owner == owner and a.kind == kind]

    def latest_asset(self, owner: str, kind: str) -> Optional[Asset]:
        found = self.assets_for(owner, kind)
        return max(found, key=lambda a: a.created) if found else None

    def fresh_asset(self, owner: str, kind: str, wanted_hash: str) -> Optional[Asset]:
        """The newest asset of ``owner``/``kind`` made from exactly ``wanted_hash``, if any."""
        found = [a for a in self.assets_for(owner, kind) if a.input_hash == wanted_hash]
        return max(found, key=lambda a: a.created) if found else None


# --------------------------------------------------------------------------- consistency


@dataclass(frozen=True)
class Problem:
    kind: str  # "gap" | "overlap" | "empty" | "bounds" | "dangling" | "transition" | "duplicate-id"
    message: str
    ref: str = ""


def check_consistency(project: Project) -> list[Problem]:
    """Every structural problem in the project: overlaps, gaps, dangling references.

    An empty list means the timeline covers the song exactly once and every id points somewhere.
    Assets of clips that no longer exist are not problems: they are kept so that undo can bring the
    clip back with its media.
    """
    problems: list[Problem] = []
    plan = project.plan
    if plan is None:
        return problems
    end_frame = project.analysis.end_frame if project.analysis else None
    clips = plan.clips
    if not clips:
        problems.append(Problem("empty", "the plan has no clips"))
        return problems

    ids = [c.id for c in clips] + [c.id for c in plan.characters] + [s.id for s in plan.scenes]
    ids += [t.id for t in plan.transitions]
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            problems.append(Problem("duplicate-id", f"id {i} is used twice", i))
        seen.add(i)

    if clips[0].start_frame != 0:
        problems.append(Problem("gap", f"the first clip starts at frame {clips[0].start_frame}, not 0",
                                clips[0].id))
    if end_frame is not None and clips[-1].end_frame != end_frame:
        problems.append(Problem("bounds", f"the last clip ends at frame {clips[-1].end_frame}, "
                                f"the song at frame {end_frame}", clips[-1].id))
    for c in clips:
        if c.end_frame <= c.start_frame:
            problems.append(Problem("empty", f"clip {c.id} has no length", c.id))
    for a, b in zip(clips, clips[1:]):
        if b.start_frame > a.end_frame:
            problems.append(Problem("gap", f"gap of {b.start_frame - a.end_frame} frames between "
                                    f"{a.id} and {b.id}", b.id))
        elif b.start_frame < a.end_frame:
            problems.append(Problem("overlap", f"{a.id} and {b.id} overlap by "
                                    f"{a.end_frame - b.start_frame} frames", b.id))

    characters = {c.id for c in plan.characters}
    scenes = {s.id for s in plan.scenes}
    for c in clips:
        for ref in c.characters:
            if ref not in characters:
                problems.append(Problem("dangling", f"clip {c.id} names unknown character {ref}", c.id))
        for ref in c.scenes:
            if ref not in scenes:
                problems.append(Problem("dangling", f"clip {c.id} names unknown scene {ref}", c.id))

    clip_ids = {c.id for c in clips}
    for t in plan.transitions:
        for ref in (t.from_clip, t.to_clip):
            if ref is not None and ref not in clip_ids:
                problems.append(Problem("dangling", f"transition {t.id} names unknown clip {ref}", t.id))
        if t.kind not in TRANSITION_KINDS:
            problems.append(Problem("transition", f"transition {t.id} has unknown kind {t.kind}", t.id))
        if t.duration_frames < 0:
            problems.append(Problem("transition", f"transition {t.id} has negative length", t.id))
    for a, b in zip(clips, clips[1:]):
        between = [t for t in plan.transitions if t.from_clip == a.id and t.to_clip == b.id]
        if len(between) != 1:
            problems.append(Problem("transition", f"{len(between)} transitions between {a.id} and "
                                    f"{b.id}, expected 1", b.id))
        else:
            half = between[0].duration_frames // 2 + between[0].duration_frames % 2
            if half > min(a.frames, b.frames):
                problems.append(Problem("transition", f"transition {between[0].id} is longer than "
                                        "the clips it joins", between[0].id))
    position = {c.id: i for i, c in enumerate(clips)}
    for t in plan.transitions:
        if t.from_clip in position and t.to_clip in position and \
                position[t.to_clip] != position[t.from_clip] + 1:
            problems.append(Problem("transition", f"transition {t.id} joins clips that are not "
                                    "adjacent", t.id))
    return problems
