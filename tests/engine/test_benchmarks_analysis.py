"""The accuracy benchmark runs, and its plain-librosa column reproduces the data README."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "analysis_accuracy.py"
SUBSET = ("tutorial_easy_example", "madmom_sample", "sargon_mindless_cut")


def load_benchmark():
    spec = importlib.util.spec_from_file_location("analysis_accuracy", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def readme_reference(data: Path) -> dict[str, float]:
    """item -> librosa ``beat_track`` F from the README's table."""
    table = {}
    for line in (data / "README.md").read_text().splitlines():
        m = re.match(r"\|\s*([\w-]+)(?: \([^)]*\))?\s*\|\s*([01]\.\d+)\s*\|", line)
        if m:
            table[m.group(1)] = float(m.group(2))
    return table


def test_benchmark_subset_and_baseline_reproduce_the_readme(shared_data, capsys):
    bench = load_benchmark()
    reference = readme_reference(shared_data)
    assert {"tutorial_easy_example", "madmom_sample"} <= set(reference)
    items = bench.find_items(shared_data, list(SUBSET))
    assert [i.name for i in items] == sorted(SUBSET)
    rows = {r.name: r for r in bench.evaluate(items)}
    for name in ("tutorial_easy_example", "madmom_sample"):
        assert rows[name].librosa.beat_f == pytest.approx(reference[name], abs=0.01)
        ours = rows[name].ours
        assert 0.0 <= ours.beat_f <= 1.0 and 0.0 <= ours.hit50 <= 1.0
        assert ours.tempo_err is not None and ours.downbeat_f is not None
    assert rows["tutorial_easy_example"].ours.beat_f >= 0.95  # a steady pop song
    sections = rows["sargon_mindless_cut"].ours
    assert sections.beat_f is None and 0.0 <= sections.hr3 <= 1.0
    bench.print_table(list(rows.values()))
    out = capsys.readouterr().out
    assert "mean beat F" in out and "tutorial_easy_example" in out
