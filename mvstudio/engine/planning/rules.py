"""The rule-based director: a complete plan from the analysis and the prompt, offline.

It follows the director knowledge in ``resources/director.json``: the song's mood picks palette and
lighting, each clip's energy picks camera and motion, the section type picks the shot, and the beat
under each cut picks the transition (hard cut on strong beats, crossfade on soft ones, fades at the
ends), a genre named in the prompt picks the look, and lyric themes add visual metaphors.  The
result is deterministic for a given analysis, prompt and seed.
"""

from __future__ import annotations

import random
import re
from bisect import bisect_left
from typing import Callable

from mvstudio.engine.hashing import input_hash
from mvstudio.engine.model import (Analysis, Character, ClipBoundary, ClipScript, Plan, Scene,
                                   StyleGuide, Transition)
from mvstudio.engine.resources import load_json
from mvstudio.engine.timebase import to_frame, to_seconds

TRANSITION_FRAMES_CAP = 0.4
_WORD = re.compile(r"[a-z0-9&'-]+")  # a transition never takes more than this share of either clip


def director() -> dict:
    return load_json("director.json")


def plan_from_rules(analysis: Analysis, prompt: str, seed: int = 0,
                    boundaries: list[ClipBoundary] | None = None) -> Plan:
    """A full plan: style, one character, a scene per section type, scripts and transitions."""
    knowledge = director()
    rng = random.Random(input_hash("rules", prompt, analysis.audio_hash, seed))
    subject = subject_of(prompt)
    style = _style(analysis, prompt, knowledge)
    character = Character(name="Protagonist", role="main character",
                          description=f"the central figure of {subject}")
    scenes = _scenes(analysis, subject, knowledge)
    slots = boundaries if boundaries is not None else analysis.clip_boundaries
    clips = [_script(analysis, slot, i, subject, character, scenes, knowledge, rng)
             for i, slot in enumerate(slots)]
    plan = Plan(clips=clips, characters=[character], scenes=list(scenes.values()), style=style,
                summary=f"A {style.mood} music video: {subject}.", origin="rules")
    plan.transitions = plan_transitions(analysis, clips, knowledge)
    return plan


SUBJECT_WORDS = 40  # the prompt's first words name the subject in every description


def subject_of(prompt: str) -> str:
    """What every clip shows: the prompt's first words (or a stand-in for an empty prompt)."""
    text = " ".join(prompt.split()[:SUBJECT_WORDS]).strip().rstrip(".")
    return text or "an abstract journey through light and colour"


def word_hits(text: str, words: list[str]) -> int:
    """How many of ``words`` (each maybe several words) ``text`` holds as whole words."""
    padded = " " + " ".join(_WORD.findall(text.lower())) + " "
    return sum(f" {w} " in padded for w in words)


def _matches(text: str, words: list[str]) -> bool:
    return word_hits(text, words) > 0


def genre_preset(prompt: str, knowledge: dict) -> dict | None:
    """The director's genre preset the prompt names (``director.json`` ``genres``), if any."""
    return next((g for g in knowledge["genres"].values() if _matches(prompt, g["words"])), None)


def lyric_metaphor(lyrics: str, knowledge: dict) -> str:
    """A visual metaphor for the first lyric theme the words touch (``lyric_themes``), or ""."""
    return next((t["metaphor"] for t in knowledge["lyric_themes"].values()
                 if _matches(lyrics, t["words"])), "")


def _style(analysis: Analysis, prompt: str, knowledge: dict) -> StyleGuide:
    mood = knowledge["moods"].get(analysis.mood.primary, knowledge["moods"]["calm"])
    energy = knowledge["energy"].get(analysis.mood.energy_level, knowledge["energy"]["medium"])
    genre = genre_preset(prompt, knowledge) or {}
    return StyleGuide(
        palette=list(mood["palette"]),
        visual_style=genre.get("visual_style", mood["visual_style"]),
        mood=analysis.mood.primary if not analysis.mood.secondary
        else f"{analysis.mood.primary}, {analysis.mood.secondary}",
        lighting=mood["lighting"],
        cinematography=genre.get("cinematography", energy["camera"]),
        keywords=list(dict.fromkeys([*genre.get("keywords", []), *mood["keywords"]])),
    )


def _scenes(analysis: Analysis, subject: str, knowledge: dict) -> dict[str, Scene]:
    labels = list(dict.fromkeys(s.label for s in analysis.sections)) or ["verse"]
    scenes = {}
    for label in labels:
        info = knowledge["sections"].get(label, knowledge["sections"]["verse"])
        scenes[label] = Scene(name=label.capitalize(),
                              description=f"{info['scene']}: {subject}",
                              time_of_day="night" if analysis.mood.primary == "dark" else "day")
    return scenes


