"""Speed of the song analysis: a 3-minute song in a fresh process, cached and not, vs plain librosa.

Usage::

    python benchmarks/analysis_speed.py [--song PATH] [--seconds 180] [--repeat 3]

Without ``--song`` the test song is real music from ``../shared/data/librosa_data_unannotated``
(joined end to end to ``--seconds``) or, where that folder is absent, the synthesised demo song; it
is encoded to MP3 (what users bring).  Each figure is the median of ``--repeat`` fresh Python
processes and counts everything a user waits for: interpreter start, imports, decoding, analysis
(lyrics aside).  Printed: fresh analysis, cached analysis (the cache lookup inside the process,
and the whole process), plain ``librosa.load`` + ``librosa.beat.beat_track`` in a fresh process,
and the ratio of ours to plain librosa.  Targets: analysis <= 8 s, cached lookup <= 0.2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
UNANNOTATED = REPO.parent / "shared" / "data" / "librosa_data_unannotated"
TARGET_S, CACHED_TARGET_S = 8.0, 0.2

OURS = """
import json, sys, time
t0 = time.perf_counter()
from mvstudio.engine.analysis.cache import AnalysisCache, analyze_cached
t1 = time.perf_counter()
analysis, hit = analyze_cached(sys.argv[1], 30, cache=AnalysisCache())
t2 = time.perf_counter()
print(json.dumps({"hit": hit, "work": t2 - t1, "imports": t1 - t0, "beats": len(analysis.beats)}))
"""

BASELINE = """
import json, sys, time, warnings
t0 = time.perf_counter()
import librosa
warnings.simplefilter("ignore")
y, sr = librosa.load(sys.argv[1])
tempo, beats = librosa.beat.beat_track(y=y, sr=sr)
print(json.dumps({"work": time.perf_counter() - t0, "beats": len(beats)}))
"""


def _ffmpeg() -> str:
    from mvstudio.engine.render.ffmpeg import ffmpeg_exe

    return ffmpeg_exe()


def make_song(folder: Path, seconds: float) -> tuple[Path, str]:
    """A ``seconds``-long MP3 of real music (or the demo song) and a description of it."""
    out = folder / "song.mp3"
    sources = sorted(UNANNOTATED.glob("*.ogg")) if UNANNOTATED.is_dir() else []
    if sources:
        listing = folder / "list.txt"
        listing.write_text("".join(f"file '{p}'\n" for p in sources * 3))
        cmd = [_ffmpeg(), "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
               "-t", str(seconds), "-c:a", "libmp3lame", "-b:a", "192k", "-ar", "44100", str(out)]
        what = f"{len(sources)} librosa example recordings joined"
    else:
        from mvstudio.engine.demo import synthesize_demo

        wav = folder / "demo.wav"
        synthesize_demo(wav, duration=seconds)
        cmd = [_ffmpeg(), "-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "192k",
               str(out)]
        what = "the synthesised demo song"
    subprocess.run(cmd, check=True)
    return out, f"{what}, {seconds:.0f} s, MP3 192 kbit/s 44.1 kHz"


def fresh(script: str, song: Path, env: dict) -> tuple[float, dict]:
    """Wall time of a fresh Python process running ``script`` on ``song``, and what it printed."""
    began = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", script, str(song)], capture_output=True,
                          text=True, env=env, cwd=REPO)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        raise SystemExit(f"benchmark process failed: {proc.stderr.strip().splitlines()[-1:]}")
    return wall, json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--song", type=Path, help="analyse this file instead")
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mvstudio-speed-") as tmp:
        folder = Path(tmp)
        song, what = (args.song, str(args.song)) if args.song else make_song(folder, args.seconds)
        cache = folder / "cache"
        env = {**os.environ, "MVSTUDIO_CACHE_DIR": str(cache)}
        runs, cached, base = [], [], []
        for _ in range(args.repeat):
            for entry in cache.glob("analysis/*"):
                entry.unlink()
            runs.append(fresh(OURS, song, env))
            cached.append(fresh(OURS, song, env))
            base.append(fresh(BASELINE, song, env))
        assert all(not r[1]["hit"] for r in runs) and all(c[1]["hit"] for c in cached)
        ours = statistics.median(r[0] for r in runs)
        ours_work = statistics.median(r[1]["work"] for r in runs)
        hit_work = statistics.median(c[1]["work"] for c in cached)
        hit_wall = statistics.median(c[0] for c in cached)
        lib = statistics.median(b[0] for b in base)
        print(f"song: {what}")
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
              f"median of {args.repeat} fresh processes")
        print(f"analysis, fresh process (start to result):     {ours:6.2f} s  "
              f"(analysis itself {ours_work:.2f} s)  target <= {TARGET_S:g} s: "
              f"{'met' if ours <= TARGET_S else 'NOT met'}")
        print(f"cached, lookup inside the process:             {hit_work:6.3f} s  "
              f"target <= {CACHED_TARGET_S:g} s: {'met' if hit_work <= CACHED_TARGET_S else 'NOT met'}")
        print(f"cached, fresh process (start to result):       {hit_wall:6.2f} s")
        print(f"plain librosa load + beat_track, fresh process: {lib:6.2f} s")
        print(f"ratio ours / plain librosa:                     {ours / lib:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
