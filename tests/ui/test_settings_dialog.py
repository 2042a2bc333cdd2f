"""The settings dialog: load/save, inline refusals, keys in the keyring only, Test off the GUI thread."""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog  # noqa: E402

from fakes.key_servers import OPENAI_KEY, REPLICATE_TOKEN, FakeKeyServer  # noqa: E402
from fakes.memory_keyring import MemoryKeyring, installed  # noqa: E402
from fakes.openai_server import Reply  # noqa: E402
from mvstudio.engine.key_check import check_openai_key, check_replicate_key  # noqa: E402
from mvstudio.engine.settings import Settings, load_settings, save_settings, settings_path  # noqa: E402
from mvstudio.ui.dialogs.settings_dialog import SettingsDialog  # noqa: E402
from mvstudio.ui.style import apply_dark_theme  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
NEW_KEY = "sk-proj-typedbytheuser-000000007f3a"


@pytest.fixture(scope="module", autouse=True)
def dark(qapp):
    apply_dark_theme(QApplication.instance())


@pytest.fixture
def servers():
    with FakeKeyServer.openai() as openai_fake, FakeKeyServer.replicate() as replicate_fake:
        yield openai_fake, replicate_fake


def open_dialog(qtbot, servers=None, chosen: str = "") -> SettingsDialog:
    checks = {"openai": check_openai_key, "replicate": check_replicate_key}
    if servers:
        checks = {"openai": functools.partial(check_openai_key, base_url=servers[0].base_url),
                  "replicate": functools.partial(check_replicate_key, base_url=servers[1].base_url)}
    dialog = SettingsDialog(checks=checks, choose_folder=lambda parent, current: chosen)
    qtbot.addWidget(dialog)
    return dialog


def test_values_load_and_save_round_trip(qtbot, tmp_path):
    (tmp_path / "P.mvstudio").mkdir()
    saved = Settings(budget_cap_usd=12.5, concurrency=3, output_folder=str(tmp_path),
                     default_image_model="black-forest-labs/flux-dev", planner_model="gpt-4.1-mini",
                     min_clip_s=3.0, max_clip_s=6.5, theme="light",
                     recent_projects=[str(tmp_path / "P.mvstudio")])
    save_settings(saved)
    dialog = open_dialog(qtbot, chosen=str(tmp_path / "renders"))
    assert dialog.edited_settings() == saved
    assert dialog.budget.value() == 12.5 and dialog.concurrency.value() == 3
    assert dialog.models["planner_model"].text() == "gpt-4.1-mini"
    dialog.budget.setValue(40)
    dialog.concurrency.setValue(8)
    dialog.models["default_video_model"].setText("  kwaivgi/kling-v2.1 ")
    dialog.max_clip.setValue(10)
    qtbot.mouseClick(dialog.choose_button, Qt.LeftButton)
    assert dialog.output_folder.text() == str(tmp_path / "renders")
    dialog.accept()
    assert dialog.result() == QDialog.Accepted
    expected = Settings(budget_cap_usd=40.0, concurrency=8, output_folder=str(tmp_path / "renders"),
                        default_image_model="black-forest-labs/flux-dev",
                        default_video_model="kwaivgi/kling-v2.1", planner_model="gpt-4.1-mini",
                        min_clip_s=3.0, max_clip_s=10.0, theme="light",
                        recent_projects=[str(tmp_path / "P.mvstudio")])
    assert load_settings() == expected == dialog.settings


def test_cancel_discards(qtbot):
    dialog = open_dialog(qtbot)
    dialog.budget.setValue(99)
    dialog.reject()
    assert not settings_path().exists() and load_settings() == Settings()


def _file(tmp_path: Path) -> str:
    (tmp_path / "a file").write_text("x")
    return str(tmp_path / "a file" / "renders")


INVALID = {
    "budget": (lambda d, t: d.budget.setValue(0), "The budget cap must be more than $0."),
    "clip lengths": (lambda d, t: (d.min_clip.setValue(6), d.max_clip.setValue(6)),
                     "The shortest clip (6 s) must be shorter than the longest (6 s)."),
    "model": (lambda d, t: d.models["default_image_model"].setText("  "),
              "The image model cannot be empty."),
    "folder": (lambda d, t: d.output_folder.setText(_file(t)), "is not a folder"),
}


@pytest.mark.parametrize("name", INVALID)
def test_invalid_values_are_refused_inline_and_nothing_is_saved(qtbot, tmp_path, name):
    change, message = INVALID[name]
    dialog = open_dialog(qtbot)
    dialog.show()
    change(dialog, tmp_path)
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.LeftButton)
    assert dialog.isVisible() and dialog.result() != QDialog.Accepted
    assert message in dialog.error.text()
    assert not settings_path().exists()


def test_concurrency_stays_within_one_to_ten(qtbot):
    dialog = open_dialog(qtbot)
    dialog.concurrency.setValue(50)
    assert dialog.concurrency.value() == 10
    dialog.concurrency.setValue(0)
    assert dialog.concurrency.value() == 1


