"""Vision selection with an OpenAI key: a model looks at a short list of photos and ranks them for
each scene of the template, with a confidence and a short reason.

The short list is the offline choice's best ``per_scene`` photos for each scene (sharp, well
exposed, one per near-duplicate group, the scene's words and light first), so the model sees few
images.  They go as base64 data URLs of the cached thumbnails (longest side 512) through the real
``openai`` client (chat completions, ``image_url`` parts at ``detail`` "low" by default), and the
answer comes back in a strict JSON schema (``VisionAnswer``, as the LLM planner's).

``estimate`` prices the request before anything is sent (image tokens by model and detail, plus
the text); ``vision_job`` shrinks the short list until it fits the user's token budget.  Any
failure (no key, HTTP errors after the retries of ``openai_common``, an answer that is not the
schema or picks no photo it was shown) gives a one-line notice and no ranking: the offline
selection stands.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import pydantic
from pydantic import BaseModel

from mvstudio.engine.errors import Cancelled, InputError, MVError
from mvstudio.engine.events import CancelToken
from mvstudio.engine.generation.openai_common import (RETRY_DELAYS, BadAnswer, Sleep,
                                                      structured_answer)
from mvstudio.engine.model import Project
from mvstudio.engine.photos.library import Library, PhotoInfo
from mvstudio.engine.photos.mode import photo_mode, photo_of
from mvstudio.engine.photos.selection import Ranking, candidates, rate
from mvstudio.engine.photos.templates import TemplateScene, match
from mvstudio.engine.planning.llm import planner_models, strict_schema
from mvstudio.engine.planning.spend import Spend, completion_spend, token_cost

DETAILS = ("low", "high")
# tokens one thumbnail (<= 512 px: one tile) costs, by model and detail (estimates from OpenAI's
# pricing notes; gpt-4o-mini bills images at ~33x the tokens of gpt-4o, at a 1/17 price)
IMAGE_TOKENS = {"gpt-4o": {"low": 85, "high": 255}, "gpt-4o-mini": {"low": 2833, "high": 8500},
                "gpt-4.1-mini": {"low": 311, "high": 311},
                "gpt-4.1-nano": {"low": 473, "high": 473}}
UNKNOWN_MODEL_TOKENS = {"low": 2833, "high": 8500}  # assume the dearest
TEXT_TOKENS = 350  # instructions
SCENE_TOKENS = 60  # a scene's description in the request
PICK_TOKENS = 35  # one pick in the answer
PICKS_PER_SCENE = 3
PER_SCENE, MIN_PER_SCENE = 4, 2
DEFAULT_BUDGET = 60_000

INSTRUCTIONS = """You choose photos for the scenes of a {name} video ({about}). The scenes and \
what each wants are listed first; then the numbered photos. For every scene, pick the photos \
that show it best (at most {picks}), best first, each with your confidence 0-1 that it fits the \
scene and a short reason (under 15 words) naming what the photo shows. Prefer sharp, well-lit, \
well-composed photos; use a photo for one scene only; leave a scene's picks empty when no photo \
fits it."""


class PhotoPick(BaseModel):
    photo: int
    confidence: float
    reason: str


class ScenePicks(BaseModel):
    scene: str
    picks: list[PhotoPick]


class VisionAnswer(BaseModel):
    scenes: list[ScenePicks]


@dataclass(frozen=True)
class VisionEstimate:
    model: str
    detail: str
    images: int
    tokens_in: int
    tokens_out: int
    usd: float

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out

    def describe(self) -> str:
        return (f"{self.images} photos at {self.detail} detail with {self.model}: "
                f"~{self.tokens:,} tokens, about ${self.usd:.3f}")


def estimate(model: str, detail: str, images: int, scenes: int) -> VisionEstimate:
    per_image = IMAGE_TOKENS.get(model, UNKNOWN_MODEL_TOKENS)[detail]
    tokens_in = TEXT_TOKENS + SCENE_TOKENS * scenes + (per_image + 8) * images
    tokens_out = PICK_TOKENS * PICKS_PER_SCENE * scenes + 20
    return VisionEstimate(model, detail, images, tokens_in, tokens_out,
                          token_cost(model, tokens_in, tokens_out))


# --------------------------------------------------------------------------- what is asked


@dataclass(frozen=True)
class VisionJob:
    template_name: str
    template_about: str
    scenes: tuple[TemplateScene, ...]
    photos: tuple[PhotoInfo, ...]
    estimate: VisionEstimate


def shortlist(library: Library, scenes: Sequence[TemplateScene], width: int, height: int,
              per_scene: int, excluded=(), taken=()) -> list[PhotoInfo]:
    """The best ``per_scene`` unflagged photos for each scene by the offline fit, in library
    order."""
    rated = rate(library, width, height)
    pool = [p for p in candidates(library, rated, excluded, taken) if not rated[p.hash].flags]
    chosen: dict[str, PhotoInfo] = {}
    for scene in scenes:
        best = sorted(pool, key=lambda p: -match(scene, p)[0] * rated[p.hash].total)
        chosen.update((p.hash, p) for p in best[:per_scene])
    return sorted(chosen.values(), key=lambda p: p.index)


