"""``mvstudio smoke``, the packaged app's self-test, passes in a source install too (the frozen
build runs it in packaging/build_linux.sh)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mvstudio.engine.export import FORMATS


@pytest.mark.slow
def test_the_smoke_command_renders_reopens_and_exports(tmp_path):
    out = tmp_path / "smoke"
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from mvstudio.cli import main; sys.exit(main())",
         "smoke", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    log = (out / "smoke.log").read_text(encoding="utf-8")
    assert done.returncode == 0, log[-3000:]
    assert "smoke test passed" in log and "FAIL" not in log
    for suffix, _ in FORMATS.values():
        assert (out / f"smoke{suffix}").stat().st_size > 0
    assert (out / "screenshot.png").is_file()
