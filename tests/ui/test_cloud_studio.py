"""Paid generation in the studio against the fake Replicate: prices on Generate and Regenerate, the
running predictions with their Cancel, the cost ledger, the project's models and the offer to
collect paid work after a crash.  Screenshots under test-output/screenshots/."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from fakes.replicate_env import use_fake_replicate  # noqa: E402
from fakes.replicate_server import FakeReplicate, Outcome  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from mvstudio.engine.run_estimate import estimate_run  # noqa: E402
from mvstudio.engine.store import ledger  # noqa: E402
from mvstudio.ui.document import ProjectDocument  # noqa: E402

pytestmark = pytest.mark.slow
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
SEEDANCE = "bytedance/seedance-1-lite"


@pytest.fixture
def fake(monkeypatch):
    with FakeReplicate() as server:
        use_fake_replicate(monkeypatch, server)
        yield server


@pytest.fixture
def window(window, song, tmp_path, loop, fake):
    """The window of conftest.py with a planned project of the song and a Replicate token."""
    document = ProjectDocument.create(tmp_path / "night drive.mvstudio", song,
                                      prompt="lanterns over a lake", width=320, height=180)
    window.set_document(document)
    assert loop.run_until_complete(window.runner.run("plan")) == "ok"
    window.refresh_views()
    return window


def save(widget, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    QApplication.processEvents()
    assert widget.grab().save(str(SHOTS / f"cloud_{name}.png"))


def test_generate_and_regenerate_show_their_price(window):
    project = window.document.project
    total = estimate_run(window.runner.pipeline()).total
    assert total > 0
    button = window.run_panel.buttons["generate"]
    assert button.text() == f"Generate (~${total:.2f})"
    assert "per minute of video" in button.toolTip()
    clip = project.plan.clips[0]
    window.studio.timeline.select_clip(clip.id)
    one = window.runner.estimate(clip.id).total
    assert window.inspector.regenerate_button.text() == f"Regenerate (~${one:.2f})"
    assert window.inspector.model.currentText() == "Project's (seedance-1-lite)"


def test_one_clip_gets_its_own_model_and_continues_the_shot_before_undoably(window):
    project = window.document.project
    first, clip = project.plan.clips[:2]
    inspector = window.inspector
    window.studio.timeline.select_clip(clip.id)
    assert inspector.model.isEnabled() and inspector.continues.isEnabled()
    price = inspector.regenerate_button.text()
    inspector.model.activated.emit(inspector.model.findData("kling-v2.1"))  # the user picks it
    window.refresh_views()
    assert clip.video_model == "kling-v2.1"
    assert inspector.model.currentData() == "kling-v2.1"
    kling = window.runner.estimate(clip.id).label()
    assert inspector.regenerate_button.text() == f"Regenerate ({kling})" != price

    inspector.continues.setChecked(True)  # the user ticks it
    window.refresh_views()
    assert clip.continues
    assert project.plan.transition_between(first.id, clip.id).kind == "cut"
    save(window.inspector, "clip_model_and_continuity")
    save(window.studio.timeline, "continuity_link")
    assert window.undo_action.text() == "&Undo Continue the shot"
    window.undo()
    window.undo()
    assert not clip.continues and clip.video_model == ""
    window.studio.timeline.select_clip(first.id)
    assert not inspector.continues.isEnabled(), "the first clip has no shot before it"


def test_a_cloud_run_shows_its_predictions_and_one_can_be_cancelled(window, loop, fake):
    project = window.document.project
    n = len(project.plan.clips)
    fake.outcomes.extend([Outcome()] * n)  # stills at once
    fake.default = Outcome(seconds=1.5)  # clips take a while
    fake.outcomes.append(Outcome(never=True))  # the first clip made would never end: cancel it
    seen = {}

    def on_prediction(stage, _clip_id, _model, _pid):
        if stage == "clips" and len(window.runner.predictions) == min(n, 5) and not seen:
            seen["started"] = True
            loop.call_later(0.2, look_and_cancel)

    def look_and_cancel():
        window.refresh_views()
        running = window.run_panel.running
        seen["rows"] = list(running.rows)
        seen["visible"] = running.isVisibleTo(window)
        save(window.run_panel, "run_panel_running")
        stuck = next(i for i, row in enumerate(running.rows)
                     if fake.predictions[row[-1]].outcome.never)
        seen["cancelled"] = running.rows[stuck]
        running.cancel_buttons()[stuck].click()

    window.bridge.prediction_started.connect(on_prediction)
    assert loop.run_until_complete(window.runner.run("generate")) == "ok"
    assert seen["visible"] and len(seen["rows"]) == min(n, 5)
    numbers = {c.id: i + 1 for i, c in enumerate(project.plan.clips)}
    assert [(row[0], row[1], row[2], row[3]) for row in seen["rows"]] == sorted(
        ((c, numbers[c], "clips", "seedance-1-lite") for c, *_ in seen["rows"]),
        key=lambda row: row[1])
    clip_id, number, _stage, _model, pid = seen["cancelled"]
    assert fake.cancelled == [pid]
    assert window.runner.failures == {clip_id: "cancelled by the user"}
    window.refresh_views()
    assert not window.run_panel.running.isVisibleTo(window)
    assert window.run_panel.failures.rows == [(clip_id, number, "cancelled by the user")]
    assert "their stills stand in" in window.run_panel.log.toPlainText()

    # the ledger: one row per paid call, totals against the cap
    rows = ledger.rows(window.document.store.db)
    view = window.cloud.ledger
    window.cloud.ledger_dock.raise_()
    window.refresh_views()
    assert view.tree.topLevelItemCount() == len(rows) == 2 * n
    statuses = [view.tree.topLevelItem(i).text(6) for i in range(len(rows))]
    assert statuses.count("cancelled") == 1 and statuses.count("done") == 2 * n - 1
    assert view.tree.topLevelItem(0).text(2) in {f"clip {i + 1}" for i in range(n)}
    spent = ledger.spent_total(window.document.store.db)
    assert view.totals.text().startswith(f"Spent ${spent:.2f} on {2 * n - 1} paid calls")
    assert "budget cap $20.00" in view.totals.text()
    window.cloud.ledger_dock.resize(900, 260)
    save(window.cloud.ledger_dock, "ledger_view")
    assert window.run_panel.buttons["generate"].text().startswith("Generate (~$")  # the retry


def test_reopening_a_project_with_paid_work_offers_to_collect_it(window, loop, fake):
    document = window.document
    project = document.project
    pipeline = window.runner.pipeline()
    clip = project.plan.clips[0]
    wanted = pipeline.image_hash(clip)
    import replicate

    client = replicate.Client()  # a prediction a killed run left running
    earlier = client.models.predictions.create(model="black-forest-labs/flux-schnell",
                                               input={"prompt": "x"})
    row = pipeline.budget.reserve(stage="images", owner=clip.id, provider="replicate",
                                  model="flux-schnell", estimate=0.003, ceiling=0.003,
                                  input_hash=wanted)
    pipeline.budget.attach(row, earlier.id)
    document.save()
    folder = document.folder
    window.set_document(None)

    asked = []
    window.ask_resume = lambda count: asked.append(count) or True
    window.open_project(folder)
    assert asked == [1]

    async def finish():
        await asyncio.sleep(0.05)
        while window.runner.running:
            await asyncio.sleep(0.05)

    loop.run_until_complete(finish())
    n = len(project.plan.clips)
    assert fake.creates["black-forest-labs/flux-schnell"] == 1 + n - 1, "collected, not re-made"
    assert [r.status for r in ledger.rows(window.document.store.db) if r.id == row] == ["done"]
    window.ask_resume = lambda count: asked.append(count) or True
    window.set_document(None)
    window.open_project(folder)
    assert asked == [1], "nothing left to collect: no question"


def test_the_projects_models_are_chosen_from_the_model_table(window):
    dialog = window.cloud.models_dialog()
    video = dialog.boxes["video"]
    keys = [video.itemData(i) for i in range(video.count())]
    assert keys[0] == "" and {"seedance-1-lite", "kling-v2.1", "hailuo-02"} <= set(keys)
    assert video.itemText(0) == "Default (bytedance/seedance-1-lite)"
    assert any("/ s of video" in video.itemText(i) for i in range(video.count()))
    video.setCurrentIndex(video.findData("kling-v2.1"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(SHOTS / "cloud_models_dialog.png"))
    window.cloud.set_models(dialog.choice())
    assert window.document.project.settings["video_model"] == "kling-v2.1"
    assert window.runner.providers().clips.model.key == "kling-v2.1"
    assert window.document.dirty
    window.cloud.set_models({"video": "", "image": ""})
    assert "video_model" not in window.document.project.settings
    assert window.runner.providers().clips.model.key == "seedance-1-lite"


def test_a_broken_model_table_is_named_when_generate_starts(window, loop):
    from mvstudio.engine.generation.model_registry import user_file

    user_file().parent.mkdir(parents=True, exist_ok=True)
    user_file().write_text("{not json", encoding="utf-8")
    window.runner.settings_changed()
    window.refresh_views()  # the views still work (offline providers)
    assert loop.run_until_complete(window.runner.run("generate")) == "failed"
    assert "models.json: not valid JSON" in window.run_panel.stage_label.text()
