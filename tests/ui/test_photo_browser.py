"""The Photos dock: a library beside the timeline, which photo each clip uses and why; a photo
dropped on a clip swaps it (undoable), excluding re-chooses, locked choices survive a re-plan,
vision ranking through the fake OpenAI server; a screenshot of it all."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from fakes.openai_server import FakeOpenAI, Reply, chat_completion  # noqa: E402
from photo_factory import rooms  # noqa: E402
from PySide6.QtWidgets import QScrollArea  # noqa: E402
from test_gallery import SHOTS, drop  # noqa: E402

from mvstudio.engine.model import Project  # noqa: E402
from mvstudio.engine.photos.library import import_library  # noqa: E402
from mvstudio.engine.photos.mode import (PhotoMode, chosen, mode_settings, photo_mode,  # noqa: E402
                                         photo_of, set_mode)
from mvstudio.engine.photos.template_plan import plan_template  # noqa: E402
from mvstudio.engine.photos.templates import get_template  # noqa: E402
from mvstudio.engine.photos.vision import DEFAULT_BUDGET, vision_job  # noqa: E402
from mvstudio.engine.planning.prompt_only import plan_prompt_only  # noqa: E402
from mvstudio.ui.document import ProjectDocument  # noqa: E402
from mvstudio.ui.panels.photo_browser import PhotoBrowser  # noqa: E402

ROOMS = ["front", "living", "kitchen", "bedroom", "bathroom", "garden", "dusk"]


def dragged(tile) -> Path:
    """The file a library tile's drag carries (what ``drop`` drags from the OS)."""
    (url,) = tile.mime().urls()
    return Path(url.toLocalFile())


@pytest.fixture(scope="module")
def listing(tmp_path_factory):
    return rooms(tmp_path_factory.mktemp("listing"), ROOMS, start_seed=700, blurred=True)


def test_drops_and_controls_become_requests(qtbot, listing, tmp_path):
    """The widget alone: it only asks; ``PhotoActions`` turns requests into edits."""
    analysis, _ = plan_prompt_only("a house", 30.0)
    mode = PhotoMode(sources=[str(listing)], template="property", pairs=True)
    project = Project(name="t", width=320, height=180, analysis=analysis,
                      plan=plan_template(get_template("property"), analysis),
                      settings=mode_settings({}, mode))
    library = import_library([listing])
    browser = PhotoBrowser()
    qtbot.addWidget(browser)
    browser.show_photos(project, library, lambda name: tmp_path / name, "ready")
    browser.show()
    asked = []
    for signal in (browser.add_requested, browser.swap_requested, browser.settings_changed,
                   browser.exclude_requested, browser.lock_requested):
        signal.connect(lambda *args: asked.append(args))
    clip = project.plan.clips[0]
    tile = browser.clip_tiles[clip.id]
    assert tile.last_view.isVisible() and tile.why.text() == "no photo yet"
    photo_tile = next(iter(browser.photo_tiles.values()))
    assert drop(tile.last_view, dragged(photo_tile))
    assert drop(browser, tmp_path)  # a folder from the file manager
    browser.pairs.setChecked(False)
    photo_tile.menu().actions()[0].trigger()
    browser.lock_button.click()
    assert asked == [(clip.id, str(Path(library.photos[0].path)), True), ([str(tmp_path)],),
                     ({"template": "property", "order": "given", "pairs": False},),
                     (library.photos[0].hash, True), (True,)]
    assert browser.template.currentText() == "Property tour"


@pytest.fixture
def studio(window, song, loop, listing, tmp_path, qtbot):
    """A project of the song with the listing as its library, planned to the property tour."""
    document = ProjectDocument.create(tmp_path / "tour.mvstudio", song, prompt="",
                                      width=320, height=180)
    window.set_document(document)
    actions = window.photo_actions
    assert actions.add_sources([str(listing)])
    assert window.push(lambda p: set_mode(p, template="property"))
    window.refresh_views()
    qtbot.waitUntil(lambda: actions.library is not None, timeout=20_000)
    assert loop.run_until_complete(window.runner.run("plan")) == "ok"
    window.refresh_views()
    return window, document, actions


