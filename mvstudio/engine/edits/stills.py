"""A clip's still from the user's own picture instead of the generated one, and back.

``import_picture`` copies the user's file into the project's media store (the original is left
where it is) after checking that it is a picture; ``replace_still`` then names that media file in
the clip's ``image_path``, and the pipeline makes the clip's still from it (no provider call).
``restore_generated_still`` clears it: the generated still, if it was made before, is fresh again.

    |--- A ---|--- B (your picture) ---|--- C ---|      only B's still and video go stale
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from mvstudio.engine.edits.base import Edit, EditError, find, make_edit, plan_of, set_fields
from mvstudio.engine.errors import InputError
from mvstudio.engine.model import Project
from mvstudio.engine.store.media import MediaStore, is_media_name

# Pillow format -> the extension the media store keeps (others use the format's own name)
_EXTENSIONS = {"JPEG": "jpg", "TIFF": "tif", "MPO": "jpg"}


def import_picture(media: MediaStore, path: str | Path) -> str:
    """Copy the picture at ``path`` into ``media``; its store name.  ``InputError`` (one line)
    when it is missing, empty or not a picture Pillow can read; nothing is stored then."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"'{path.name}' is not a file")
    if path.stat().st_size == 0:
        raise InputError(f"'{path.name}' is empty, not a picture")
    try:
        with Image.open(path) as im:
            kind = im.format or ""
            im.draft("RGB", (256, 256))  # a JPEG decodes at a fraction of its size: fast
            im.load()  # decodes to the end: a truncated file fails here, not in the pipeline
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
            ValueError) as exc:
        raise InputError(f"'{path.name}' is not a picture MV Studio can read "
                         f"({type(exc).__name__})") from None
    return media.put_file(path, _EXTENSIONS.get(kind, kind.lower()))


def replace_still(project: Project, clip_id: str, media_name: str) -> Edit:
    """Make clip ``clip_id``'s still from the picture ``media_name`` (already in the store); the
    clip is marked ``user_edited``, so a re-plan keeps it with its picture."""
    return _set_picture(project, clip_id, "image_path", media_name, "Replace still")


def replace_last_still(project: Project, clip_id: str, media_name: str) -> Edit:
    """Make clip ``clip_id``'s video end on the picture ``media_name`` (a photo pair's last
    frame), kept on a re-plan like ``replace_still``."""
    return _set_picture(project, clip_id, "last_image_path", media_name, "Replace last frame")


def _set_picture(project: Project, clip_id: str, field: str, media_name: str, label: str) -> Edit:
    _, clip = find(plan_of(project).clips, clip_id, "clip")
    if not is_media_name(media_name):
        raise EditError(f"'{media_name}' is not a picture in the project's media store")
    return make_edit(label, [set_fields("clips", clip, user_edited=True, **{field: media_name})])


def restore_generated_still(project: Project, clip_id: str) -> Edit:
    """Make clip ``clip_id``'s still by the image generator again (``NoChange`` if it is)."""
    _, clip = find(plan_of(project).clips, clip_id, "clip")
    return make_edit("Use generated still", [set_fields("clips", clip, image_path="")])