def test_a_typed_key_lands_in_the_keyring_and_never_in_the_settings_file(qtbot, monkeypatch,
                                                                          caplog):
    caplog.set_level(logging.DEBUG)
    with installed(MemoryKeyring(), monkeypatch) as memory:
        dialog = open_dialog(qtbot)
        assert dialog.keyring_notice.isHidden()
        row = dialog.key_rows["openai"]
        assert row.field.echoMode() == row.field.EchoMode.Password
        qtbot.keyClicks(row.field, NEW_KEY)
        dialog.accept()
        assert dialog.result() == QDialog.Accepted
        assert memory.store == {("MV Studio", "openai"): NEW_KEY}
        assert row.source.text() == "sk-…7f3a stored in the OS keyring" and row.typed() == ""
        assert NEW_KEY.encode() not in settings_path().read_bytes()
        assert NEW_KEY not in repr(dialog.settings)

        again = open_dialog(qtbot)
        again_row = again.key_rows["openai"]
        assert again_row.source.text().startswith("sk-…7f3a")
        assert again_row.field.placeholderText() == "type a new key to replace it"
        assert not again_row.remove_button.isHidden()
        qtbot.mouseClick(again_row.remove_button, Qt.LeftButton)
        assert memory.store, "removal waits for OK"
        again.accept()
        assert memory.store == {}
    assert caplog.records and NEW_KEY not in caplog.text


def test_without_a_keyring_the_message_is_shown_inline(qtbot):
    dialog = open_dialog(qtbot)  # conftest sets MVSTUDIO_KEYRING=none
    dialog.show()
    assert not dialog.keyring_notice.isHidden()
    assert "No usable OS keyring (keyring disabled by MVSTUDIO_KEYRING=none)" in \
        dialog.keyring_notice.text()
    row = dialog.key_rows["replicate"]
    row.field.setText(REPLICATE_TOKEN)
    dialog.accept()
    assert dialog.isVisible() and dialog.result() != QDialog.Accepted
    assert row.result.text().startswith("Cannot store the Replicate key: no usable OS keyring")
    assert "REPLICATE_API_TOKEN" in row.result.text()
    assert "could not be stored" in dialog.error.text()
    assert not settings_path().exists()


def wait_for_result(qtbot, row) -> str:
    qtbot.waitUntil(lambda: row.result.text() not in ("", "Testing…"), timeout=10_000)
    assert row.test_button.isEnabled()
    return row.result.text()


def test_test_reports_the_fake_servers_answer_without_blocking(qtbot, servers):
    openai_fake, replicate_fake = servers
    dialog = open_dialog(qtbot, servers)
    row = dialog.key_rows["openai"]
    row.field.setText(OPENAI_KEY)
    openai_fake.script(Reply(delay=0.6))
    started = time.monotonic()
    qtbot.mouseClick(row.test_button, Qt.LeftButton)
    assert time.monotonic() - started < 0.3, "the check runs off the GUI thread"
    assert row.result.text() == "Testing…" and not row.test_button.isEnabled()
    assert wait_for_result(qtbot, row) == "OpenAI accepted the key (3 models available)."

    openai_fake.keys.clear()
    qtbot.mouseClick(row.test_button, Qt.LeftButton)
    assert "rejected the key" in wait_for_result(qtbot, row)
    assert OPENAI_KEY not in row.result.text()

    replicate = dialog.key_rows["replicate"]
    replicate.field.setText(REPLICATE_TOKEN)
    replicate_fake.script(Reply(429, headers={"Retry-After": "5"}))
    qtbot.mouseClick(replicate.test_button, Qt.LeftButton)
    assert "rate-limiting" in wait_for_result(qtbot, replicate)


def test_test_uses_the_environment_key_when_none_is_typed(qtbot, servers, monkeypatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", REPLICATE_TOKEN)
    dialog = open_dialog(qtbot, servers)
    row = dialog.key_rows["replicate"]
    assert row.source.text() == "r8_…cdef from the environment variable REPLICATE_API_TOKEN"
    assert row.remove_button.isHidden()
    qtbot.mouseClick(row.test_button, Qt.LeftButton)
    assert wait_for_result(qtbot, row) == "Replicate accepted the token (account mv-studio-test)."
    empty = dialog.key_rows["openai"]
    assert empty.source.text() == "Not set (type a key, or set OPENAI_API_KEY)"
    qtbot.mouseClick(empty.test_button, Qt.LeftButton)
    assert empty.result.text() == "No key to test: type one or set OPENAI_API_KEY."


def test_screenshot(qtbot, servers, monkeypatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", REPLICATE_TOKEN)
    dialog = open_dialog(qtbot, servers)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.key_rows["openai"].field.setText(OPENAI_KEY)
    for row in dialog.key_rows.values():
        qtbot.mouseClick(row.test_button, Qt.LeftButton)
        wait_for_result(qtbot, row)
    dialog.min_clip.setValue(9)
    dialog.accept()
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(SHOTS / "settings_dialog.png"))


def test_a_model_missing_from_the_model_table_is_refused():
    from mvstudio.ui.dialogs.settings_dialog import validate

    assert validate(Settings(default_video_model="seedance-1-lite")) is None
    problem = validate(Settings(default_video_model="acme/dreamer"))
    assert problem.startswith("Unknown video model 'acme/dreamer' (known: hailuo-02, ")
    assert validate(Settings(default_image_model="kling-v2.1")).startswith(
        "Unknown image model 'kling-v2.1'")
