"""The stills gallery (Plan panel, "Stills" tab): tiles of the clips' stills, drop a picture to
replace one, undo, regenerate; the Plan panel fits its dock without a horizontal scrollbar."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("PySide6")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QScrollArea  # noqa: E402

from mvstudio.engine.model import Asset  # noqa: E402
from mvstudio.engine.references import SEEDS, own_references  # noqa: E402
from mvstudio.ui.document import ProjectDocument  # noqa: E402
from mvstudio.ui.panels.gallery import StillsGallery  # noqa: E402
from mvstudio.ui.style import apply_dark_theme  # noqa: E402
from test_plan_panel import make_project  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def picture(path: Path, colour=(230, 120, 20), size=(120, 90)) -> Path:
    Image.new("RGB", size, colour).save(path)
    return path


def drop(widget, path: Path) -> bool:
    """Drag ``path`` from the OS onto ``widget`` and drop it there (real Qt events); accepted?"""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    centre = widget.rect().center()
    enter = QDragEnterEvent(centre, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(QPointF(centre), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def action(tile, starts: str):
    return next(a for a in tile.menu().actions() if a.text().startswith(starts))


# --------------------------------------------------------------------------- the widget alone


@pytest.fixture
def gallery(qtbot, tmp_path):
    """A gallery over a four-clip plan: clip 1 fresh, 2 stale, 3 the user's picture, 4 missing."""
    apply_dark_theme(QApplication.instance())
    project = make_project()
    clips = project.plan.clips
    for i, clip in enumerate(clips[:2]):
        picture(tmp_path / f"{i}.png", (40 * i, 90, 160))
        project.assets.append(Asset("image", clip.id, f"{i}.png", "now" if i == 0 else "old"))
    clips[2].image_path = picture(tmp_path / "mine.png").name
    view = StillsGallery(pick_picture=lambda parent: tmp_path / "chosen.jpg")
    qtbot.addWidget(view)
    view.show_stills(project, lambda media: tmp_path / media, lambda clip: "now")
    view.show()
    qtbot.waitExposed(view)
    return view, project


def test_tiles_show_number_time_state_and_whose_picture(gallery, qtbot):
    view, project = gallery
    tiles = list(view.tiles.values())
    assert [t.info.title for t in tiles] == ["1 · 0:00.00", "2 · 0:04.00", "3 · 0:08.00",
                                            "4 · 0:12.00"]
    assert [t.info.state for t in tiles] == ["fresh", "stale", "stale", "missing"]
    assert [t.badge.isVisible() for t in tiles] == [False, False, True, False]
    assert tiles[3].image.text() == "no still yet"
    qtbot.waitUntil(lambda: all(not t.image.pixmap().isNull() for t in tiles[:3]), timeout=5000)
    assert action(tiles[2], "Use the generated").isEnabled()
    assert not action(tiles[0], "Use the generated").isEnabled()
    view.resize(340, 420)  # narrow and scrolling: still two tiles a row
    qtbot.wait(20)
    assert len({t.y() for t in tiles}) == 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert view.grab().save(str(SHOTS / "gallery_states.png"))


def test_a_drop_a_click_and_the_menu_become_requests(gallery, qtbot, tmp_path):
    view, project = gallery
    tile = view.tiles[project.plan.clips[1].id]
    asked = []
    for signal in (view.replace_requested, view.clip_clicked, view.regenerate_requested,
                   view.edit_requested):
        signal.connect(lambda *args: asked.append(args))
    assert drop(tile, picture(tmp_path / "holiday.JPG"))
    assert not drop(tile, tmp_path / "notes.txt")  # not a picture: the tile refuses the drag
    qtbot.mouseClick(tile, Qt.LeftButton, pos=QPoint(10, 10))
    action(tile, "Regenerate clip 2").trigger()
    action(tile, "Replace with").trigger()
    action(view.tiles[project.plan.clips[2].id], "Use the generated").trigger()
    clip_id = tile.info.key
    assert asked[:4] == [(clip_id, str(tmp_path / "holiday.JPG")), (clip_id,), (clip_id,),
                         (clip_id, str(tmp_path / "chosen.jpg"))]
    build = asked[4][0]
    assert build(project).label == "Use generated still"
    assert project.plan.clips[2].image_path  # the gallery only asks; it never edits


def test_an_unseen_gallery_waits_until_it_is_shown(gallery):
    view, project = gallery
    view.hide()
    project.plan.clips.pop()
    view.show_stills(project, lambda media: Path(media), lambda clip: "now")
    assert len(view.tiles) == 4
    view.show()
    assert len(view.tiles) == 3


def references_of(project, wanted=True):
    """A stand-in for ``engine.references.References``: every reference's inputs hash "now"."""
    plan = project.plan
    return SimpleNamespace(wanted=wanted, subjects=lambda: [*plan.scenes, *plan.characters],
                           hash=lambda subject: "now")


