"""The LLM planner: the director's plan from a language model through the real ``openai`` client.

The model gets the song as the analysis sees it (tempo, mood, sections, one row per proposed clip
slot with its section, energy, lyrics and the beat under its cut) and the director's knowledge,
and answers in a strict JSON schema (``PlanAnswer``, sent with ``chat.completions.parse``).  The
cuts are the analysis' proposed slots, so they are on the beat by construction; the model writes
what each slot shows and how each cut changes.

The answer becomes a ``Plan`` (keys to ids, beats to frames; a slot the model left out gets the
director's rule script and a note), is repaired and then validated (``planning.validate``).  An
answer that cannot be parsed, is refused, is cut off or stays invalid is retried with the HTTP
failures (3 retries after 2, 4, 8 s); the pipeline then falls back to the rule director.  Every
call's token usage is reported through ``spend`` as a cost.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Callable, Literal, Optional, Sequence

import pydantic
from pydantic import BaseModel

from mvstudio.engine.events import CancelToken
from mvstudio.engine.generation.openai_common import (RETRY_DELAYS, BadAnswer, Sleep,
                                                      structured_answer)
from mvstudio.engine.model import (TRANSITION_KINDS, Analysis, Character, ClipScript, Plan, Scene,
                                   StyleGuide, Transition)
from mvstudio.engine.planning.rules import TRANSITION_FRAMES_CAP, director, plan_from_rules
from mvstudio.engine.planning.spend import Spend, completion_spend
from mvstudio.engine.planning.validate import proposed_slots, repair_plan, validate_plan
from mvstudio.engine.resources import load_json
from mvstudio.engine.timebase import to_seconds

HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


# --------------------------------------------------------------------------- the answer's schema


class StyleAnswer(BaseModel):
    palette: list[str]
    visual_style: str
    mood: str
    lighting: str
    cinematography: str
    keywords: list[str]


class CharacterAnswer(BaseModel):
    key: str
    name: str
    description: str
    role: str


class SceneAnswer(BaseModel):
    key: str
    name: str
    description: str
    time_of_day: str
    music_prompt: str  # genre, mood, energy, tempo: for a soundtrack made to the plan


class ClipAnswer(BaseModel):
    slot: int
    visual_description: str
    motion: str
    camera: str
    characters: list[str]
    scenes: list[str]
    lyrics_context: str
    beat_intensity: Literal["soft", "medium", "strong"]
    continues_previous: bool  # one continuous shot with the slot before (a hard cut, no change)


class TransitionAnswer(BaseModel):
    after_slot: int
    kind: Literal[TRANSITION_KINDS]  # type: ignore[valid-type]
    beats: float
    rationale: str


class PlanAnswer(BaseModel):
    summary: str
    style: StyleAnswer
    characters: list[CharacterAnswer]
    scenes: list[SceneAnswer]
    clips: list[ClipAnswer]
    transitions: list[TransitionAnswer]


# --------------------------------------------------------------------------- the request


INSTRUCTIONS = """You are a music-video director. Plan a video for the song described below, \
following the user's creative prompt. Write one clip per slot (use every slot number once, in \
order); the cuts are fixed at the slot edges, which are on the beat. Keep one coherent story and \
look: 1-3 characters, one scene per kind of section, a style guide whose palette is 4-6 hex \
colours (#RRGGBB) and whose keywords every clip shares. Follow the song: calm sections get slow \
moves and longer looks, high-energy sections fast camera movement; choruses return to the main \
scene; lyrics suggest visual metaphors, never on-screen text. Transitions: a hard cut on strong \
beats and section changes, a crossfade on soft beats (length in beats), fades only at the very \
start and end. A clip may continue the previous clip as one continuous shot \
(continues_previous: the same scene, camera and subject carry on, e.g. a long take in a calm \
passage split over two slots); use it sparingly, never across a section change. Descriptions \
are concrete and visual (what the camera sees), 15-40 words. Give \
each scene a music prompt as you would write it for a music model (genre, mood, energy, tempo in \
BPM, instruments), so that a soundtrack could be made to the plan."""


