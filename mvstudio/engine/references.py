"""Scene and character references: one picture per plan scene and per character, in the plan's
style, that the clip stills are made from so places and people stay the same from clip to clip.

They are made before the stills, in parallel and under the budget like any paid call, only when
the image model takes a reference (``reference`` in its registry inputs, e.g. flux-kontext);
offline nothing is made.  A reference is an ``image`` asset owned by its scene or character id,
fresh while the hash of its inputs is unchanged.  A clip's still is sent its first character's
reference, else its first scene's.  The user's own picture for a reference (media name in the
project setting ``references``, see ``edits.stills.replace_reference``) is used as it is: no paid
call, and only the stills that use it go stale.  Regenerating a reference gives it a new seed
(project setting ``reference_seeds``, see ``edits.stills.reseed_reference``).
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from mvstudio.engine.generation.budget import is_paid
from mvstudio.engine.generation.protocols import ImageRequest
from mvstudio.engine.hashing import input_hash
from mvstudio.engine.model import Character, ClipScript, Project, Scene
from mvstudio.engine.planning.prompts import reference_prompt

if TYPE_CHECKING:
    from mvstudio.engine.events import CancelToken
    from mvstudio.engine.pipeline import Pipeline

SETTING = "references"  # project setting: scene or character id -> the user's picture
SEEDS = "reference_seeds"  # project setting: scene or character id -> its seed, once regenerated
STAGE = "references"


def own_references(project: Project) -> dict[str, str]:
    """The user's pictures for references: owner id -> media name."""
    return dict(project.settings.get(SETTING) or {})


def reference_seed(project: Project, owner: str) -> int:
    """The seed of the reference of scene or character ``owner``: a new one once regenerated,
    else one from its id."""
    return int((project.settings.get(SEEDS) or {}).get(owner, zlib.crc32(owner.encode()) % 2**31))


def takes_reference(provider) -> bool:
    """The image provider is a cloud model with a reference input."""
    return is_paid(provider) and "reference" in getattr(getattr(provider, "model", None),
                                                        "inputs", {})


class References:
    """The reference stage of one ``Pipeline`` (see module doc)."""

    def __init__(self, pipeline: "Pipeline"):
        self.pipeline = pipeline

    @property
    def wanted(self) -> bool:
        return takes_reference(self.pipeline.providers.images)

    def subjects(self) -> list[Scene | Character]:
        plan = self.pipeline.project.plan
        return [*plan.scenes, *plan.characters]

    def request(self, subject: Scene | Character) -> ImageRequest:
        project = self.pipeline.project
        plan = project.plan
        return ImageRequest(owner=subject.id, prompt=reference_prompt(plan, subject),
                            palette=tuple(plan.style.palette),
                            seed=reference_seed(project, subject.id),
                            width=project.width, height=project.height)

    def hash(self, subject: Scene | Character) -> str:
        request, provider = self.request(subject), self.pipeline.providers.images
        return input_hash(STAGE, provider.fingerprint(), provider.request_key(request),
                          request.prompt, request.palette, request.seed, request.width,
                          request.height)

    def path(self, owner: str) -> Optional[Path]:
        """The reference picture of scene or character ``owner`` (the user's, else a fresh
        generated one), or None."""
        project, media = self.pipeline.project, self.pipeline.store.media
        own = own_references(project).get(owner)
        if own:
            return media.path(own) if media.exists(own) else None
        subject = next((s for s in self.subjects() if s.id == owner), None)
        asset = project.fresh_asset(owner, "image", self.hash(subject)) if subject else None
        return media.path(asset.media) if asset else None

    def for_clip(self, clip: ClipScript) -> Optional[Path]:
        """The reference a clip's still is made from: its first character's, else its first
        scene's (None when the image model takes none)."""
        if not self.wanted:
            return None
        owners = clip.characters[:1] + clip.scenes[:1]
        return next((path for owner in owners if (path := self.path(owner))), None)

    def stale(self) -> list[Scene | Character]:
        own = own_references(self.pipeline.project)
        return [s for s in self.subjects() if s.id not in own
                and not self.pipeline.project.fresh_asset(s.id, "image", self.hash(s))]

    async def make(self) -> None:
        """Make the stale references (nothing when the image model takes none)."""
        if not self.wanted:
            return
        todo = self.stale()
        pipeline = self.pipeline
        pipeline.budget.tidy(STAGE, [(s.id, self.hash(s)) for s in todo])
        await pipeline._run_items(STAGE, todo, self._make_one)

    async def _make_one(self, subject: Scene | Character, workdir: Path,
                        cancel: "CancelToken") -> None:
        pipeline = self.pipeline
        await pipeline._generate(STAGE, subject, "image", self.hash(subject),
                                 pipeline.providers.images, self.request(subject), workdir, cancel)
