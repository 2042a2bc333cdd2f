"""The plan panel shows the plan and asks for edits; it never changes the project itself."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel  # noqa: E402

from mvstudio.engine.edits import Edit  # noqa: E402
from mvstudio.engine.model import (Character, ClipScript, Plan, Project, Scene,  # noqa: E402
                                   StyleGuide, Transition, check_consistency)
from mvstudio.ui.panels.plan_panel import PlanPanel  # noqa: E402
from mvstudio.ui.style import apply_dark_theme  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def make_project(origin: str = "rules", notes: tuple[str, ...] = ()) -> Project:
    """Four clips; Mara is in every clip, the Storm in none; the Pier scene is unused."""
    mara = Character("Mara", "a lighthouse keeper in a yellow raincoat", "main character")
    storm = Character("The Storm", "a wall of cloud over the sea", "antagonist")
    scenes = [Scene("Lighthouse", "a white lighthouse on black rocks", "night"),
              Scene("Harbour", "fishing boats rocking in the swell", "dawn"),
              Scene("Pier", "a wooden pier in fog", "day")]
    clips = [ClipScript(i * 120, (i + 1) * 120, f"shot {i}", characters=[mara.id],
                        scenes=[scenes[i % 2].id]) for i in range(4)]
    transitions = [Transition(a.id, b.id) for a, b in zip(clips, clips[1:])]
    style = StyleGuide(["#0B0C10", "#1F2833", "#6B2D5C", "#C5C6C7", "#45A29E"],
                       "moody neo-noir", "dark, tense", "low-key light, hard shadows",
                       "slow dolly moves, long takes", ["rain", "neon", "film grain"])
    plan = Plan(clips, transitions, [mara, storm], scenes, style,
                "A dark music video: a lighthouse keeper waits for the storm.", origin,
                list(notes))
    return Project("panel", plan=plan)


class Harness:
    """The panel and a stand-in for ``MainWindow.push``: build, apply, show again."""

    def __init__(self, qtbot, project: Project, picks: list = None):
        self.project, self.picks, self.requests = project, list(picks or []), []
        self.panel = PlanPanel(pick_colour=self._pick)
        qtbot.addWidget(self.panel)
        self.panel.edit_requested.connect(self.requests.append)
        self.panel.show_project(project)
        self.asked: list[str] = []

    def _pick(self, initial: str, parent) -> str | None:
        self.asked.append(initial)
        return self.picks.pop(0)

    def push_last(self) -> Edit:
        """What MainWindow.push does with the last request (apply, then refresh the views)."""
        edit = self.requests[-1](self.project)
        edit.apply(self.project)
        assert check_consistency(self.project) == []
        self.panel.show_project(self.project)
        return edit


@pytest.fixture(scope="module", autouse=True)
def dark(qapp):
    apply_dark_theme(QApplication.instance())


def test_it_shows_origin_summary_cast_places_style_and_no_fake_references(qtbot):
    h = Harness(qtbot, make_project())
    panel = h.panel
    assert "rule-based" in panel.origin.text() and panel.notes.isHidden()
    assert "lighthouse keeper" in panel.summary.text()
    assert [panel.characters.list.item(i).text() for i in range(2)] == [
        "Mara · main character   (4 clips)", "The Storm · antagonist   (unused)"]
    assert panel.scenes.list.count() == 3
    assert panel.characters.inputs["description"].toPlainText().startswith("a lighthouse keeper")
    assert panel.style_editor.inputs["lighting"].text() == "low-key light, hard shadows"
    assert panel.style_editor.keywords.text() == "rain, neon, film grain"
    assert len(panel.style_editor.swatches) == 5
    assert panel.style_editor.swatches[2].toolTip().startswith("#6B2D5C")
    assert [panel.tabs.tabText(i) for i in range(2)] == ["Plan", "Stills"]
    panel.tabs.setCurrentWidget(panel.gallery)
    panel.gallery.show_stills(h.project, Path, lambda clip: "")
    panel.gallery.refresh()  # (it refreshes by itself only when on screen)
    assert not panel.gallery.empty.isHidden(), "no stills yet: the gallery says so"
    assert [t.info.state for t in panel.gallery.tiles.values()] == ["missing"] * 4
    assert all(label.pixmap().isNull() for label in panel.gallery.findChildren(QLabel))


def test_llm_origin_shows_the_notes_as_notices(qtbot):
    h = Harness(qtbot, make_project("llm", ("The planner skipped two clips; the rules filled them.",)))
    assert "language-model" in h.panel.origin.text()
    assert not h.panel.notes.isHidden()
    assert "skipped two clips" in h.panel.notes.text()


def test_no_plan_shows_an_empty_state(qtbot):
    h = Harness(qtbot, Project("empty"))
    assert not h.panel.empty.isHidden() and h.panel.sections.isHidden()
    h.panel.show_project(make_project())
    assert h.panel.empty.isHidden() and not h.panel.sections.isHidden()


def test_editing_a_character_requests_an_edit_and_never_changes_the_project(qtbot):
    h = Harness(qtbot, make_project())
    before = copy.deepcopy(h.project)
    h.panel.characters.select(h.project.plan.characters[1].id)
    h.panel.characters.inputs["name"].setText("Squall")
    h.panel.characters.inputs["role"].setText("weather")
    qtbot.mouseClick(h.panel.characters.apply_button, Qt.LeftButton)
    assert len(h.requests) == 1 and h.project == before
    edit = h.push_last()
    assert edit.label == "Edit character The Storm"
    storm = h.project.plan.characters[1]
    assert (storm.name, storm.role) == ("Squall", "weather")
    assert h.panel.characters.selected().id == storm.id
    assert h.panel.characters.list.item(1).text().startswith("Squall · weather")


def test_apply_without_changes_asks_for_nothing(qtbot):
    h = Harness(qtbot, make_project())
    qtbot.mouseClick(h.panel.characters.apply_button, Qt.LeftButton)
    qtbot.mouseClick(h.panel.style_editor.apply_button, Qt.LeftButton)
    assert h.requests == []


def test_add_selects_the_new_entry_and_remove_takes_it_out(qtbot):
    h = Harness(qtbot, make_project())
    qtbot.mouseClick(h.panel.scenes.add_button, Qt.LeftButton)
    h.push_last()
    assert h.project.plan.scenes[-1].name == "New scene"
    assert h.panel.scenes.selected().name == "New scene"
    qtbot.mouseClick(h.panel.scenes.add_button, Qt.LeftButton)
    h.push_last()
    assert h.project.plan.scenes[-1].name == "New scene 2"
    assert h.panel.scenes.remove_button.isEnabled()
    qtbot.mouseClick(h.panel.scenes.remove_button, Qt.LeftButton)
    h.push_last()
    assert [s.name for s in h.project.plan.scenes][-1] == "New scene"


def test_remove_is_disabled_with_the_engines_reason_while_clips_use_it(qtbot):
    h = Harness(qtbot, make_project())
    assert h.panel.characters.selected().name == "Mara"
    assert not h.panel.characters.remove_button.isEnabled()
    assert h.panel.characters.remove_button.toolTip() == (
        "Mara appears in clips 1–4: take the character out of those clips first")
    h.panel.scenes.select(h.project.plan.scenes[2].id)
    assert h.panel.scenes.remove_button.isEnabled()


def test_a_swatch_click_picks_a_colour_and_cancel_asks_for_nothing(qtbot):
    h = Harness(qtbot, make_project(), picks=[None, "#FF8800"])
    qtbot.mouseClick(h.panel.style_editor.swatches[1], Qt.LeftButton)
    assert h.asked == ["#1F2833"] and h.requests == []
    qtbot.mouseClick(h.panel.style_editor.swatches[1], Qt.LeftButton)
    assert h.push_last().label == "Change palette colour"
    assert h.project.plan.style.palette[1] == "#FF8800"
    assert "#FF8800" in h.panel.style_editor.swatches[1].styleSheet()


def test_colours_can_be_added_and_removed(qtbot):
    h = Harness(qtbot, make_project(), picks=["#abcdef"])
    qtbot.mouseClick(h.panel.style_editor.add_colour_button, Qt.LeftButton)
    h.push_last()
    assert h.project.plan.style.palette[-1] == "#ABCDEF"
    assert len(h.panel.style_editor.swatches) == 6
    h.panel.style_editor.remove_colour(0)
    h.push_last()
    assert h.project.plan.style.palette[0] == "#1F2833" and len(h.project.plan.style.palette) == 5


def test_style_fields_and_keywords_become_one_style_edit(qtbot):
    h = Harness(qtbot, make_project())
    h.panel.style_editor.inputs["lighting"].setText("sodium street lamps")
    h.panel.style_editor.keywords.setText(" rain, , chrome ,neon")
    qtbot.mouseClick(h.panel.style_editor.apply_button, Qt.LeftButton)
    assert h.push_last().label == "Edit style"
    style = h.project.plan.style
    assert style.lighting == "sodium street lamps" and style.keywords == ["rain", "chrome", "neon"]


def test_a_refresh_with_nothing_new_keeps_what_the_user_is_typing(qtbot):
    h = Harness(qtbot, make_project())
    h.panel.style_editor.inputs["mood"].setText("half typed")
    h.panel.show_project(h.project)
    assert h.panel.style_editor.inputs["mood"].text() == "half typed"
    h.project.plan.style.mood = "changed by undo"
    h.panel.show_project(h.project)
    assert h.panel.style_editor.inputs["mood"].text() == "changed by undo"


def test_requests_go_through_the_undo_stack_as_main_window_wires_them(qtbot, tmp_path):
    from mvstudio.engine.store.project_file import create_project
    from mvstudio.ui.document import ProjectDocument

    project = make_project()
    original = copy.deepcopy(project)
    document = ProjectDocument(create_project(tmp_path / "panel.mvstudio", project), project)
    panel = PlanPanel(pick_colour=lambda initial, parent: "#FFFFFF")
    qtbot.addWidget(panel)
    panel.edit_requested.connect(lambda build: document.push(build(document.project)))
    document.changed.connect(lambda _what: panel.show_project(document.project))
    panel.show_project(project)
    qtbot.mouseClick(panel.style_editor.swatches[0], Qt.LeftButton)
    assert document.undo_stack.undoText() == "Change palette colour"
    assert project.plan.style.palette[0] == "#FFFFFF"
    document.undo_stack.undo()
    assert project == original
    assert "#0B0C10" in panel.style_editor.swatches[0].styleSheet()
    document.undo_stack.redo()
    assert "#FFFFFF" in panel.style_editor.swatches[0].styleSheet()
    document.close()


def test_a_full_palette_wraps_to_the_docks_width(qtbot):
    project = make_project()
    project.plan.style.palette = [f"#{i:02X}{i:02X}{i:02X}" for i in range(0, 240, 20)]
    h = Harness(qtbot, project)
    h.panel.resize(340, 900)
    h.panel.show()
    qtbot.waitExposed(h.panel)
    scroll = h.panel.tabs.widget(0)
    assert scroll.widget().minimumSizeHint().width() <= scroll.viewport().width()
    rows = {s.mapTo(h.panel, s.rect().topLeft()).y() for s in h.panel.style_editor.swatches}
    assert len(h.panel.style_editor.swatches) == 12 and len(rows) > 1, "the swatches wrap"
    assert not h.panel.style_editor.add_colour_button.isEnabled()
    SHOTS.mkdir(parents=True, exist_ok=True)
    scroll.ensureWidgetVisible(h.panel.style_editor)
    assert h.panel.grab().save(str(SHOTS / "plan_panel_narrow.png"))


def test_screenshot(qtbot):
    h = Harness(qtbot, make_project("llm", ("The planner skipped two clips; the rules filled "
                                            "them.",)))
    h.panel.resize(440, 1180)
    h.panel.show()
    qtbot.waitExposed(h.panel)
    qtbot.wait(50)  # the scroll area settles its scroll bars after the first layout
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert h.panel.grab().save(str(SHOTS / "plan_panel.png"))
