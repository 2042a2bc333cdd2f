"""The prompt builder: one generation prompt per clip from its script and the shared style.

Parts, each from the plan::

    description   the clip's visual description (shortened first when over the word budget)
    camera        the clip's motion and camera
    who           the descriptions of the characters it names
    style         visual style, palette, lighting, mood, cinematography, style keywords, quality

The style part is the same for every clip of a plan, so every prompt shares its keywords.  How the
parts are put together depends on the model family (``director.json`` ``prompt_styles``): ``tags``
(comma-separated, for SDXL-like models), ``prose`` (sentences, for FLUX) or ``motion_first`` (the
camera move leads, for image-to-video models); families that ignore negative prompts get none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mvstudio.engine.model import Character, ClipScript, Plan, Scene
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


def prompt_style(model: str) -> dict:
    """``{"form", "negative"}`` for a model id (see module doc)."""
    styles = load_json("director.json")["prompt_styles"]
    name = model.lower()
    for family in styles["families"]:
        if any(m in name for m in family["match"]):
            return family
    return styles["default"]


def _style_part(plan: Plan, quality: list[str], prose: bool) -> str:
    style = plan.style
    parts = (f"{style.visual_style} aesthetic" if style.visual_style else "",
             f"palette {' '.join(style.palette[:4])}" if style.palette else "",
             style.lighting, f"{style.mood} mood" if style.mood else "", style.cinematography,
             ", ".join(style.keywords), ", ".join(quality))
    text = ", ".join(p for p in parts if p)
    return f"Style: {text}." if prose and text else text


def build_prompt(plan: Plan, clip: ClipScript, model: str = "") -> ClipPrompt:
    """The clip's prompt for ``model`` (any model when empty), at most ``MAX_WORDS`` words.

    When the total is too long the clip's own description is shortened, never the style.
    """
    knowledge = load_json("director.json")
    form = prompt_style(model)
    prose = form["form"] == "prose"
    characters = {c.id: c for c in plan.characters}
    who = "; ".join(characters[c].description for c in clip.characters if c in characters)
    style_part = _style_part(plan, knowledge["quality_keywords"], prose)
    camera_part = ", ".join(p for p in (clip.motion, clip.camera) if p)
    budget = MAX_WORDS - len(style_part.split()) - len(camera_part.split()) - 3
    description = _limit_words(clip.visual_description, budget)
    who = _limit_words(who, budget - len(description.split()))
    if prose:
        parts = (_sentence(description), _sentence(f"Camera: {camera_part}" if camera_part else ""),
                 _sentence(who), style_part)
        prompt = " ".join(p for p in parts if p)
    else:
        order = (camera_part, description) if form["form"] == "motion_first" else \
            (description, camera_part)
        prompt = ", ".join(p for p in (*order, who, style_part) if p)
    prompt = _limit_words(prompt, MAX_WORDS)
    negative = knowledge["negative_prompt"] if form["negative"] else ""
    return ClipPrompt(clip.id, prompt, negative, tuple(plan.style.keywords), tuple(clip.scenes),
                      tuple(clip.characters), len(prompt.split()))


def reference_prompt(plan: Plan, subject: Scene | Character) -> str:
    """The prompt of a scene's or character's reference picture, in the plan's style."""
    if isinstance(subject, Character):
        parts = ("character portrait of " + subject.name, subject.description)
    else:
        parts = ("establishing shot of " + subject.name, subject.description, subject.time_of_day)
    style = _style_part(plan, load_json("director.json")["quality_keywords"], False)
    return _limit_words(", ".join(p for p in (*parts, style) if p), MAX_WORDS)


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".,;")
    return f"{text[0].upper()}{text[1:]}." if text else ""
