"""What the stills gallery shows, as plain values: a ``TileInfo`` per clip still and per scene or
character reference (``engine.references``), each with its picture and whether it is fresh."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from mvstudio.engine.model import ClipScript, Project
from mvstudio.engine.references import References, own_references
from mvstudio.engine.timebase import timecode


@dataclass(frozen=True)
class TileInfo:
    key: str  # the owner: a clip, scene or character id
    number: int
    title: str
    media: str  # the picture shown ("": none yet)
    state: str  # "fresh" | "stale" | "missing"
    yours: bool = False
    kind: str = "clip"  # "clip" | "scene" | "character"


def _tile(project: Project, key: str, wanted: str, own: str, number: int, title: str,
          kind: str) -> TileInfo:
    """The fresh picture, else the user's as given, else the latest made (stale), else none."""
    fresh = project.fresh_asset(key, "image", wanted)
    latest = project.latest_asset(key, "image")
    media = fresh.media if fresh else own or (latest.media if latest else "")
    state = "fresh" if fresh else "stale" if media else "missing"
    return TileInfo(key, number, title, media, state, bool(own), kind)


def clip_tiles(project: Project, image_hash: Callable[[ClipScript], str]) -> list[TileInfo]:
    """A tile per clip's still."""
    return [_tile(project, clip.id, image_hash(clip), clip.image_path, number,
                  f"{number} · {timecode(clip.start_frame, project.fps)}", "clip")
            for number, clip in enumerate(project.plan.clips, 1)]


def reference_tiles(project: Project, references: References) -> list[TileInfo]:
    """A tile per scene and character reference; the user's picture is always current."""
    own, scenes = own_references(project), {s.id for s in project.plan.scenes}
    tiles = []
    for number, subject in enumerate(references.subjects(), 1):
        kind = "scene" if subject.id in scenes else "character"
        mine = own.get(subject.id)
        tiles.append(TileInfo(subject.id, number, subject.name, mine, "fresh", True, kind) if mine
                     else _tile(project, subject.id, references.hash(subject), "", number,
                                subject.name, kind))
    return tiles