def _clip_energy(analysis: Analysis, start: float, end: float) -> str:
    """'low', 'medium' or 'high' from the mean beat energy inside the clip."""
    if not analysis.beat_energy or not analysis.beats:
        section = analysis.section_at(start)
        return section.energy if section else "medium"
    lo, hi = bisect_left(analysis.beats, start), bisect_left(analysis.beats, end)
    values = analysis.beat_energy[lo:hi] or analysis.beat_energy[max(lo - 1, 0):lo + 1]
    mean = sum(values) / len(values)
    return "low" if mean < 0.35 else "high" if mean > 0.65 else "medium"


def _lyrics_between(analysis: Analysis, start: float, end: float) -> str:
    return " ".join(line.text for line in analysis.lyrics if start <= line.start < end)


def _script(analysis: Analysis, slot: ClipBoundary, index: int, subject: str,
            character: Character, scenes: dict[str, Scene], knowledge: dict,
            rng: random.Random) -> ClipScript:
    start, end = float(to_seconds(slot.start_frame, analysis.fps)), float(
        to_seconds(slot.end_frame, analysis.fps))
    section = analysis.section_at(start)
    label = section.label if section else "verse"
    energy = _clip_energy(analysis, start, end)
    shots = knowledge["sections"].get(label, knowledge["sections"]["verse"])["shots"]
    feel = knowledge["energy"][energy]
    scene = scenes.get(label) or next(iter(scenes.values()))
    lyrics = _lyrics_between(analysis, start, end)
    metaphor = lyric_metaphor(lyrics, knowledge)
    return ClipScript(
        start_frame=slot.start_frame, end_frame=slot.end_frame,
        visual_description=f"{shots[index % len(shots)].capitalize()}: {subject}"
        + (f", {metaphor}" if metaphor else ""),
        motion=feel["motion"], camera=feel["camera"],
        characters=[character.id], scenes=[scene.id],
        lyrics_context=lyrics,
        beat_intensity=feel["intensity"], seed=rng.randrange(1, 2**31))


def _beat_strength(analysis: Analysis, frame: int) -> str:
    """'section', 'strong', 'medium' or 'soft' for a cut at ``frame``."""
    fps = analysis.fps
    if any(to_frame(s.start, fps) == frame for s in analysis.sections[1:]):
        return "section"
    if frame in set(analysis.downbeat_frames()):
        return "strong"
    beats = analysis.beat_frames()
    i = bisect_left(beats, frame)
    if i < len(beats) and beats[i] == frame and analysis.beat_energy:
        energy = analysis.beat_energy[min(i, len(analysis.beat_energy) - 1)]
        return "medium" if energy >= 0.5 else "soft"
    return "soft"


def plan_transitions(analysis: Analysis, clips: list[ClipScript],
                     knowledge: dict | None = None) -> list[Transition]:
    """One transition per cut, chosen by the beat under it, plus the opening and ending fades."""
    rules = (knowledge or director())["transitions"]
    fps = analysis.fps

    def make(rule: dict, a: ClipScript | None, b: ClipScript | None) -> Transition:
        frames = round(rule["seconds"] * fps)
        limit = int(min(c.frames for c in (a, b) if c is not None) * TRANSITION_FRAMES_CAP)
        frames = min(frames, limit)
        kind = rule["kind"] if frames > 0 or rule["kind"] == "cut" else "cut"
        return Transition(a.id if a else None, b.id if b else None, kind, frames, rule["rationale"])

    transitions = [make(rules["opening"], None, clips[0])] if clips else []
    for a, b in zip(clips, clips[1:]):
        transitions.append(make(rules[_beat_strength(analysis, b.start_frame)], a, b))
    if clips:
        transitions.append(make(rules["ending"], clips[-1], None))
    return transitions


class RulePlanner:
    """Offline ``Planner``: the rule-based director."""

    name = "rules"

    async def plan(self, analysis: Analysis, prompt: str, seed: int, **_context) -> Plan:
        return plan_from_rules(analysis, prompt, seed)


class OfflinePlanner:
    """``Planner`` whose plan is ``make(analysis, prompt, seed)``: an offline director made for one
    kind of project (a prompt-only story, a photo scene template)."""

    def __init__(self, name: str, make: Callable[[Analysis, str, int], Plan]):
        self.name, self.make = name, make

    async def plan(self, analysis: Analysis, prompt: str, seed: int, **_context) -> Plan:
        return self.make(analysis, prompt, seed)