def vision_job(project: Project, library: Library, *, model: str, detail: str = "low",
               budget_tokens: int = DEFAULT_BUDGET) -> VisionJob:
    """What a vision ranking of ``project``'s photos would send and cost, within the budget
    (``InputError`` when there is nothing to rank or even the shortest list is over it)."""
    mode = photo_mode(project)
    template = mode.scene_template() if mode else None
    if template is None or project.plan is None:
        raise InputError("vision ranking chooses photos per scene: choose a scene template first")
    if detail not in DETAILS:
        raise InputError(f"detail must be one of {', '.join(DETAILS)}")
    names = {s.name for s in project.plan.scenes}
    scenes = tuple(s for s in template.scenes if s.name in names)
    kept = {photo_of(n) for c in project.plan.clips if c.locked or c.user_edited
            for n in (c.image_path, c.last_image_path)} - {""}
    for per_scene in range(PER_SCENE, MIN_PER_SCENE - 1, -1):
        photos = shortlist(library, scenes, project.width, project.height, per_scene,
                           mode.excluded, kept)
        cost = estimate(model, detail, len(photos), len(scenes))
        if cost.tokens <= budget_tokens:
            break
    else:
        raise InputError(f"{cost.describe()}: over the token budget of {budget_tokens:,}")
    if not photos or not scenes:
        raise InputError("no photos or scenes left to rank")
    return VisionJob(template.name, template.about, scenes, tuple(photos), cost)


def data_url(thumb: str | Path) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(Path(thumb).read_bytes()).decode("ascii")


def messages_for(job: VisionJob, detail: str) -> list[dict]:
    scenes = [{"scene": s.key, "name": s.name, "shows": s.description,
               "wants": {"keywords": list(s.keywords[:6]), "orientation": s.orientation,
                         "brightness": s.brightness}} for s in job.scenes]
    content: list[dict] = [{"type": "text", "text": "Scenes (JSON): "
                            + json.dumps(scenes, separators=(",", ":"))}]
    for number, photo in enumerate(job.photos, 1):
        content += [{"type": "text", "text": f"Photo {number}:"},
                    {"type": "image_url", "image_url": {"url": data_url(photo.thumb),
                                                        "detail": detail}}]
    system = INSTRUCTIONS.format(name=job.template_name, about=job.template_about,
                                 picks=PICKS_PER_SCENE)
    return [{"role": "system", "content": system}, {"role": "user", "content": content}]


def ranking_from(answer: VisionAnswer, job: VisionJob) -> Ranking:
    """The model's picks by scene key and photo hash; picks of photos or scenes it was not
    shown are dropped (``BadAnswer`` when nothing is left)."""
    keys = {s.key for s in job.scenes}
    ranking: Ranking = {}
    for scene in answer.scenes:
        if scene.scene not in keys:
            continue
        for pick in scene.picks[:PICKS_PER_SCENE]:
            if 1 <= pick.photo <= len(job.photos):
                photo = job.photos[pick.photo - 1]
                reason = " ".join(pick.reason.split())[:120] or "chosen by the model"
                ranking.setdefault(scene.scene, {}).setdefault(
                    photo.hash, (min(1.0, max(0.0, pick.confidence)), reason))
    if not ranking:
        raise BadAnswer("the model picked none of the photos it was shown")
    return ranking


# --------------------------------------------------------------------------- the ranker


class VisionRanker:
    """Ranks a ``VisionJob``'s photos per scene through OpenAI (see module doc)."""

    name = "openai-vision"

    def __init__(self, api_key: str, *, model: Optional[str] = None,
                 base_url: Optional[str] = None, detail: str = "low", timeout: float = 90.0,
                 retry_delays: Sequence[float] = RETRY_DELAYS, sleep: Sleep = asyncio.sleep):
        self.model = model or planner_models()["default"]
        self.detail = detail
        self._key, self._base_url, self._timeout = api_key, base_url, timeout
        self.retry_delays, self._sleep = tuple(retry_delays), sleep

    async def rank(self, job: VisionJob, *, cancel: Optional[CancelToken] = None,
                   spend: Callable[[Spend], None] = lambda _s: None) -> Ranking:
        return await structured_answer(
            lambda completion: ranking_from(_answer(completion), job), api_key=self._key,
            model=self.model, messages=await asyncio.to_thread(messages_for, job, self.detail),
            name="photo_ranking", schema=strict_schema(VisionAnswer), temperature=0.2,
            what="OpenAI photo ranking", base_url=self._base_url, timeout=self._timeout,
            delays=self.retry_delays, sleep=self._sleep, cancel=cancel,
            on_completion=lambda c: spend(completion_spend("photos", self.model, c)))


def _answer(completion) -> VisionAnswer:
    choice = completion.choices[0] if completion.choices else None
    if choice is None or choice.finish_reason == "length" or choice.message.refusal:
        raise BadAnswer("the model gave no usable answer")
    try:
        return VisionAnswer.model_validate_json(choice.message.content or "")
    except pydantic.ValidationError:
        raise BadAnswer("the model's answer does not fit the ranking schema") from None


async def rank_or_fall_back(ranker: VisionRanker, job: VisionJob, *,
                            cancel: Optional[CancelToken] = None,
                            spend: Callable[[Spend], None] = lambda _s: None
                            ) -> tuple[Optional[Ranking], str]:
    """``(ranking, "")``, or ``(None, one-line notice)`` when the ranking failed: the offline
    selection stands.  A cancel still cancels."""
    try:
        return await ranker.rank(job, cancel=cancel, spend=spend), ""
    except Cancelled:
        raise
    except MVError as exc:
        return None, f"vision ranking failed, the offline choice stands: {exc}"
