"""Song structure: boundaries from beat-synchronous self-similarity, labels from repetition + energy.

1. Features per beat: chroma (harmony), MFCC (timbre) and loudness, standardised and smoothed over a
   bar so that single chords do not look like new sections.
2. Boundaries: peaks of Foote's checkerboard novelty along the self-similarity matrix, at least
   ``MIN_SECTION_S`` apart, snapped to a nearby downbeat.
3. Labels: segments are grouped by similarity and neighbours of one group merged; the most
   repeated loud group is the chorus, a short or quiet opening is the intro, the last segment the
   outro, the longest one-off segment after the first chorus the bridge, the rest verses.
4. Energy level per section: from its mean beat energy, relative to the song's quiet and loud parts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage, signal

from mvstudio.engine.analysis.energy import beat_segments, loudness_db, segment_means
from mvstudio.engine.analysis.features import Features
from mvstudio.engine.model import Section

MIN_SECTION_S = 8.0
INTRO_MAX_S = 25.0  # an opening segment this short (or quiet) is an intro
_KERNEL_S = 6.0  # half-width of the novelty kernel
_SNAP_BEATS = 1.5  # snap a boundary to a downbeat this close (in beats)
_PEAK_PROMINENCE = 0.15  # of the novelty range
_MIN_NOVELTY = 0.05  # weaker changes are not section boundaries
_SAME_GROUP = 0.75  # normalised block similarity above which two segments repeat each other
_STD_FLOOR = {"chroma": 0.1, "mfcc": 2.0, "loudness": 1.5}  # natural units: 0..1, MFCC, dB
_SCALE_FLOOR = 1.0  # least squared distance the similarity kernel treats as typical


@dataclass
class _Segment:
    start: int  # beat index (inclusive)
    end: int  # beat index (exclusive)
    energy: float = 0.0
    group: int = -1
    label: str = ""


def beat_features(features: Features, beats: np.ndarray) -> np.ndarray:
    """(n_beats, d) standardised chroma + MFCC + loudness per beat, smoothed over about a bar."""
    edges = beat_segments(features, beats)[1:]
    rows = [segment_means(features.chroma[k].astype(float), edges) for k in range(12)]
    mfcc = features.mfcc
    rows += [segment_means(mfcc[k].astype(float), edges) for k in range(1, mfcc.shape[0])]
    rms = features.rms.astype(float)
    rows.append(loudness_db(np.sqrt(segment_means(rms ** 2, edges))))
    x = np.array(rows).T  # (beats, 12 + 12 + 1)
    # standardise, but never blow up features that barely change (a click track is not 5 sections)
    floor = np.r_[np.full(12, _STD_FLOOR["chroma"]), np.full(12, _STD_FLOOR["mfcc"]),
                  _STD_FLOOR["loudness"]]
    x = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), floor)
    weights = np.r_[np.full(12, 1 / np.sqrt(12)), np.full(12, 1 / np.sqrt(12)), 1.0]
    x = x * weights
    return ndimage.uniform_filter1d(x, size=min(4, len(x)), axis=0, mode="nearest")


def self_similarity(x: np.ndarray) -> np.ndarray:
    """Gaussian similarity of beat features, scaled by the median squared distance (float32)."""
    x = x.astype(np.float32)
    sq = np.sum(x ** 2, axis=1)
    ssm = x @ x.T  # becomes squared distances, then similarities, in place (long songs: big n^2)
    ssm *= -2
    ssm += sq[:, None]
    ssm += sq[None, :]
    np.maximum(ssm, 0, out=ssm)
    step = max(1, len(x) // 300)
    sample = ssm[::step, ::step]
    sample = sample[sample > 0]
    scale = max(float(np.median(sample)) if sample.size else 0.0, _SCALE_FLOOR)
    ssm *= -1.0 / scale
    np.exp(ssm, out=ssm)
    return ssm


def novelty(ssm: np.ndarray, half: int) -> np.ndarray:
    """Foote novelty (0..1): a Gaussian-tapered checkerboard kernel slid along the diagonal."""
    n = len(ssm)
    idx = np.arange(-half, half) + 0.5
    taper = np.exp(-0.5 * (idx / (0.5 * half)) ** 2)
    kernel = np.outer(taper, taper) * np.outer(np.sign(idx), np.sign(idx))
    padded = np.pad(ssm, half, mode="constant")
    out = np.array([np.sum(kernel * padded[i:i + 2 * half, i:i + 2 * half]) for i in range(n)])
    # similar blocks on the diagonal, dissimilar across: positive; 1 = perfect contrast
    return np.maximum(out, 0.0) / np.abs(kernel).sum()


def _boundaries(nov: np.ndarray, min_beats: int) -> list[int]:
    """Beat indices of prominent novelty peaks (spacing is enforced after snapping)."""
    if len(nov) < 2 * min_beats or np.ptp(nov) <= 0:
        return []
    peaks, _ = signal.find_peaks(nov, height=_MIN_NOVELTY, distance=max(1, int(0.75 * min_beats)),
                                 prominence=_PEAK_PROMINENCE * float(np.ptp(nov)))
    return [int(p) for p in peaks]


def _enforce_min_length(bounds: list[int], nov: np.ndarray, n_beats: int, min_beats: int
                        ) -> list[int]:
    """Drop the weaker boundary of the shortest segment until every segment has ``min_beats``."""
    bounds = sorted(set(b for b in bounds if 0 < b < n_beats))
    while bounds:
        edges = [0] + bounds + [n_beats]
        lengths = np.diff(edges)
        i = int(np.argmin(lengths))
        if lengths[i] >= min_beats:
            break
        # segment i runs edges[i]..edges[i+1]; its interior boundaries are bounds[i-1] and bounds[i]
        options = [k for k in (i - 1, i) if 0 <= k < len(bounds)]
        bounds.pop(min(options, key=lambda k: nov[bounds[k]]))
    return bounds


def _snap(bounds: list[int], beats: np.ndarray, downbeats: np.ndarray, period: float) -> list[int]:
    """Move each boundary to the nearest downbeat within ``_SNAP_BEATS`` beats."""
    if len(downbeats) == 0:
        return bounds
    out = []
    for b in bounds:
        d = downbeats[np.argmin(np.abs(downbeats - beats[b]))]
        if abs(d - beats[b]) <= _SNAP_BEATS * period:
            b = int(np.argmin(np.abs(beats - d)))
        if not out or b > out[-1]:
            out.append(b)
    return out


def _group(segs: list[_Segment], ssm: np.ndarray) -> None:
    """Give segments that repeat each other the same ``group`` (average link, block similarity)."""
    blocks = [slice(s.start, s.end) for s in segs]
    n = len(segs)
    sim = np.array([[ssm[a, b].mean() for b in blocks] for a in blocks])
    norm = sim / np.sqrt(np.outer(np.diag(sim), np.diag(sim)))
    groups = list(range(n))
    for a in range(n):  # merge a into the earliest earlier group it matches best
        best, best_sim = None, _SAME_GROUP
        for g in sorted(set(groups[:a])):
            members = [i for i in range(a) if groups[i] == g]
            value = float(np.mean(norm[a, members]))
            if value >= best_sim:
                best, best_sim = g, value
        if best is not None:
            groups[a] = best
    for s, g in zip(segs, groups):
        s.group = g


def _merge_repeats(segs: list[_Segment], beat_energy: np.ndarray) -> list[_Segment]:
    """Join neighbouring segments of the same group (a section that repeats itself is one section)."""
    out: list[_Segment] = []
    for s in segs:
        if out and out[-1].group == s.group:
            out[-1].end = s.end
            out[-1].energy = float(np.mean(beat_energy[out[-1].start:s.end]))
        else:
            out.append(s)
    return out


def _label(segs: list[_Segment], beats: np.ndarray, duration: float) -> None:
    """Assign PRD labels (intro/verse/chorus/bridge/outro) in place, see module doc."""
    n = len(segs)
    if n == 1:
        segs[0].label = "verse"
        return
    loud = max(s.energy for s in segs)
    quiet = min(s.energy for s in segs)
    first, last = segs[0], segs[-1]
    first_len = beats[first.end] if first.end < len(beats) else duration  # sections start at 0
    if n == 2:
        hi, lo = (first, last) if first.energy >= last.energy else (last, first)
        hi.label = "chorus"
        lo.label = "intro" if lo is first else "outro"
        return
    has_intro = first_len <= INTRO_MAX_S or first.energy < quiet + 0.5 * (loud - quiet)
    if has_intro:
        first.label = "intro"
    last.label = "outro"
    middle = [s for s in segs if not s.label]
    if not middle:
        return
    by_group: dict[int, list[_Segment]] = {}
    for s in middle:
        by_group.setdefault(s.group, []).append(s)
    energy = {g: float(np.mean([s.energy for s in m])) for g, m in by_group.items()}
    median_energy = float(np.median([s.energy for s in middle]))
    loud_groups = [g for g in by_group if energy[g] >= median_energy]
    chorus = max(loud_groups, key=lambda g: (len(by_group[g]), energy[g]))
    for s in by_group[chorus]:
        s.label = "chorus"
    others = {g: m for g, m in by_group.items() if g != chorus}
    verse = max(others, key=lambda g: (len(others[g]), -others[g][0].start), default=None)
    first_chorus = min(s.start for s in by_group[chorus])
    one_offs = [m[0] for g, m in others.items() if len(m) == 1 and g != verse
                and m[0].start > first_chorus]
    bridge = max(one_offs, key=lambda s: s.end - s.start, default=None)
    for members in others.values():
        for s in members:
            s.label = "bridge" if s is bridge else "verse"


def energy_levels(values: list[float]) -> list[str]:
    """'low'/'medium'/'high' per section from its energy relative to the song's range."""
    if not values:
        return []
    lo, hi = min(values), max(values)
    if hi - lo < 0.15:  # little contrast: judge on the absolute scale
        return ["high" if v >= 0.75 else "low" if v < 0.35 else "medium" for v in values]
    rel = [(v - lo) / (hi - lo) for v in values]
    return ["high" if r >= 0.75 else "low" if r < 0.3 else "medium" for r in rel]


