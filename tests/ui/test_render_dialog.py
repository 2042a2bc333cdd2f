"""File > Render Video…: the dialog's options reach the render, and after every render the sync
audit's summary is shown and the cuts it found off are marked on the clip lane."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_export_actions import _until, open_saved  # noqa: E402

from mvstudio.engine.pipeline import Pipeline  # noqa: E402
from mvstudio.engine.render.audit import CutCheck, SyncAudit  # noqa: E402
from mvstudio.engine.render.compose import RenderReport  # noqa: E402
from mvstudio.engine.render.options import RenderOptions  # noqa: E402
from mvstudio.ui.dialogs.render_dialog import RenderDialog  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def test_the_dialog_returns_the_chosen_file_and_options(qtbot, tmp_path):
    dialog = RenderDialog(tmp_path / "night drive.mp4")
    qtbot.addWidget(dialog)
    assert dialog.choice() == (tmp_path / "night drive.mp4", RenderOptions())
    dialog.output.setText(str(tmp_path / "final"))
    dialog.aspect.setCurrentIndex(dialog.aspect.findData("9:16"))
    dialog.fit.setCurrentIndex(dialog.fit.findData("pad"))
    dialog.crf.setValue(23)
    dialog.captions.setCurrentIndex(dialog.captions.findData("off"))
    dialog.audio_fade.setValue(1.5)
    path, options = dialog.choice()
    assert path == tmp_path / "final.mp4"
    assert options == RenderOptions(aspect="9:16", fit="pad", crf=23, captions="off",
                                    audio_fade=1.5).check()
    dialog.show()
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(SHOTS / "render_dialog.png"))


def _fake_render(monkeypatch, fps, cuts, off):
    """Pipeline stages that do nothing and a render whose audit finds cut ``off`` 3 frames late."""
    calls = []

    async def nothing(self, *args, **kwargs):
        return None

    async def render(self, out, options):
        calls.append((out, options))
        checks = [CutCheck(f, "cut", f + (3.0 if f == off else 0.0)) for f in cuts]
        return RenderReport(out, 30.0, 30.01, 900, 0, 0, 0, [], 1.0,
                            audit=SyncAudit(fps, checks, 30.0, 30.01, []))

    for name in ("analyse", "plan", "images", "clips"):
        monkeypatch.setattr(Pipeline, name, nothing)
    monkeypatch.setattr(Pipeline, "render", render)
    return calls


def test_render_video_uses_the_dialog_and_marks_the_cut_the_audit_found_off(window, loop,
                                                                            tmp_path, monkeypatch):
    document = open_saved(window, tmp_path)
    fps, plan = document.project.fps, document.project.plan
    cuts = [c.start_frame for c in plan.clips[1:]]
    calls = _fake_render(monkeypatch, fps, cuts, off=cuts[1])
    chosen = (tmp_path / "final.mp4", RenderOptions(aspect="1:1", crf=24, captions="burn"))
    window.render_actions.ask_render = lambda: chosen
    file = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    action = next(a for a in file.actions() if a.text() == "&Render Video…")
    assert action.shortcut().toString() == "Ctrl+Shift+R" and action.isEnabled()
    action.trigger()
    loop.run_until_complete(_until(lambda: calls and not window.runner.running))
    assert calls == [chosen] and window.runner.last_output == chosen[0]

    summary = f"sync: {len(cuts)} cuts, max offset 3 frames"
    assert summary in window.run_panel.log.toPlainText()
    assert window.statusBar().currentMessage().startswith(summary)
    timeline = window.studio.timeline
    assert timeline._data.sync_problems == (cuts[1] / fps,)
    timeline.zoom_to(0.0, 30.0)
    loop.run_until_complete(asyncio.sleep(0.3))  # the lanes repaint on a timer
    image = timeline.grab().toImage()
    point = timeline.lane_point("clips", cuts[1] / fps, height=0.1)
    assert image.pixelColor(point).red() > 200 and image.pixelColor(point).green() < 80

    # the next render (a preview, all cuts on time) clears the mark
    calls = _fake_render(monkeypatch, fps, cuts, off=-1)
    assert loop.run_until_complete(window.runner.run("render")) == "ok"
    assert calls[0][1].preview and timeline._data.sync_problems == ()
    assert f"sync: {len(cuts)} cuts, max offset 0 frames" in window.statusBar().currentMessage()
