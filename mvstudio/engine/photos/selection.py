"""Choosing the photos of a video, offline: one per clip, or a first/last-frame pair per clip.

Only one photo of each near-duplicate group can be chosen (the group's best), so no two
near-duplicates meet in one video; photos the user excluded and the groups of photos that locked
clips keep are left out.  Flagged photos (blurry or badly exposed: ``quality``) are used only
when the unflagged ones run out; when even those run out, photos are used again.

* **In order** (``given``: the library's order; ``time``: when they were taken): the candidates are
  cut into one run per clip, consecutive in that order, and each clip takes the best of its run
  (a pair: its two best, in order).  So the video spreads over the whole library and keeps its
  order.
* **By scene template**: every (clip, photo) pair is scored by how well the photo fits the clip's
  scene (``templates.match``, or a vision model's confidence in ``ranking``) times its quality,
  and the best pairs are taken first, each photo once.  A pair's two photos fit the same scene.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median
from typing import Iterable, Optional

from mvstudio.engine.photos.library import Library, PhotoInfo
from mvstudio.engine.photos.quality import Quality, quality
from mvstudio.engine.photos.templates import TemplateScene, match

ORDERS = ("given", "time", "template")
Ranking = dict[str, dict[str, tuple[float, str]]]  # scene key -> photo hash -> (confidence, why)


@dataclass(frozen=True)
class Slot:
    """A clip to fill, and the template scene it shows (None: not a template video)."""

    clip_id: str
    scene: Optional[TemplateScene] = None


@dataclass(frozen=True)
class Choice:
    clip_id: str
    first: str  # the photo's hash
    last: str = ""  # the last frame's photo ("" = one photo)
    score: float = 0.0  # 0-1
    reason: str = ""
    scene: str = ""  # the template scene's key


@dataclass
class Selection:
    choices: list[Choice] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def rate(library: Library, width: int, height: int) -> dict[str, Quality]:
    """Every photo's quality in a ``width x height`` video."""
    middle = median(p.sharpness for p in library.photos) if library.photos else 0.0
    return {p.hash: quality(p, width, height, middle) for p in library.photos}


def candidates(library: Library, rated: dict[str, Quality], excluded: Iterable[str] = (),
               taken: Iterable[str] = ()) -> list[PhotoInfo]:
    """The best photo of each near-duplicate group (unflagged, then the most pixels, then the
    least compressed: a resaved copy's artefacts must not pass for detail), leaving out
    ``excluded`` photos and the groups of ``taken`` ones, in library order."""
    by_hash = library.by_hash()
    gone = {by_hash[h].group for h in taken if h in by_hash}
    skip = set(excluded)
    best: dict[int, PhotoInfo] = {}
    for p in library.photos:
        if p.hash in skip or p.group in gone:
            continue
        if p.group not in best or _original(p, rated) > _original(best[p.group], rated):
            best[p.group] = p
    return sorted(best.values(), key=lambda p: p.index)


def _original(photo: PhotoInfo, rated: dict[str, Quality]) -> tuple:
    return (not rated[photo.hash].flags, photo.width * photo.height, photo.bytes,
            rated[photo.hash].total)


def choose(library: Library, slots: list[Slot], width: int, height: int, *,
           order: str = "given", pairs: bool = False, excluded: Iterable[str] = (),
           taken: Iterable[str] = (), ranking: Optional[Ranking] = None) -> Selection:
    """Photos for ``slots`` (see module doc)."""
    rated = rate(library, width, height)
    pool = candidates(library, rated, excluded, taken)
    selection = Selection()
    if not slots:
        return selection
    if not pool:
        selection.notes.append("no usable photos left (all excluded or kept by locked clips)")
        return selection
    if pairs and sum(not rated[p.hash].flags for p in pool) < 2 * len(slots):
        pairs = False
        selection.notes.append("too few sharp, well-exposed photos for a pair per clip: "
                               "one photo per clip")
    if any(s.scene is not None for s in slots):
        _by_scene(selection, slots, pool, rated, pairs, ranking or {})
    else:
        _in_order(selection, slots, pool, rated, order, pairs)
    used = {h for c in selection.choices for h in (c.first, c.last) if h}
    if len(used) < sum(1 + bool(c.last) for c in selection.choices):
        selection.notes.append(f"only {len(pool)} distinct usable photos for "
                               f"{len(slots)} clips: some photos are used more than once")
    return selection