def find_sections(features: Features, beats: np.ndarray, downbeats: np.ndarray,
                  beat_energy: np.ndarray) -> list[Section]:
    """Sections covering ``[0, duration]`` with labels and energy, see module doc."""
    duration = features.duration
    beats = np.asarray(beats, dtype=float)
    if len(beats) < 4:
        value = float(np.mean(beat_energy)) if len(beat_energy) else 0.0
        return [Section("verse", 0.0, duration, energy_levels([value])[0], round(value, 4))]
    period = float(np.median(np.diff(beats)))
    min_beats = max(2, int(round(MIN_SECTION_S / period)))
    x = beat_features(features, beats)
    ssm = self_similarity(x)
    half = int(np.clip(round(_KERNEL_S / period), 2, 32))
    nov = novelty(ssm, half)
    bounds = _snap(_boundaries(nov, min_beats), beats, np.asarray(downbeats), period)
    bounds = _enforce_min_length(bounds, nov, len(beats), min_beats - 1)
    edges = [0] + bounds + [len(beats)]
    segs = [_Segment(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]
    for s in segs:
        s.energy = float(np.mean(beat_energy[s.start:s.end]))
    _group(segs, ssm)
    segs = _merge_repeats(segs, beat_energy)
    _label(segs, beats, duration)
    levels = energy_levels([s.energy for s in segs])
    out = []
    for i, (s, level) in enumerate(zip(segs, levels)):
        start = 0.0 if i == 0 else float(beats[s.start])
        end = duration if i == len(segs) - 1 else float(beats[s.end])
        out.append(Section(s.label, start, end, level, round(s.energy, 4)))
    return out
