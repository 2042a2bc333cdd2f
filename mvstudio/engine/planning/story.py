"""The story of a prompt-only video: which story beats, where they sit, what their music is.

``compose_story`` reads ``resources/story_beats.json``: the template (ad, story, mood piece) is the
one asked for, else the one whose words the prompt uses most; its variant for the length gives the
sequence of beats (fewer when the video is too short for all of them, at most one per
``MIN_PART_S``).  The tempo is the named genre's, else the mood's (``director.json``; the mood the
prompt's words point to, else the template's).  Each beat gets whole bars of that tempo in
proportion to its typical length (the grid of ``generation.synth``: the first bar at
``FIRST_BEAT_S``, the last beat takes the partial bar at the end), and a music prompt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from mvstudio.engine.errors import InputError
from mvstudio.engine.generation.synth import FIRST_BEAT_S, whole_bars
from mvstudio.engine.model import Scene
from mvstudio.engine.planning.rules import director, word_hits
from mvstudio.engine.resources import load_json

MIN_DURATION_S, MAX_DURATION_S = 5.0, 600.0
MIN_BPM, MAX_BPM = 60.0, 200.0
MIN_PART_S = 3.0  # a story beat shorter than this could not be seen


@dataclass
class StoryPart:
    """One story beat placed in time (seconds), with its energy and music prompt."""

    beat: str  # key in story_beats.json "beats"
    start: float
    end: float
    energy: str
    music_prompt: str = ""


@dataclass
class Story:
    prompt: str
    template: str
    bpm: float
    mood: str
    genre: str = ""  # a director.json genre the prompt names ("" = none)
    parts: list[StoryPart] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.parts[-1].end if self.parts else 0.0


def story_beats() -> dict:
    return load_json("story_beats.json")


def template_names() -> list[str]:
    return list(story_beats()["templates"])


def choose_template(prompt: str, template: Optional[str] = None) -> str:
    """``template`` when given (checked), else the one whose words the prompt uses most."""
    data = story_beats()
    if template:
        if template not in data["templates"]:
            raise InputError(f"unknown template {template!r}: use one of "
                             f"{', '.join(data['templates'])}")
        return template
    hits = {name: word_hits(prompt, t["words"]) for name, t in data["templates"].items()}
    best = max(hits, key=hits.get)
    return best if hits[best] else data["default_template"]


def prompt_music(prompt: str, template: str) -> tuple[str, str, float]:
    """``(mood, genre, bpm)`` the prompt asks for (see module doc)."""
    knowledge = director()
    moods = knowledge["moods"]
    hits = {name: word_hits(prompt, m["words"]) for name, m in moods.items()}
    mood = max(hits, key=hits.get)
    if not hits[mood]:
        mood = story_beats()["templates"][template]["mood"]
    genre = next((k for k, g in knowledge["genres"].items() if word_hits(prompt, g["words"])), "")
    return mood, genre, float(knowledge["genres"][genre]["bpm"] if genre else moods[mood]["bpm"])


def _sequence(template: str, duration: float, n_bars: int) -> list[str]:
    """The template's beats for ``duration``, thinned evenly (first and last kept) to fit."""
    variants = story_beats()["templates"][template]["variants"]
    beats = next((v for v in variants if duration <= v["up_to_s"]), variants[-1])["beats"]
    return thin(beats, max(1, min(n_bars, max(3, int(duration // MIN_PART_S)))))


def thin(items: list, room: int) -> list:
    """At most ``room`` of ``items``, evenly spread, the first and last kept."""
    if len(items) <= room:
        return list(items)
    if room == 1:
        return [items[0]]
    return [items[round(i * (len(items) - 1) / (room - 1))] for i in range(room)]


def share_out(weights: list[float], n_bars: int) -> list[int]:
    """``n_bars`` shared in proportion to ``weights``, at least one each (largest remainder)."""
    spare = n_bars - len(weights)
    total = sum(weights)
    shares = [spare * w / total for w in weights]
    bars = [1 + int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: int(shares[i]) - shares[i])
    for i in by_remainder[:n_bars - sum(bars)]:
        bars[i] += 1
    return bars


def bar_spans(weights: list[float], duration: float, bpm: float) -> list[tuple[float, float]]:
    """``(start, end)`` seconds of parts of a ``duration``-second piece at ``bpm``, whole bars
    each in proportion to ``weights`` (the first from 0, the last to the end: the grid of
    ``generation.synth``); at most one part per bar."""
    n_bars = whole_bars(duration, bpm)
    bar = 4 * (60.0 / bpm)
    edges, at = [0.0], 0
    for bars in share_out(weights, n_bars)[:-1]:
        at += bars
        edges.append(FIRST_BEAT_S + at * bar)
    return list(zip(edges, [*edges[1:], duration]))


def music_prompt(story: Story, index: int) -> str:
    """The music prompt of part ``index``: genre, mood, energy, tempo and the beat's hint; every
    part after the first continues the one before (as a continuation model would be asked)."""
    part = story.parts[index]
    style = story.genre or director()["moods"][story.mood]["music"]
    hint = story_beats()["beats"][part.beat]["music"]
    text = (f"{style[0].upper()}{style[1:]}, {story.mood} mood, {part.energy} energy, "
            f"{story.bpm:g} BPM in 4/4, instrumental: {hint}.")
    if index:
        text += " Continues the previous section in the same key and tempo."
    return text


def check_length(duration: float, bpm: Optional[float] = None) -> None:
    """``InputError`` unless a video without a song may be ``duration`` s long at ``bpm``."""
    if not MIN_DURATION_S <= duration <= MAX_DURATION_S:
        raise InputError(f"a prompt-only video runs {MIN_DURATION_S:g}-{MAX_DURATION_S:g} s, "
                         f"not {duration:g} s")
    if bpm is not None and not MIN_BPM <= bpm <= MAX_BPM:
        raise InputError(f"the tempo must be {MIN_BPM:g}-{MAX_BPM:g} BPM, not {bpm:g}")


def compose_story(prompt: str, duration: float, *, bpm: Optional[float] = None,
                  template: Optional[str] = None) -> Story:
    """The story of a ``duration``-second video of ``prompt`` (see module doc)."""
    if not prompt.strip():
        raise InputError("a prompt-only video needs a prompt describing it")
    check_length(duration, bpm)
    name = choose_template(prompt, template)
    mood, genre, tempo = prompt_music(prompt, name)
    story = Story(prompt.strip(), name, round(bpm or tempo, 1), mood, genre)
    keys = _sequence(name, duration, whole_bars(duration, story.bpm))
    beats = story_beats()["beats"]
    spans = bar_spans([beats[k]["seconds"] for k in keys], duration, story.bpm)
    story.parts = [StoryPart(k, start, end, beats[k]["energy"]) for k, (start, end)
                   in zip(keys, spans)]
    for i, part in enumerate(story.parts):
        part.music_prompt = music_prompt(story, i)
    return story


def story_scenes(story: Story) -> list[Scene]:
    """A scene per story beat: what it is for, and its music prompt."""
    beats = story_beats()["beats"]
    return [Scene(name=f"{i + 1}. {beats[p.beat]['name']}",
                  description=f"{beats[p.beat]['purpose']}: {beats[p.beat]['shot']}",
                  time_of_day="", music_prompt=p.music_prompt)
            for i, p in enumerate(story.parts)]