def test_references_show_above_the_stills_and_become_requests(gallery, qtbot, tmp_path):
    view, project = gallery
    lighthouse, harbour, pier = project.plan.scenes
    mara, storm = project.plan.characters
    project.assets.append(Asset("image", lighthouse.id, picture(tmp_path / "l.png",
                                                                  (20, 60, 140)).name, "now"))
    project.assets.append(Asset("image", harbour.id, picture(tmp_path / "h.png").name, "old"))
    project.settings["references"] = {mara.id: picture(tmp_path / "mara.png", (220, 200, 40)).name}
    view.show_stills(project, lambda media: tmp_path / media, lambda clip: "now",
                     references_of(project))
    tiles = list(view.reference_tiles.values())
    assert [(t.info.title, t.info.kind, t.info.state, t.info.yours) for t in tiles] == [
        ("Lighthouse", "scene", "fresh", False), ("Harbour", "scene", "stale", False),
        ("Pier", "scene", "missing", False), ("Mara", "character", "fresh", True),
        ("The Storm", "character", "missing", False)]
    assert view.references_hint.isVisible() and not view.no_references.isVisible()
    assert all(t.y() < view.tiles[project.plan.clips[0].id].y() for t in tiles)
    qtbot.waitUntil(lambda: all(not tiles[i].image.pixmap().isNull() for i in (0, 1, 3)),
                    timeout=5000)
    view.resize(340, 640)
    qtbot.wait(20)
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert view.grab().save(str(SHOTS / "gallery_references.png"))

    asked = []
    for signal in (view.reference_replace_requested, view.reference_regenerate_requested,
                   view.replace_requested, view.clip_clicked, view.edit_requested):
        signal.connect(lambda *args: asked.append(args))
    harbour_tile, mara_tile = view.reference_tiles[harbour.id], view.reference_tiles[mara.id]
    assert drop(harbour_tile, picture(tmp_path / "boats.png"))
    action(harbour_tile, "Replace with").trigger()
    action(harbour_tile, "Regenerate this reference").trigger()
    qtbot.mouseClick(harbour_tile, Qt.LeftButton, pos=QPoint(10, 10))  # selects no clip
    assert not action(mara_tile, "Regenerate").isEnabled()  # the user's picture: restore first
    assert not action(harbour_tile, "Use the generated").isEnabled()
    action(mara_tile, "Use the generated reference").trigger()
    assert asked[:3] == [(harbour.id, str(tmp_path / "boats.png")),
                         (harbour.id, str(tmp_path / "chosen.jpg")), (harbour.id,)]
    edit = asked[3][0](project)
    assert edit.label == "Use generated reference" and len(asked) == 4
    edit.apply(project)
    assert own_references(project) == {}


def test_without_a_reference_model_the_group_is_one_line(gallery):
    view, project = gallery
    view.show_stills(project, Path, lambda clip: "now", references_of(project, wanted=False))
    assert view.reference_tiles == {} and view.no_references.isVisible()
    assert "takes none" in view.no_references.text() and not view.references_hint.isVisible()


# --------------------------------------------------------------------------- in the studio
# (``window``, ``song`` and ``loop`` come from conftest.py)


def assert_fits(scroll: QScrollArea) -> None:
    """The scroll area's content is no wider than its viewport: no horizontal scrolling."""
    assert scroll.widget().minimumSizeHint().width() <= scroll.viewport().width()
    assert scroll.widget().width() <= scroll.viewport().width()
    assert not scroll.horizontalScrollBar().isVisible()


def generated(window, loop, song, folder: Path, **settings):
    """A new project of ``song`` (with project ``settings``) generated in the studio, its
    gallery on screen: (document, gallery)."""
    document = ProjectDocument.create(folder, song, prompt="lanterns over a lake", width=320,
                                      height=180)
    document.project.settings.update(settings)
    window.set_document(document)
    window.plan_dock.raise_()
    window.plan_panel.tabs.setCurrentWidget(window.plan_panel.gallery)
    assert loop.run_until_complete(window.runner.run("generate")) == "ok"
    window.refresh_views()
    return document, window.plan_panel.gallery


def trigger_and_wait(window, loop, menu_action) -> None:
    """Trigger a tile's menu action whose window slot runs Generate; wait for the run."""
    async def run():
        finished = asyncio.Event()
        window.runner.finished.connect(lambda *_: finished.set())
        menu_action.trigger()  # the window's async slot runs the generate on this loop
        await asyncio.wait_for(finished.wait(), 120)

    loop.run_until_complete(run())