@pytest.mark.slow
def test_the_browser_shows_swaps_excludes_locks_and_ranks(studio, loop, qtbot, monkeypatch):
    window, document, actions = studio
    project, browser = document.project, actions.browser
    clips = project.plan.clips
    assert actions.dock.isVisible() and len(browser.clip_tiles) == len(clips)
    assert len(browser.photo_tiles) == 21 and "21 photos" in browser.status.text()
    first = browser.clip_tiles[clips[0].id]
    assert first.why.text().startswith("0.9") and "Exterior arrival: named front" in \
        first.why.text()
    used = browser.photo_tiles[photo_of(clips[0].image_path)]
    assert used.badge.text() == "clip 1"

    # drag a library photo onto clip 2: one undoable swap, shown as the user's choice
    target = clips[1]
    before = target.image_path
    spare = next(t for t in browser.photo_tiles.values() if not t.row.clips
                 and "IMG_9" not in t.row.name)
    assert drop(browser.clip_tiles[target.id].first_view, dragged(spare))
    assert photo_of(target.image_path) == spare.row.hash and target.user_edited
    assert window.undo_action.text() == "&Undo Replace still"
    window.refresh_views()
    assert browser.clip_tiles[target.id].why.text() == "your choice"
    window.undo()
    assert target.image_path == before and chosen(project, target) is not None

    # exclude the photo clip 3 shows: it gets the next best; the tile says excluded
    third = clips[2]
    gone = photo_of(third.image_path)
    menu = browser.photo_tiles[gone].menu()
    menu.actions()[0].trigger()
    assert photo_of(third.image_path) != gone and gone in photo_mode(project).excluded
    window.refresh_views()
    assert browser.photo_tiles[gone].badge.text() == "excluded"
    window.undo()
    assert photo_of(third.image_path) == gone

    # lock every choice; a re-plan keeps them; unlock again
    browser.lock_button.click()
    assert all(c.locked for c in clips)
    assert window.undo_action.text() == "&Undo Lock photo choices"
    shown = [c.image_path for c in clips]
    assert loop.run_until_complete(window.runner.run("replan")) == "ok"
    assert [c.image_path for c in project.plan.clips] == shown
    window.refresh_views()
    assert browser.lock_button.text() == "Unlock Choices"
    browser.lock_button.click()
    assert not any(c.locked for c in project.plan.clips)

    # rank with vision against the fake: the estimate is shown first, then the ranking applied
    with FakeOpenAI() as fake:
        monkeypatch.setenv("OPENAI_API_KEY", fake.key)
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        asked = []
        actions.confirm = lambda text: asked.append(text) or True
        job = vision_job(project, actions.library, model="gpt-4o-mini",
                         budget_tokens=DEFAULT_BUDGET)
        kitchen_clip = next(c for c in project.plan.clips
                            if chosen(project, c) and chosen(project, c).scene == "kitchen")
        other = next(i for i, p in enumerate(job.photos, 1)
                     if "kitchen" in p.words and p.hash != photo_of(kitchen_clip.image_path))
        fake.script(fake.CHAT, Reply(body=chat_completion({"scenes": [{"scene": "kitchen",
                    "picks": [{"photo": other, "confidence": 0.95,
                               "reason": "the island in morning light"}]}]})))
        assert loop.run_until_complete(actions.rank_with_vision()) == "ranked"
        assert "photos at low detail with gpt-4o-mini" in asked[0] and "$" in asked[0]
        assert photo_of(kitchen_clip.image_path) == job.photos[other - 1].hash
        assert chosen(project, kitchen_clip).reason == "Kitchen: the island in morning light"
        assert window.undo_action.text() == "&Undo Choose photos"
        fake.script(fake.CHAT, *[Reply(body=chat_completion("garbage"))] * 4)
        actions.vision_retry_delays = (0.0, 0.0, 0.0)
        assert loop.run_until_complete(actions.rank_with_vision()) == "fell back"
        assert "vision ranking failed, the offline choice stands" in \
            window.run_panel.log.toPlainText()
        assert photo_of(kitchen_clip.image_path) == job.photos[other - 1].hash

    browser.photo_tiles[gone].menu().actions()[0].trigger()  # excluded, for the picture
    window.refresh_views()
    qtbot.waitUntil(lambda: all(not t.image.pixmap().isNull()
                                for t in browser.photo_tiles.values()), timeout=10_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SHOTS / "studio_photo_browser.png"))
    scroll = browser.findChild(QScrollArea)
    assert not scroll.horizontalScrollBar().isVisible()  # fits its dock
    scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
    qtbot.wait(50)
    assert browser.grab().save(str(SHOTS / "photo_browser_library.png"))
