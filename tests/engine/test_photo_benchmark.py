"""The photo benchmark runs (on a small library here) and prints its timings against the target."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "photo_selection.py"


def test_the_benchmark_runs_and_reports(capsys):
    spec = importlib.util.spec_from_file_location("photo_selection", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    assert module.main(["--photos", "15", "--size", "480x320", "--clips", "4"]) == 0
    out = capsys.readouterr().out
    assert "photos: 15" in out and "first import:" in out
    assert "import + select:" in out and out.rstrip().endswith("OK")
