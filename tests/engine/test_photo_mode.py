"""Photo mode in a project: the plan stage chooses photos, locked and swapped clips keep theirs
over a re-plan, excluding a photo re-chooses its clips, every edit undoes exactly, and the choices
survive saving."""

from __future__ import annotations

import asyncio
import copy
import time

import pytest
from photo_factory import photo, rooms

from mvstudio.engine.codec import to_dict
from mvstudio.engine.edits import replace_still, set_locked
from mvstudio.engine.edits.base import EditError
from mvstudio.engine.edits.stills import import_picture
from mvstudio.engine.errors import InputError
from mvstudio.engine.events import Notice
from mvstudio.engine.model import Project, check_consistency
from mvstudio.engine.photos.mode import (PhotoMode, choose_again, chosen, exclude_photos,
                                         load_library, lock_photos, mode_settings, photo_mode,
                                         photo_of, set_mode)
from mvstudio.engine.pipeline import Pipeline, offline_providers
from mvstudio.engine.planning.basis import plan_basis
from mvstudio.engine.store.project_file import create_project, open_project
from test_planning_rules import make_analysis


@pytest.fixture(scope="module")
def listing(tmp_path_factory):
    return rooms(tmp_path_factory.mktemp("listing"), ["outside front", "living", "kitchen",
                 "bedroom", "bathroom", "garden", "dusk"], per_room=3, size=(400, 300))


@pytest.fixture
def setup(tmp_path, listing):
    mode = PhotoMode(sources=[str(listing)], template="property")
    project = Project(name="t", prompt="", created=time.time(), width=320, height=180,
                      analysis=make_analysis(40.0, 120.0, 0.1, "calm", 3),
                      settings=mode_settings({}, mode))
    store = create_project(tmp_path / "p.mvstudio", project)
    events = []
    pipeline = Pipeline(store, project, offline_providers(), sink=events.append)
    yield pipeline, project, events
    store.close()


def photos_of(project) -> list[str]:
    return [photo_of(c.image_path) for c in project.plan.clips]


def test_the_plan_stage_chooses_a_photo_per_clip(setup):
    pipeline, project, _ = setup
    asyncio.run(pipeline.plan())
    plan = project.plan
    assert plan.summary.startswith("Property tour") and check_consistency(project) == []
    assert all(c.image_path and pipeline.store.media.exists(c.image_path) for c in plan.clips)
    library = load_library(photo_mode(project))
    groups = [next(p.group for p in library.photos if p.hash == h) for h in photos_of(project)]
    assert len(set(groups)) == len(groups)  # no photo twice
    first = plan.clips[0]
    assert chosen(project, first).reason.startswith("Exterior arrival: named front, outside; sharp")
    assert chosen(project, first).scene == "exterior_arrival"
    assert photo_mode(project).choices[first.id]["by"] == "offline"


def test_locked_and_swapped_clips_keep_their_photos_over_a_re_plan(setup, tmp_path):
    pipeline, project, _ = setup
    asyncio.run(pipeline.plan())
    clips = project.plan.clips
    locked, swapped = clips[1], clips[3]
    set_locked(project, locked.id, True).apply(project)
    mine = import_picture(pipeline.store.media, photo(tmp_path / "mine.jpg", 999))
    replace_still(project, swapped.id, mine).apply(project)
    kept = {locked.id: locked.image_path, swapped.id: mine}
    project.settings["seed"] = 5
    asyncio.run(pipeline.plan(force=True))
    now = {c.id: c.image_path for c in project.plan.clips}
    assert {k: now[k] for k in kept} == kept
    others = [photo_of(v) for k, v in now.items() if k not in kept]
    assert photo_of(kept[locked.id]) not in others and all(others)
    assert chosen(project, project.plan.clip(swapped.id)) is None  # shown as "your choice"


def test_exclude_rechooses_its_clip_and_undoes_exactly(setup):
    pipeline, project, _ = setup
    asyncio.run(pipeline.plan())
    library = load_library(photo_mode(project))
    before = copy.deepcopy(to_dict(project))
    target = project.plan.clips[2]
    gone = photo_of(target.image_path)
    edit = exclude_photos(project, pipeline.store.media, library, [gone])
    edit.apply(project)
    assert photo_of(target.image_path) != gone and gone in photo_mode(project).excluded
    assert gone not in photos_of(project)
    edit.revert(project)
    assert to_dict(project) == before
    back = exclude_photos(project, pipeline.store.media, library, [gone])
    back.apply(project)
    include = exclude_photos(project, pipeline.store.media, library, [gone], excluded=False)
    include.apply(project)
    assert photo_mode(project).excluded == [] and include.label == "Include photo"


def test_lock_all_choices_and_choose_again(setup):
    pipeline, project, _ = setup
    asyncio.run(pipeline.plan())
    library = load_library(photo_mode(project))
    lock = lock_photos(project)
    lock.apply(project)
    assert all(c.locked for c in project.plan.clips) and lock.label == "Lock photo choices"
    with pytest.raises(EditError):  # every clip keeps its photo: nothing to choose
        choose_again(project, pipeline.store.media, library)
    lock.revert(project)
    assert not any(c.locked for c in project.plan.clips)


def test_settings_are_checked_and_a_new_template_makes_the_plan_stale(setup):
    _, project, _ = setup
    basis = plan_basis(project)
    with pytest.raises(InputError, match="unknown photo order 'random'"):
        set_mode(project, order="random")
    with pytest.raises(InputError, match="unknown scene template 'castle'"):
        set_mode(project, template="castle")
    with pytest.raises(EditError, match="no setting colour"):
        set_mode(project, colour="red")
    edit = set_mode(project, template="wedding", pairs=True)
    edit.apply(project)
    assert photo_mode(project).template == "wedding" and plan_basis(project) != basis
    edit.revert(project)
    assert plan_basis(project) == basis


def test_pairs_reach_the_clip_request_and_its_hash(setup):
    pipeline, project, _ = setup
    set_mode(project, pairs=True).apply(project)
    asyncio.run(pipeline.plan())
    clip = project.plan.clips[0]
    assert clip.last_image_path and clip.last_image_path != clip.image_path
    asyncio.run(pipeline.images())
    request = pipeline.clip_request(clip)
    assert request.last_image == pipeline.store.media.path(clip.last_image_path)
    paired = pipeline.clip_hash(clip)
    clip.last_image_path = ""
    assert pipeline.clip_request(clip).last_image is None and pipeline.clip_hash(clip) != paired


def test_choices_survive_saving(setup):
    pipeline, project, _ = setup
    set_mode(project, pairs=True).apply(project)
    asyncio.run(pipeline.plan())
    pipeline.store.save(project)
    with open_project(pipeline.store.folder) as again:
        loaded = again.load()
    assert [(c.image_path, c.last_image_path, c.move) for c in loaded.plan.clips] == \
        [(c.image_path, c.last_image_path, c.move) for c in project.plan.clips]
    assert photo_mode(loaded) == photo_mode(project)


def test_an_unreadable_library_fails_the_plan_clearly(setup, tmp_path):
    pipeline, project, events = setup
    (tmp_path / "empty").mkdir()
    set_mode(project, sources=[str(tmp_path / "empty")]).apply(project)
    with pytest.raises(InputError, match="none of the photos of this project can be read"):
        asyncio.run(pipeline.plan())
    assert not any(isinstance(e, Notice) and e.level == "warning" for e in events)