def _order_key(order: str):
    return (lambda p: (p.time_key, p.index)) if order == "time" else (lambda p: p.index)


def _usable_first(pool: list[PhotoInfo], rated: dict[str, Quality], need: int) -> list[PhotoInfo]:
    """The unflagged photos, topped up with the best flagged ones when fewer than ``need``."""
    good = [p for p in pool if not rated[p.hash].flags]
    poor = sorted((p for p in pool if rated[p.hash].flags), key=lambda p: -rated[p.hash].total)
    return good + poor[:max(0, need - len(good))]


def _in_order(selection: Selection, slots: list[Slot], pool: list[PhotoInfo],
              rated: dict[str, Quality], order: str, pairs: bool) -> None:
    n = len(slots)
    per = 2 if pairs else 1
    use = sorted(_usable_first(pool, rated, n * per), key=_order_key(order))
    runs = [use[i * len(use) // n:(i + 1) * len(use) // n] for i in range(n)] \
        if len(use) >= n * per else [[use[i % len(use)]] for i in range(n)]
    for slot, run in zip(slots, runs):
        best = sorted(sorted(run, key=lambda p: -rated[p.hash].total)[:per], key=_order_key(order))
        q = rated[best[0].hash]
        when = f"; taken {best[0].time_key.replace('T', ' ')[:16]}" if order == "time" else ""
        selection.choices.append(Choice(
            slot.clip_id, best[0].hash, best[1].hash if len(best) > 1 else "", round(q.total, 3),
            f"{q.reason()}{when}"))


def _by_scene(selection: Selection, slots: list[Slot], pool: list[PhotoInfo],
              rated: dict[str, Quality], pairs: bool, ranking: Ranking) -> None:
    per = 2 if pairs else 1
    fits: dict[tuple[str, str], tuple[float, float, str]] = {}
    for scene in {s.scene.key: s.scene for s in slots if s.scene}.values():
        for p in pool:
            fits[scene.key, p.hash] = _fit(scene, p, rated[p.hash], ranking.get(scene.key, {}))
    picked: dict[int, list[PhotoInfo]] = {i: [] for i in range(len(slots))}
    for allowed in (lambda p: not rated[p.hash].flags, lambda p: True):  # flagged ones last
        used_groups = {p.group for chosen in picked.values() for p in chosen}
        pairs_left = sorted(
            ((_rank(fits, s, p, rated), -i, p.index, i, p)
             for i, s in enumerate(slots) for p in pool if allowed(p)),
            key=lambda e: e[:3], reverse=True)
        for *_, i, p in pairs_left:
            if len(picked[i]) < per and p.group not in used_groups:
                picked[i].append(p)
                used_groups.add(p.group)
    for i, slot in enumerate(slots):
        while len(picked[i]) < 1:  # more clips than photos: the best fit again
            picked[i].append(max(pool, key=lambda p: _rank(fits, slot, p, rated)))
        first, *rest = sorted(picked[i], key=lambda p: p.index)
        _, score, why = fits[slot.scene.key, first.hash] if slot.scene else \
            (0.0, rated[first.hash].total, rated[first.hash].reason())
        selection.choices.append(Choice(slot.clip_id, first.hash, rest[0].hash if rest else "",
                                        round(score, 3), why,
                                        slot.scene.key if slot.scene else ""))


def _rank(fits: dict, slot: Slot, photo: PhotoInfo, rated: dict[str, Quality]) -> float:
    return fits[slot.scene.key, photo.hash][0] if slot.scene else rated[photo.hash].total


def _fit(scene: TemplateScene, photo: PhotoInfo, q: Quality,
         ranked: dict[str, tuple[float, str]]) -> tuple[float, float, str]:
    """``(rank, score, reason)`` of ``photo`` for ``scene``: the score is the offline match (or a
    vision model's confidence) times the photo's quality; photos the model ranked come first."""
    if photo.hash in ranked:
        confidence, why = ranked[photo.hash]
        score = confidence * (0.5 + 0.5 * q.total)
        return 1.0 + score, score, f"{scene.name}: {why}"
    fit, why = match(scene, photo)
    score = fit * (0.35 + 0.65 * q.total)
    return score, score, f"{scene.name}: " + "; ".join(w for w in (why, q.reason()) if w)
