"""Accuracy of the song analysis on annotated real music, with plain librosa side by side.

Usage::

    python benchmarks/analysis_accuracy.py [--data ../shared/data] [--items NAME ...] [--json]

Every folder of ``--data`` holding ``beats.txt`` and/or ``sections.jams`` is an item (see the data
README).  Metrics, all with mir_eval on the full arrays (no 5-second trim):

* ``F``: beat F-measure at +-70 ms; ``50ms``: share of reference beats with an estimated beat within
  +-50 ms (one-to-one matching); ``dBPM``: |estimated - reference| tempo, the reference from
  ``tempo.bpm``/``tempo.txt`` (first value) or else 60 / median annotated inter-beat interval.
* ``DbF``: downbeat F-measure at +-70 ms where beat positions are annotated.
* ``HR.5``/``HR3``: section boundary hit rate (mir_eval ``segment.detection`` F-measure, untrimmed)
  at +-0.5 s and +-3 s where ``sections.jams`` exists.

The baseline is ``librosa.beat.beat_track(y=y, sr=sr)`` on ``librosa.load(path)`` (22050 Hz mono),
i.e. what the data README's reference column was computed with.  Means are printed over all
beat-annotated items and over those of at least ``MIN_MEAN_S`` seconds (short smoke tests out).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
MIN_MEAN_S = 10.0
BEAT_WINDOW = 0.07
HIT_WINDOW = 0.05
AUDIO_NAMES = ("audio.wav", "audio.flac", "audio.mp3", "audio.ogg")


@dataclass
class Item:
    name: str
    audio: Path
    beats: Optional[np.ndarray] = None
    downbeats: Optional[np.ndarray] = None
    tempo: Optional[float] = None
    sections: Optional[np.ndarray] = None  # (n, 2) intervals


@dataclass
class Scores:
    beat_f: Optional[float] = None
    hit50: Optional[float] = None
    tempo_err: Optional[float] = None
    downbeat_f: Optional[float] = None
    hr05: Optional[float] = None
    hr3: Optional[float] = None
    bpm: Optional[float] = None
    seconds: float = 0.0


@dataclass
class Row:
    name: str
    duration: float
    ours: Scores = field(default_factory=Scores)
    librosa: Scores = field(default_factory=Scores)


# --------------------------------------------------------------------------- reading the data


def _numbers(path: Path) -> list[list[float]]:
    rows = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            rows.append([float(v) for v in line.split()])
    return rows


def _reference_tempo(folder: Path, beats: Optional[np.ndarray]) -> Optional[float]:
    for name in ("tempo.bpm", "tempo.txt"):
        if (folder / name).exists():
            values = _numbers(folder / name)
            if values and values[0]:
                return float(values[0][0])
    if beats is not None and len(beats) > 2:
        return float(60.0 / np.median(np.diff(beats)))
    return None


def _sections(path: Path) -> np.ndarray:
    doc = json.loads(path.read_text())
    ann = next(a for a in doc["annotations"] if a["namespace"].startswith("segment"))
    return np.array([[d["time"], d["time"] + d["duration"]] for d in ann["data"]])


def find_items(data: Path, names: Optional[list[str]] = None) -> list[Item]:
    items = []
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        if names and folder.name not in names:
            continue
        audio = next((folder / n for n in AUDIO_NAMES if (folder / n).exists()), None)
        beats_file, sections_file = folder / "beats.txt", folder / "sections.jams"
        if audio is None or not (beats_file.exists() or sections_file.exists()):
            continue
        item = Item(folder.name, audio)
        if beats_file.exists():
            rows = _numbers(beats_file)
            item.beats = np.array([r[0] for r in rows])
            if rows and all(len(r) > 1 for r in rows):
                item.downbeats = np.array([r[0] for r in rows if int(r[1]) == 1])
        item.tempo = _reference_tempo(folder, item.beats)
        if sections_file.exists():
            item.sections = _sections(sections_file)
        items.append(item)
    return items


# --------------------------------------------------------------------------- scoring


def score_beats(item: Item, beats: np.ndarray, bpm: float, scores: Scores) -> None:
    import mir_eval

    est = np.asarray(beats, dtype=float)
    if item.beats is not None:
        scores.beat_f = float(mir_eval.beat.f_measure(item.beats, est, BEAT_WINDOW))
        hits = mir_eval.util.match_events(item.beats, est, HIT_WINDOW) if len(est) else []
        scores.hit50 = len(hits) / len(item.beats)
    if item.tempo is not None:
        scores.tempo_err = abs(float(bpm) - item.tempo)
    scores.bpm = float(bpm)


def score_structure(item: Item, downbeats: np.ndarray, sections: np.ndarray, duration: float,
                    scores: Scores) -> None:
    import mir_eval

    if item.downbeats is not None and len(item.downbeats):
        scores.downbeat_f = float(mir_eval.beat.f_measure(item.downbeats, np.asarray(downbeats),
                                                          BEAT_WINDOW))
    if item.sections is not None and len(sections):
        ref = item.sections
        est = np.asarray(sections, dtype=float).copy()
        est[-1, 1] = max(est[-1, 1], ref[-1, 1]) if abs(est[-1, 1] - ref[-1, 1]) < 1.0 else est[-1, 1]
        scores.hr05 = float(mir_eval.segment.detection(ref, est, window=0.5)[2])
        scores.hr3 = float(mir_eval.segment.detection(ref, est, window=3.0)[2])


def run_ours(item: Item) -> tuple[float, Scores]:
    from mvstudio.engine.analysis.analyze import analyze

    began = time.perf_counter()
    a = analyze(item.audio)
    scores = Scores(seconds=time.perf_counter() - began)
    score_beats(item, np.array(a.beats), a.bpm, scores)
    intervals = np.array([[s.start, s.end] for s in a.sections])
    score_structure(item, np.array(a.downbeats), intervals, a.duration, scores)
    return a.duration, scores


def run_librosa(item: Item) -> Scores:
    """The plain baseline: ``librosa.beat.beat_track`` with its defaults (beats only)."""
    import librosa

    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y, sr = librosa.load(item.audio)
    tempo, beats = librosa.beat.beat_track(y=y, sr=sr, units="time")
    scores = Scores(seconds=time.perf_counter() - began)
    score_beats(item, beats, float(np.atleast_1d(tempo)[0]), scores)
    return scores


def warm_up() -> None:
    """Pay the one-off costs (imports, numba compilation) before anything is timed."""
    import librosa

    from mvstudio.engine.analysis.beats import track_beats
    from mvstudio.engine.analysis.features import compute_features

    rng = np.random.default_rng(0)
    y = (0.1 * rng.standard_normal(22050 * 4)).astype(np.float32)
    y[::11025] = 1.0
    track_beats(compute_features(y, 22050))
    librosa.beat.beat_track(y=y, sr=22050)


def evaluate(items: list[Item], baseline: bool = True) -> list[Row]:
    warm_up()
    rows = []
    for item in items:
        duration, ours = run_ours(item)
        row = Row(item.name, duration, ours)
        if baseline:
            row.librosa = run_librosa(item)
        rows.append(row)
        print(f"  {item.name}: done", file=sys.stderr)
    return rows


# --------------------------------------------------------------------------- reporting


def _mean(values: list[Optional[float]]) -> Optional[float]:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


def summary(rows: list[Row]) -> dict:
    beat_rows = [r for r in rows if r.ours.beat_f is not None]
    long_rows = [r for r in beat_rows if r.duration >= MIN_MEAN_S]
    tempo_rows = [r for r in long_rows if r.ours.tempo_err is not None]
    out = {}
    for label, subset in (("all", beat_rows), ("long", long_rows)):
        for who in ("ours", "librosa"):
            out[f"{label}_{who}_beat_f"] = _mean([getattr(r, who).beat_f for r in subset])
            out[f"{label}_{who}_hit50"] = _mean([getattr(r, who).hit50 for r in subset])
    for who in ("ours", "librosa"):
        out[f"{who}_tempo_within_2"] = sum(getattr(r, who).tempo_err <= 2.0 for r in tempo_rows
                                           if getattr(r, who).tempo_err is not None)
    out["tempo_items"] = len(tempo_rows)
    down = [r.ours.downbeat_f for r in long_rows if r.ours.downbeat_f is not None]
    out["ours_downbeat_f"], out["n_downbeat"] = _mean(down), len(down)
    out["ours_downbeat_over_07"] = sum(d >= 0.7 for d in down)
    hr3 = [r.ours.hr3 for r in rows if r.ours.hr3 is not None]
    out["ours_hr3"], out["n_sections"] = _mean(hr3), len(hr3)
    out["n_all"], out["n_long"] = len(beat_rows), len(long_rows)
    return out


def _f(v: Optional[float], digits: int = 3) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def print_table(rows: list[Row]) -> None:
    head = (f"{'item':32} {'dur':>5} | {'F':>5} {'F lib':>5} | {'50ms':>5} {'lib':>5} | "
            f"{'BPM':>6} {'dBPM':>5} {'lib':>5} | {'DbF':>5} | {'HR.5':>5} {'HR3':>5} | "
            f"{'sec':>5} {'lib':>5}")
    print(head)
    print("-" * len(head))
    for r in rows:
        o, b = r.ours, r.librosa
        print(f"{r.name[:32]:32} {r.duration:5.1f} | {_f(o.beat_f):>5} {_f(b.beat_f):>5} | "
              f"{_f(o.hit50):>5} {_f(b.hit50):>5} | {_f(o.bpm, 1):>6} {_f(o.tempo_err, 1):>5} "
              f"{_f(b.tempo_err, 1):>5} | {_f(o.downbeat_f):>5} | {_f(o.hr05):>5} {_f(o.hr3):>5} | "
              f"{o.seconds:5.2f} {b.seconds:5.2f}")
    s = summary(rows)
    print("-" * len(head))
    print(f"mean beat F, {s['n_all']} beat-annotated items: ours {_f(s['all_ours_beat_f'])}, "
          f"librosa {_f(s['all_librosa_beat_f'])}")
    print(f"mean beat F, {s['n_long']} items >= {MIN_MEAN_S:g} s: ours {_f(s['long_ours_beat_f'])}, "
          f"librosa {_f(s['long_librosa_beat_f'])}; within 50 ms: ours {_f(s['long_ours_hit50'])}, "
          f"librosa {_f(s['long_librosa_hit50'])}")
    print(f"tempo within 2 BPM ({s['tempo_items']} items >= {MIN_MEAN_S:g} s with a reference): "
          f"ours {s['ours_tempo_within_2']}, librosa {s['librosa_tempo_within_2']}")
    print(f"downbeat F ({s['n_downbeat']} items >= {MIN_MEAN_S:g} s with bar positions): mean "
          f"{_f(s['ours_downbeat_f'])}, {s['ours_downbeat_over_07']} of them >= 0.7")
    print(f"section boundary hit rate at 3 s ({s['n_sections']} items): {_f(s['ours_hr3'])}")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--items", nargs="*", help="only these item folders")
    parser.add_argument("--no-baseline", action="store_true", help="skip plain librosa")
    parser.add_argument("--json", action="store_true", help="print rows and summary as JSON")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no annotated data at {args.data}", file=sys.stderr)
        return 2
    items = find_items(args.data, args.items)
    if not items:
        print(f"no annotated items in {args.data}", file=sys.stderr)
        return 2
    rows = evaluate(items, baseline=not args.no_baseline)
    if args.json:
        print(json.dumps({"rows": [asdict(r) for r in rows], "summary": summary(rows)}, indent=1))
    else:
        print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