def song_brief(analysis: Analysis, max_clip_s: Optional[float] = None) -> dict:
    """What the model is told about the song: one row per proposed clip slot."""
    fps = analysis.fps
    downbeats = set(analysis.downbeat_frames())
    slots = []
    for i, slot in enumerate(proposed_slots(analysis, max_clip_s)):
        start = float(to_seconds(slot.start_frame, fps))
        end = float(to_seconds(slot.end_frame, fps))
        section = analysis.section_at(start)
        words = " ".join(line.text for line in analysis.lyrics if start <= line.start < end)
        slots.append({"slot": i, "start_s": round(start, 2), "end_s": round(end, 2),
                      "section": section.label if section else "verse",
                      "energy": section.energy if section else "medium",
                      "cut_on_downbeat": slot.start_frame in downbeats, "lyrics": words})
    mood = analysis.mood
    return {"tempo_bpm": round(analysis.bpm, 1), "duration_s": round(analysis.duration, 1),
            "mood": mood.primary, "secondary_mood": mood.secondary, "energy": mood.energy_level,
            "sections": [{"label": s.label, "start_s": round(s.start, 1),
                          "end_s": round(s.end, 1), "energy": s.energy}
                         for s in analysis.sections],
            "slots": slots}


def messages_for(analysis: Analysis, prompt: str,
                 max_clip_s: Optional[float] = None) -> list[dict]:
    knowledge = director()
    guide = {"moods": knowledge["moods"], "energy": knowledge["energy"],
             "sections": knowledge["sections"], "transitions": knowledge["transitions"]}
    return [{"role": "system", "content": INSTRUCTIONS + "\n\nDirector's notes (JSON): "
             + json.dumps(guide, separators=(",", ":"))},
            {"role": "user", "content": f"Creative prompt: {prompt.strip() or '(none: surprise me)'}"
             "\n\nThe song (JSON): "
             + json.dumps(song_brief(analysis, max_clip_s), separators=(",", ":"))}]


# --------------------------------------------------------------------------- answer -> plan


def plan_from_answer(answer: PlanAnswer, analysis: Analysis, prompt: str, seed: int,
                     max_clip_s: Optional[float] = None) -> Plan:
    """The model's answer as a valid ``Plan`` (``BadAnswer`` when it cannot be made one)."""
    slots = proposed_slots(analysis, max_clip_s)
    rules = plan_from_rules(analysis, prompt, seed, boundaries=slots)
    characters = {c.key: Character(c.name, c.description, c.role) for c in answer.characters}
    scenes = {s.key: Scene(s.name, s.description, s.time_of_day, s.music_prompt.strip())
              for s in answer.scenes}
    by_slot: dict[int, ClipAnswer] = {}
    for clip in answer.clips:
        by_slot.setdefault(clip.slot, clip)
    clips, filled = [], 0
    for i, (slot, ruled) in enumerate(zip(slots, rules.clips)):
        got = by_slot.get(i)
        if got is None or not got.visual_description.strip():
            filled += 1
            clips.append(ClipScript(slot.start_frame, slot.end_frame, ruled.visual_description,
                                    ruled.motion, ruled.camera, [], [], ruled.lyrics_context,
                                    ruled.beat_intensity, ruled.seed))
            continue
        clips.append(ClipScript(
            slot.start_frame, slot.end_frame, got.visual_description.strip(), got.motion,
            got.camera, [characters[k].id for k in got.characters if k in characters],
            [scenes[k].id for k in got.scenes if k in scenes], got.lyrics_context,
            got.beat_intensity, ruled.seed, continues=got.continues_previous and i > 0))
    if filled > len(clips) // 2:
        raise BadAnswer(f"the model wrote scripts for only {len(clips) - filled} of "
                        f"{len(clips)} clips")
    palette = [c.upper() for c in answer.style.palette if HEX.match(c.strip())]
    style = StyleGuide(palette=palette if len(palette) >= 3 else rules.style.palette,
                       visual_style=answer.style.visual_style, mood=answer.style.mood,
                       lighting=answer.style.lighting, cinematography=answer.style.cinematography,
                       keywords=[k.strip() for k in answer.style.keywords if k.strip()][:8])
    plan = Plan(clips=clips, characters=list(characters.values()), scenes=list(scenes.values()),
                style=style, summary=answer.summary, origin="llm")
    plan.transitions = _transitions(answer, clips, rules, analysis)
    if filled:
        plan.notes.append(f"the model left {filled} clips without a script; the director's "
                          "rules wrote them")
    plan = repair_plan(plan, analysis, max_clip_s)
    problems = validate_plan(plan, analysis, max_clip_s)
    if problems:
        raise BadAnswer(f"the plan breaks a rule: {problems[0].message}")
    return plan


