"""Proposed clip slots: contiguous, beat-aligned ``[start_frame, end_frame)`` ranges.

Cuts are chosen among beat frames by dynamic programming over the whole song::

    frame 0   beat   beat   DOWNBEAT  beat ... SECTION START ... end_frame
    |-------- clip --------|------------ clip ----------|--- ... ---|

Each clip costs a steep penalty per second outside ``[min_s, max_s]`` and a mild one for straying
from its target length; a cut on a downbeat earns a small reward and a cut on a section start a
larger one.  The target is the middle of the range, or, given the song's per-beat energy, the
director's shot length for that energy (``director.json`` ``energy.*.shot_position``): calm
passages hold shots longer, intense ones cut faster.  The state also counts clips (up to ``min_clips``) so the result always has at least
``min_clips``.  Without usable beats a regular half-second grid (bars of four) stands in.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from mvstudio.engine.errors import InputError
from mvstudio.engine.model import ClipBoundary
from mvstudio.engine.resources import load_json
from mvstudio.engine.timebase import to_frame

_OUT_OF_RANGE = 100.0  # cost per second a clip is shorter than min_s or longer than max_s
_OFF_TARGET = 0.2  # cost per second away from the middle of [min_s, max_s]
_DOWNBEAT_REWARD = 1.0
_SECTION_REWARD = 3.0
_GRID_S = 0.5  # fallback grid step (120 BPM), every 4th step counts as a downbeat
_ENERGY_SMOOTH_BEATS = 8  # energy is averaged over about two bars before it sets a shot length


def _frames(times: Iterable[float], fps: int, end: int) -> np.ndarray:
    """Unique frames strictly inside ``(0, end)``."""
    frames = {to_frame(float(t), fps) for t in times}
    return np.array(sorted(f for f in frames if 0 < f < end), dtype=int)


def _grid(end: int, fps: int, min_clips: int) -> tuple[np.ndarray, np.ndarray]:
    """A regular grid of cut candidates and its 'downbeats' (every fourth point)."""
    step = max(1, min(int(round(_GRID_S * fps)), end // min_clips))
    cands = np.arange(step, end, step, dtype=int)
    return cands, cands[3::4]


def _snap_to(frames: np.ndarray, cands: np.ndarray, reach: int) -> set[int]:
    """Each frame moved to the nearest candidate within ``reach`` frames (others dropped)."""
    out = set()
    if len(cands) == 0:
        return out
    for f in frames:
        k = int(np.argmin(np.abs(cands - f)))
        if abs(int(cands[k]) - int(f)) <= reach:
            out.add(int(cands[k]))
    return out


def shot_positions(beats: np.ndarray, energy: np.ndarray, frames: np.ndarray,
                   fps: int) -> np.ndarray:
    """Where in the clip-length range a clip starting at each of ``frames`` aims (0-1), from the
    smoothed per-beat ``energy`` (0-1) and the director's shot position per energy level."""
    levels = load_json("director.json")["energy"]
    low, mid, high = (levels[k]["shot_position"] for k in ("low", "medium", "high"))
    width = min(_ENERGY_SMOOTH_BEATS, len(energy))
    smooth = np.convolve(energy, np.ones(width) / width, mode="same")
    e = np.clip(np.interp(frames / fps, beats, smooth), 0.0, 1.0)
    return np.where(e < 0.5, low + (mid - low) * e / 0.5, mid + (high - mid) * (e - 0.5) / 0.5)


def _solve(points: np.ndarray, reward: np.ndarray, fps: int, min_s: float, max_s: float,
           min_clips: int, position: np.ndarray) -> list[int] | None:
    """Frames of the cheapest path ``points[0] .. points[-1]`` with at least ``min_clips`` steps;
    a clip starting at ``points[i]`` aims at ``position[i]`` of the length range."""
    n, k_max = len(points), min_clips
    min_f, max_f = min_s * fps, max_s * fps
    targets = min_f + position * (max_f - min_f)
    cost = np.full((n, k_max + 1), np.inf)
    cost[0, 0] = 0.0
    parent = np.full((n, k_max + 1, 2), -1, dtype=int)
    for i in range(n - 1):
        if not np.isfinite(cost[i]).any():
            continue
        # every reachable point within max_s, and the first one beyond (keeps the graph connected)
        hi = int(np.searchsorted(points, points[i] + max_f, side="right"))
        js = np.arange(i + 1, min(max(hi + 1, i + 2), n))
        length = (points[js] - points[i]).astype(float)
        outside = np.maximum(min_f - length, 0) + np.maximum(length - max_f, 0)
        step = (_OUT_OF_RANGE * outside + _OFF_TARGET * np.abs(length - targets[i])) / fps \
            - reward[js] + _DOWNBEAT_REWARD  # a cut costs what a downbeat earns: no cut is free
        for c in np.flatnonzero(np.isfinite(cost[i])):
            nc = min(c + 1, k_max)
            total = cost[i, c] + step
            better = total < cost[js, nc]
            cost[js[better], nc] = total[better]
            parent[js[better], nc] = (i, c)
    if not np.isfinite(cost[n - 1, k_max]):
        return None
    path, (i, c) = [], (n - 1, k_max)
    while i > 0:
        path.append(int(points[i]))
        i, c = parent[i, c]
    return [0] + path[::-1]


def clip_boundaries(beats: Iterable[float], downbeats: Iterable[float],
                    section_starts: Iterable[float], duration: float, fps: int,
                    min_s: float = 4.0, max_s: float = 8.0, min_clips: int = 3,
                    energy: Iterable[float] | None = None) -> list[ClipBoundary]:
    """Contiguous clip slots covering frames ``0 .. to_frame(duration, fps)`` (see module doc);
    ``energy`` (0-1, one value per beat) sets the shot lengths.

    Every cut lies on a beat frame (or on the fallback grid when there are too few beats); clips
    stay within ``[min_s, max_s]`` wherever the beats allow it, and there are at least ``min_clips``.
    """
    if min_clips < 1 or min_s <= 0 or max_s < min_s:
        raise InputError(f"invalid clip length settings: {min_s}-{max_s} s, at least {min_clips}")
    end = to_frame(duration, fps)
    if end < min_clips:
        raise InputError(f"a {duration:.2f} s song is too short for {min_clips} clips")
    beat_times = np.asarray(list(beats), dtype=float)
    cands = _frames(beat_times, fps, end)
    downs = _frames(downbeats, fps, end)
    if len(cands) < min_clips - 1:
        cands, downs = _grid(end, fps, min_clips)
    points = np.concatenate([[0], cands, [end]])
    reward = np.zeros(len(points))
    index = {int(f): i for i, f in enumerate(points)}
    for f in _snap_to(downs, cands, reach=1):
        reward[index[f]] += _DOWNBEAT_REWARD
    for f in _snap_to(_frames(section_starts, fps, end), cands, reach=fps // 2):
        reward[index[f]] += _SECTION_REWARD
    reward[[0, -1]] = 0.0
    values = np.asarray(list(energy) if energy is not None else [], dtype=float)
    position = shot_positions(beat_times, values, points, fps) \
        if len(values) and len(values) == len(beat_times) else np.full(len(points), 0.5)
    cuts = _solve(points, reward, fps, min_s, max_s, min_clips, position)
    if cuts is None:  # cannot happen with >= min_clips - 1 candidates, kept as a guard
        raise InputError(f"cannot place {min_clips} clips in a {duration:.2f} s song")
    return [ClipBoundary(a, b) for a, b in zip(cuts[:-1], cuts[1:])]