@pytest.mark.slow
def test_stills_are_replaced_by_a_drop_undone_and_regenerated_one_clip_at_a_time(
        window, song, loop, qtbot, tmp_path):
    document, gallery = generated(window, loop, song, tmp_path / "night drive.mvstudio")
    project = document.project
    clips = project.plan.clips
    assert list(gallery.tiles) == [c.id for c in clips]
    assert {t.info.state for t in gallery.tiles.values()} == {"fresh"}

    # drop a picture of the user's on clip 2: copied into the project, the clip goes stale
    target, other = clips[1], clips[2]
    mine = picture(tmp_path / "our holiday.png")
    assert drop(gallery.tiles[target.id], mine)
    assert mine.is_file() and document.store.media.exists(target.image_path)
    assert window.undo_action.text() == "&Undo Replace still"
    window.refresh_views()
    states = window.clip_states()
    assert [k for k, v in states.items() if v == "stale"] == [target.id]
    tile = gallery.tiles[target.id]
    assert tile.info.state == "stale" and tile.badge.isVisible()

    window.undo()  # back to the generated still: fresh again, nothing made
    window.refresh_views()
    assert set(window.clip_states().values()) == {"fresh"} and not target.image_path
    assert gallery.tiles[target.id].info.state == "fresh"
    window.redo()
    made = len(project.assets)
    assert loop.run_until_complete(window.runner.run("generate")) == "ok"
    assert {(a.owner, a.kind, a.provider) for a in project.assets[made:]} == {
        (target.id, "image", "photos"), (target.id, "clip", "local-animator")}

    # back to the generated still: the player and the timeline show it, not the newer picture
    window.undo()
    window.refresh_views()
    current = window.runner.pipeline().current_still(target)
    assert current.provider != "photos" and current is not project.latest_asset(target.id, "image")
    assert window.studio.player.still_for(target.start_frame) == \
        document.store.media.path(current.media)
    window.redo()
    window.refresh_views()
    assert window.runner.pipeline().current_still(target).provider == "photos"

    # regenerate clip 3 from its tile: a new seed, and only it is made again
    seed, made = other.seed, len(project.assets)
    trigger_and_wait(window, loop, action(gallery.tiles[other.id], "Regenerate clip 3"))
    assert other.seed != seed and window.undo_action.text() == "&Undo Edit script"
    assert {a.owner for a in project.assets[made:]} == {other.id}
    window.refresh_views()
    assert set(window.clip_states().values()) == {"fresh"}

    # clicking a tile selects its clip on the timeline
    qtbot.mouseClick(gallery.tiles[target.id], Qt.LeftButton, pos=QPoint(8, 8))
    assert window.studio.selected_clip() == target.id
    assert gallery.tiles[target.id]._selected
    qtbot.waitUntil(lambda: all(not t.image.pixmap().isNull() for t in gallery.tiles.values()),
                    timeout=10_000)
    assert_fits(gallery.findChild(QScrollArea))
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert window.plan_panel.grab().save(str(SHOTS / "plan_panel_stills.png"))
    assert window.grab().save(str(SHOTS / "studio_stills.png"))


def test_the_plan_panel_fits_its_dock_at_the_default_window_size(window, qtbot):
    window.plan_dock.raise_()
    project = make_project("llm", ("The planner skipped two clips; the rules filled them.",))
    window.plan_panel.show_project(project)
    window.plan_panel.setEnabled(True)
    qtbot.wait(50)
    assert window.size().width() == 1400
    assert_fits(window.plan_panel.tabs.widget(0))
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SHOTS / "studio_plan_panel_fits.png"))


@pytest.mark.slow
def test_a_reference_is_replaced_restored_and_regenerated_in_the_studio(
        window, song, loop, qtbot, tmp_path, monkeypatch):
    """flux-kontext on the fake Replicate: the references show in the gallery; a dropped picture
    replaces one (undoable), the menu restores it, Regenerate remakes it and its stills only."""
    from fakes.replicate_env import use_fake_replicate
    from fakes.replicate_server import FakeReplicate

    with FakeReplicate() as fake:
        use_fake_replicate(monkeypatch, fake)
        document, gallery = generated(window, loop, song, tmp_path / "refs.mvstudio",
                                      image_model="flux-kontext")
        project = document.project
        subjects = [*project.plan.scenes, *project.plan.characters]
        assert list(gallery.reference_tiles) == [s.id for s in subjects]
        assert {t.info.state for t in gallery.reference_tiles.values()} == {"fresh"}
        owner = project.plan.clips[0].scenes[0]
        users = {c.id for c in project.plan.clips if (c.characters[:1] + c.scenes[:1])[0] == owner}

        assert drop(gallery.reference_tiles[owner], picture(tmp_path / "our lake.png"))
        assert window.undo_action.text() == "&Undo Replace reference"
        window.refresh_views()
        assert gallery.reference_tiles[owner].badge.isVisible()
        assert {k for k, v in window.clip_states().items() if v == "stale"} == users
        window.undo()
        window.refresh_views()
        assert not own_references(project) and set(window.clip_states().values()) == {"fresh"}
        window.redo()
        window.refresh_views()
        action(gallery.reference_tiles[owner], "Use the generated reference").trigger()
        assert window.undo_action.text() == "&Undo Use generated reference"
        assert not own_references(project)
        window.refresh_views()

        creates = sum(fake.creates.values())
        trigger_and_wait(window, loop,
                         action(gallery.reference_tiles[owner], "Regenerate this reference"))
        assert owner in project.settings[SEEDS]
        assert window.undo_action.text() == "&Undo Regenerate reference"
        assert sum(fake.creates.values()) == creates + 1 + 2 * len(users)  # it, stills, clips
        window.refresh_views()
        qtbot.waitUntil(lambda: all(not t.image.pixmap().isNull()
                                    for t in gallery.reference_tiles.values()), timeout=10_000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        assert window.plan_panel.grab().save(str(SHOTS / "plan_panel_references.png"))