def _transitions(answer: PlanAnswer, clips: list[ClipScript], rules: Plan,
                 analysis: Analysis) -> list[Transition]:
    by_cut = {t.after_slot: t for t in answer.transitions}
    frames_per_beat = 60.0 / max(analysis.bpm, 1.0) * analysis.fps
    out = [Transition(None, clips[0].id, rules.transitions[0].kind,
                      rules.transitions[0].duration_frames, rules.transitions[0].rationale)]
    for i, (a, b) in enumerate(zip(clips, clips[1:])):
        got, ruled = by_cut.get(i), rules.transitions[i + 1]
        if got is None:
            out.append(Transition(a.id, b.id, ruled.kind, ruled.duration_frames, ruled.rationale))
            continue
        cap = int(min(a.frames, b.frames) * TRANSITION_FRAMES_CAP)
        frames = 0 if got.kind == "cut" else min(cap, max(0, round(got.beats * frames_per_beat)))
        out.append(Transition(a.id, b.id, got.kind if frames else "cut", frames, got.rationale))
    end = rules.transitions[-1]
    out.append(Transition(clips[-1].id, None, end.kind, end.duration_frames, end.rationale))
    return out


# --------------------------------------------------------------------------- the planner


def planner_models() -> dict:
    return load_json("planner_models.json")


class LLMPlanner:
    """``Planner`` through OpenAI structured outputs (see module doc)."""

    name = "openai"

    def __init__(self, api_key: str, *, model: Optional[str] = None,
                 base_url: Optional[str] = None, timeout: float = 120.0,
                 retry_delays: Sequence[float] = RETRY_DELAYS, sleep: Sleep = asyncio.sleep,
                 max_clip_s: Optional[float] = None):
        self.model = model or planner_models()["default"]
        self._key, self._base_url, self._timeout = api_key, base_url, timeout
        self.retry_delays, self._sleep, self.max_clip_s = tuple(retry_delays), sleep, max_clip_s

    async def plan(self, analysis: Analysis, prompt: str, seed: int, *,
                   cancel: Optional[CancelToken] = None,
                   spend: Callable[[Spend], None] = lambda _s: None) -> Plan:
        return await structured_answer(
            lambda completion: self._read(completion, analysis, prompt, seed),
            api_key=self._key, model=self.model,
            messages=messages_for(analysis, prompt, self.max_clip_s), name="music_video_plan",
            schema=strict_schema(PlanAnswer), what="OpenAI planning", base_url=self._base_url,
            timeout=self._timeout, delays=self.retry_delays, sleep=self._sleep, cancel=cancel,
            on_completion=lambda c: spend(completion_spend("plan", self.model, c)))

    def _read(self, completion, analysis: Analysis, prompt: str, seed: int) -> Plan:
        choice = completion.choices[0] if completion.choices else None
        if choice is None:
            raise BadAnswer("the model gave no answer")
        if choice.finish_reason == "length":
            raise BadAnswer("the model's answer was cut off (too long)")
        if choice.message.refusal:
            raise BadAnswer(f"the model refused: {choice.message.refusal}")
        try:
            answer = PlanAnswer.model_validate_json(choice.message.content or "")
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "the answer"
            raise BadAnswer(f"the model's answer does not fit the plan schema "
                            f"({where}: {first['msg']})") from None
        return plan_from_answer(answer, analysis, prompt, seed, self.max_clip_s)


def strict_schema(model: type[BaseModel]) -> dict:
    """``model``'s JSON schema in the strict form structured outputs require: every property
    required, no others allowed."""
    def tighten(node):
        if isinstance(node, dict):
            if isinstance(node.get("title"), str):
                del node["title"]
            if node.get("type") == "object" and "properties" in node:
                node["required"] = list(node["properties"])
                node["additionalProperties"] = False
            for value in node.values():
                tighten(value)
        elif isinstance(node, list):
            for value in node:
                tighten(value)
        return node

    return tighten(model.model_json_schema())
