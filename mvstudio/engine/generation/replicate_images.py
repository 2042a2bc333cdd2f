"""Stills from an image model on Replicate (flux-schnell, flux-dev, sdxl, flux-kontext ...).

The model and its input mapping come from the registry (``model_registry``); the run, retries,
cancel and resume from ``replicate_client``.  A result counts only if Pillow decodes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from PIL import Image

from mvstudio.engine.events import CancelToken
from mvstudio.engine.generation.protocols import Generated, ImageRequest
from mvstudio.engine.generation.replicate_client import BadOutput, ReplicateProvider

DEFAULT_MODEL = "flux-schnell"


def check_image(path: Path) -> tuple[int, int, float]:
    """``(width, height, 0)`` of a picture that decodes in full; ``BadOutput`` otherwise."""
    try:
        with Image.open(path) as image:
            image.load()
            return image.width, image.height, 0.0
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise BadOutput(f"the image could not be read ({exc})") from None


class ReplicateImages(ReplicateProvider):
    """``ImageGenerator`` on Replicate; ``model`` is a registry key (see ``ReplicateProvider``)."""

    kind = "image"
    check = staticmethod(check_image)

    def __init__(self, api_token: str, model: str = DEFAULT_MODEL, **options):
        super().__init__(api_token, model, **options)

    def request_key(self, request: ImageRequest) -> str:
        """The reference picture's media name, when the model uses one."""
        reference = request.reference if "reference" in self.model.inputs else None
        return reference.name if reference else ""

    async def generate(self, request: ImageRequest, workdir: Path,
                       cancel: Optional[CancelToken] = None, *,
                       on_created: Optional[Callable[[str], None]] = None,
                       resume_id: Optional[str] = None) -> Generated:
        """The still; ``on_created`` hears the prediction id before the wait, ``resume_id``
        reattaches to an earlier prediction instead of paying for a new one."""
        return await self._make(request, workdir, cancel, on_created, resume_id)
