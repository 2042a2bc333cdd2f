"""The prompt builder: one generation prompt per clip from its script and the shared style."""

from __future__ import annotations

from dataclasses import dataclass, field

from mvstudio.engine.model import ClipScript, Plan
from mvstudio.engine.resources import load_json

MAX_WORDS = 200


@dataclass(frozen=True)
class ClipPrompt:
    clip_id: str
    prompt: str
    negative_prompt: str
    style_keywords: tuple[str, ...]
    scene_ids: tuple[str, ...] = ()
    character_ids: tuple[str, ...] = ()
    word_count: int = field(default=0)


def _limit_words(text: str, budget: int) -> str:
    words = text.split()
    return " ".join(words[:max(budget, 0)])


def build_prompt(plan: Plan, clip: ClipScript) -> ClipPrompt:
    """``{description}, {motion}, {camera}, {style} aesthetic with {palette}, {quality}``, <= 200 words.

    The style part is identical for every clip of a plan, so all clips share their style keywords;
    when the total is too long the clip's own description is shortened, never the style.
    """
    knowledge = load_json("director.json")
    style = plan.style
    characters = {c.id: c for c in plan.characters}
    who = "; ".join(characters[c].description for c in clip.characters if c in characters)
    keywords = tuple(style.keywords)
    style_part = ", ".join(p for p in (
        f"{style.visual_style} aesthetic" if style.visual_style else "",
        f"palette {' '.join(style.palette[:4])}" if style.palette else "",
        style.lighting, ", ".join(keywords), ", ".join(knowledge["quality_keywords"])) if p)
    camera_part = ", ".join(p for p in (clip.motion, clip.camera) if p)
    budget = MAX_WORDS - len(style_part.split()) - len(camera_part.split())
    description = _limit_words(clip.visual_description, budget)
    who = _limit_words(who, budget - len(description.split()))
    prompt = ", ".join(p for p in (description, camera_part, who, style_part) if p)
    prompt = _limit_words(prompt, MAX_WORDS)
    return ClipPrompt(clip.id, prompt, knowledge["negative_prompt"], keywords,
                      tuple(clip.scenes), tuple(clip.characters), len(prompt.split()))
