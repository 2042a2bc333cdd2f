"""The composition benchmark runs (tiny clips and song here, in batches) and prints b/a and (c)."""

from __future__ import annotations

import runpy
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "compose_speed.py"


def test_the_benchmark_runs_and_reports(capsys):
    main = runpy.run_path(str(BENCH), run_name="compose_speed")["main"]
    main(["--cases", "3:3", "--clip-seconds", "2", "--source", "160x90",
          "--size", "192x108", "--preset", "ultrafast", "--max-clips", "2",  # two batches
          "--repeat", "2"])
    out = capsys.readouterr().out
    assert "(b) composition:" in out and "(a) encode floor:" in out and "b/a = " in out
    assert "sync audit" in out and "stream durations probe" in out and "(static grain)" in out
    assert out.count("(fastest of ") == 2  # (b) and (a), each timed twice
    assert "(c) MoviePy:" in out or "(c) skipped: moviepy not installed" in out
    assert out.rstrip().endswith(("OK", "MISSED"))
