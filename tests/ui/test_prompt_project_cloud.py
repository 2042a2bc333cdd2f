"""New Project from Prompt with a Replicate token: the dialog prices the MusicGen soundtrack, the
project is made first and the soundtrack's segments go into its cost ledger, with progress and a
working Cancel in the Run panel, and the budget cap refusing a soundtrack that may not fit.  The
real ``replicate`` client against the fake server."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from fakes.replicate_env import use_fake_replicate  # noqa: E402
from fakes.replicate_server import FakeReplicate, Outcome  # noqa: E402
from PySide6.QtWidgets import QDialogButtonBox  # noqa: E402

from mvstudio.engine.analysis.audio_io import probe_audio  # noqa: E402
from mvstudio.engine.generation.model_registry import get_model  # noqa: E402
from mvstudio.engine.planning.story import compose_story  # noqa: E402
from mvstudio.engine.prompt_job import (quote_soundtrack, soundtrack_maker,  # noqa: E402
                                        soundtrack_title)
from mvstudio.engine.settings import Settings, save_settings  # noqa: E402
from mvstudio.engine.store import ledger  # noqa: E402
from mvstudio.ui.dialogs.prompt_project import PromptProjectDialog, PromptRequest  # noqa: E402

MUSICGEN = get_model("musicgen")
PROMPT = "A 20-second ad for a trail running shoe, energetic, sunrise in the mountains"


@pytest.fixture
def fake(monkeypatch):
    with FakeReplicate(versions={MUSICGEN.version: MUSICGEN.ref}) as server:
        use_fake_replicate(monkeypatch, server)
        yield server


def quote(seconds: float):
    story = compose_story(PROMPT, seconds)
    return quote_soundtrack(soundtrack_maker(story, cloud=True), story)


def test_the_dialog_prices_musicgen_for_the_chosen_length(qtbot, monkeypatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_a_token_for_the_dialog_only")
    dialog = PromptProjectDialog(cap=20.0)
    qtbot.addWidget(dialog)
    create = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.prompt.setPlainText(PROMPT)
    dialog.duration.setValue(20)
    assert dialog.cloud.isEnabled() and dialog.cloud.isChecked()
    text = dialog.soundtrack.text()
    assert text.startswith(f"Soundtrack maker: MusicGen on Replicate, ~${quote(20).estimate:.2f}")
    assert "your $20.00 budget cap" in text and create.isEnabled()
    dialog.duration.setValue(90)
    assert f"~${quote(90).estimate:.2f} for {quote(90).segments} segments" in \
        dialog.soundtrack.text()
    assert dialog.request() == PromptRequest(PROMPT, 90.0, None, cloud=True)
    dialog.cloud.setChecked(False)
    assert dialog.soundtrack.text() == "Soundtrack maker: offline, free."
    assert dialog.request().cloud is False

    tight = PromptProjectDialog(cap=0.5)  # less than a segment holds while it is made
    qtbot.addWidget(tight)
    tight.prompt.setPlainText(PROMPT)
    assert "more than the cap allows" in tight.soundtrack.text()
    assert not tight.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()


def test_a_musicgen_soundtrack_is_paid_into_the_new_projects_ledger(window, loop, fake,
                                                                   tmp_path):
    folder = tmp_path / "shoe.mvstudio"
    progress = []
    window.bridge.progress.connect(lambda stage, fraction, *_: progress.append((stage, fraction)))
    document = loop.run_until_complete(window.new_project_from_prompt(
        PromptRequest(PROMPT, 20.0, None, cloud=True), folder))
    assert document is window.document and document.folder == folder
    n = quote(20).segments
    rows = ledger.rows(document.store.db)
    assert [(r.stage, r.status) for r in rows] == [("soundtrack", "done")] * n
    assert all(r.actual > 0 and r.estimate > 0 for r in rows)
    assert fake.creates[MUSICGEN.ref] == n
    assert probe_audio(document.store.media.path(document.project.song.media)).duration == \
        pytest.approx(20.0, abs=0.05)
    assert document.project.plan is not None
    assert ("soundtrack", pytest.approx(1.0)) in progress
    assert "soundtrack-segment-1: musicgen prediction" in window.run_panel.log.toPlainText()
    window.refresh_views()
    assert window.cloud.ledger.tree.topLevelItemCount() == n  # the Costs dock
    assert window.cloud.ledger.tree.topLevelItem(0).text(1) == "soundtrack"


def test_cancel_stops_the_soundtrack_and_leaves_no_project(window, loop, fake, tmp_path):
    fake.outcomes.append(Outcome(never=True))
    folder = tmp_path / "shoe.mvstudio"
    window.bridge.prediction_started.connect(
        lambda *_: loop.call_later(0.2, window.run_panel.cancel_button.click))
    document = loop.run_until_complete(window.new_project_from_prompt(
        PromptRequest(PROMPT, 20.0, None, cloud=True), folder))
    assert document is None and window.document is None
    assert fake.cancelled == list(fake.predictions)  # the remote prediction is cancelled
    assert not folder.exists()  # nothing was paid: nothing is left
    assert window.statusBar().currentMessage() == "Soundtrack cancelled"
    assert not window.run_panel.cancel_button.isEnabled()
    assert window.pages.currentWidget() is window.welcome


def test_a_soundtrack_over_the_budget_cap_is_one_clear_line(window, loop, fake, tmp_path):
    save_settings(Settings(budget_cap_usd=0.5))
    window.runner.settings_changed()
    folder = tmp_path / "shoe.mvstudio"
    document = loop.run_until_complete(window.new_project_from_prompt(
        PromptRequest(PROMPT, 20.0, None, cloud=True), folder))
    assert document is None and not folder.exists()
    assert fake.creates[MUSICGEN.ref] == 0
    message = window.statusBar().currentMessage()
    assert message.startswith("Soundtrack failed: the budget cap of $0.50 would be exceeded") \
        and "soundtrack segment 1 (musicgen) may cost up to $0.84" in message \
        and "\n" not in message
    assert "budget cap of $0.50" in message


def test_a_cancelled_soundtrack_with_paid_segments_goes_on_when_asked_again(window, loop, fake):
    fake.outcomes.extend([Outcome(), Outcome(never=True)])

    esc = next(a for a in window.actions() if a.text() == "&Cancel")

    def cancel_the_second(_stage, item, *_):
        if item == "soundtrack-segment-2":
            assert esc.isEnabled(), "Run > Cancel (Esc) stops the soundtrack too"
            loop.call_later(0.2, esc.trigger)

    window.bridge.prediction_started.connect(cancel_the_second)
    request = PromptRequest(PROMPT, 20.0, None, cloud=True)
    assert loop.run_until_complete(window.new_project_from_prompt(request)) is None
    assert "already paid is recorded in" in window.run_panel.log.toPlainText()
    window.bridge.prediction_started.disconnect(cancel_the_second)

    document = loop.run_until_complete(window.new_project_from_prompt(request))
    n = quote(20).segments
    assert fake.creates[MUSICGEN.ref] == n + 1  # the cancelled segment again, nothing else
    assert document.folder.name == f"{soundtrack_title(PROMPT)}.mvstudio"  # the same folder
    assert [r.status for r in ledger.rows(document.store.db)] == \
        ["done", "cancelled"] + ["done"] * (n - 1)
