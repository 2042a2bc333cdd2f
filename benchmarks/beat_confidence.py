"""Does low per-beat confidence mark where the beat is wrong?  Measured on annotated real music.

Usage::

    python benchmarks/beat_confidence.py [--data ../shared/data] [--trials 20]

1. Tracker errors: every beat ``analyze`` finds on the beat-annotated items is an error when no
   annotated beat lies within +-70 ms (the beat F-measure window).  Printed per item and pooled:
   the share of beats under ``confidence.LOW``, the error rate of those and of the rest, and the
   share of errors flagged (caught) and the AUC (chance that an error beat has lower confidence
   than a correct one; 0.5 = chance).
2. Misplaced stretches: on items the tracker gets right, ``--trials`` times per item, 8 annotated
   beats are moved (a slip of 1/4-1/2 beat, or a 15 % wrong tempo) and the confidence of that grid
   is computed on the song's own accent; the moved beats (more than 70 ms off) are the errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_accuracy import BEAT_WINDOW, DEFAULT_DATA, find_items  # noqa: E402

STRETCH = 8


def errors(reference: np.ndarray, beats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(error per beat, beat lies within the annotated span)."""
    gap = np.abs(beats[:, None] - reference[None, :]).min(axis=1)
    inside = (beats >= reference[0] - 0.5) & (beats <= reference[-1] + 0.5)
    return gap > BEAT_WINDOW, inside


def auc(confidence: np.ndarray, wrong: np.ndarray) -> float:
    bad, good = confidence[wrong], confidence[~wrong]
    if not len(bad) or not len(good):
        return float("nan")
    below = bad[:, None] < good[None, :]
    ties = bad[:, None] == good[None, :]
    return float(below.mean() + 0.5 * ties.mean())


def summary(name: str, confidence: np.ndarray, wrong: np.ndarray) -> str:
    from mvstudio.engine.analysis.confidence import LOW

    low = confidence < LOW
    rate = lambda mask: f"{wrong[mask].mean():.2f}" if mask.any() else "  - "  # noqa: E731
    caught = f"{low[wrong].mean():.2f}" if wrong.any() else "  - "
    return (f"{name:32s} {len(wrong):5d} {wrong.mean():6.2f} {low.mean():7.2f} {rate(low):>8s} "
            f"{rate(~low):>8s} {caught:>6s} {auc(confidence, wrong):5.2f}")


HEADER = (f"{'':32s} {'beats':>5s} {'errors':>6s} {'flagged':>7s} {'err|low':>8s} "
          f"{'err|rest':>8s} {'caught':>6s} {'AUC':>5s}")


def tracker_errors(items) -> tuple[list[np.ndarray], list[np.ndarray]]:
    from mvstudio.engine.analysis.analyze import analyze

    print("1. tracker errors\n" + HEADER)
    pooled: tuple[list, list] = ([], [])
    for item in items:
        a = analyze(item.audio)
        wrong, inside = errors(item.beats, np.array(a.beats))
        confidence = np.array(a.confidence_curve)[inside]
        print(summary(item.name, confidence, wrong[inside]))
        pooled[0].append(confidence)
        pooled[1].append(wrong[inside])
    print(summary("pooled", np.concatenate(pooled[0]), np.concatenate(pooled[1])))
    return pooled


def misplaced_stretches(items, trials: int, seed: int = 1) -> None:
    from mvstudio.engine.analysis.audio_io import load_audio
    from mvstudio.engine.analysis.beats import ONSET_LEAD_S, tracking_accent
    from mvstudio.engine.analysis.confidence import beat_confidence
    from mvstudio.engine.analysis.features import compute_features

    rng = np.random.default_rng(seed)
    print(f"\n2. misplaced stretches of {STRETCH} annotated beats, {trials} per item\n" + HEADER)
    pooled: tuple[list, list] = ([], [])
    for item in items:
        features = compute_features(load_audio(item.audio, sr=22050), 22050)
        reference = item.beats
        period = float(np.median(np.diff(reference)))
        accent = tracking_accent(features, 60.0 / period)
        for trial in range(trials):
            beats = reference.copy()
            i = int(rng.integers(2, len(beats) - STRETCH - 2))
            if trial % 2:
                wrong_period = period * rng.choice([0.85, 1.15])
                beats[i:i + STRETCH] = beats[i] + np.arange(STRETCH) * wrong_period
            else:
                beats[i:i + STRETCH] += period * rng.choice([0.25, 1 / 3, 0.5])
            wrong = np.abs(beats - reference) > BEAT_WINDOW
            order = np.argsort(beats)
            frames = features.frame_of(beats[order] - ONSET_LEAD_S)
            pooled[0].append(beat_confidence(accent, frames))
            pooled[1].append(wrong[order])
    print(summary("pooled", np.concatenate(pooled[0]), np.concatenate(pooled[1])))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    items = [i for i in find_items(args.data) if i.beats is not None and len(i.beats) > 2 * STRETCH]
    if not items:
        print(f"no beat-annotated items in {args.data}", file=sys.stderr)
        return 2
    confidence, wrong = tracker_errors(items)
    good = [item for item, w in zip(items, wrong) if w.mean() < 0.1]
    misplaced_stretches(good, args.trials)
    return 0


if __name__ == "__main__":
    sys.exit(main())
