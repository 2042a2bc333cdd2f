"""The pipeline's single rule: only stale work runs; edits make stale only what depends on them."""

from __future__ import annotations

import asyncio
import json
import time

import numpy as np
import pytest
from PIL import Image

from mvstudio.cli import main
from mvstudio.engine.demo import synthesize_demo
from mvstudio.engine.errors import Cancelled
from mvstudio.engine.events import CancelToken, Progress
from mvstudio.engine.model import Project
from mvstudio.engine.pipeline import Pipeline, offline_providers
from mvstudio.engine.render.cuts import grey_frames
from mvstudio.engine.render.probe import count_video_frames
from mvstudio.engine.store.project_file import create_project, open_project

pytestmark = pytest.mark.slow
SMALL = dict(fps=30, width=320, height=180)


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    path = tmp_path_factory.mktemp("song") / "song.wav"
    synthesize_demo(path, duration=16.0, bpm=120.0)
    return path


def _new_project(folder, song):
    project = Project(name="t", prompt="lanterns over a lake", created=time.time(), **SMALL)
    store = create_project(folder, project)
    project.song = store.import_song(song)
    store.save(project)
    return store, project


def _kinds(project, kind):
    return sorted(a.id for a in project.assets if a.kind == kind)


def test_editing_one_script_regenerates_only_that_clip(tmp_path, song):
    store, project = _new_project(tmp_path / "p.mvstudio", song)
    pipeline = Pipeline(store, project, offline_providers())
    asyncio.run(pipeline.run(tmp_path / "first.mp4"))
    images, clips = _kinds(project, "image"), _kinds(project, "clip")
    assert len(clips) == len(project.plan.clips) >= 3
    assert pipeline.stale_clips() == []

    edited = project.plan.clips[1]
    edited.visual_description = "a paper lantern drifts into the reeds"
    edited.user_edited = True
    assert [c.id for c in pipeline.stale_clips()] == [edited.id]
    asyncio.run(pipeline.run(tmp_path / "second.mp4"))
    new_images = set(_kinds(project, "image")) - set(images)
    new_clips = set(_kinds(project, "clip")) - set(clips)
    assert len(new_images) == 1 and len(new_clips) == 1
    assert {a.owner for a in project.assets if a.id in new_clips | new_images} == {edited.id}
    assert count_video_frames(tmp_path / "second.mp4") == project.analysis.end_frame
    store.close()


def test_work_survives_a_reopen_and_is_not_redone(tmp_path, song):
    folder = tmp_path / "p.mvstudio"
    store, project = _new_project(folder, song)
    pipeline = Pipeline(store, project, offline_providers())

    async def partial():
        await pipeline.analyse()
        await pipeline.plan()
        await pipeline.images()

    asyncio.run(partial())
    store.close()

    store = open_project(folder)
    reopened = store.load()
    assert len(_kinds(reopened, "image")) == len(reopened.plan.clips)
    events = []
    pipeline = Pipeline(store, reopened, offline_providers(), sink=events.append)
    asyncio.run(pipeline.run(tmp_path / "out.mp4"))
    image_progress = [e for e in events if isinstance(e, Progress) and e.stage == "images"]
    assert all(e.message in ("all fresh", "") for e in image_progress), "no still was remade"
    assert len(_kinds(reopened, "image")) == len(reopened.plan.clips)
    assert (tmp_path / "out.mp4").exists()
    store.close()


def test_cancel_during_clips_stops_ffmpeg_and_leaves_no_scratch(tmp_path, song):
    store, project = _new_project(tmp_path / "p.mvstudio", song)
    cancel = CancelToken()

    def sink(event):
        if isinstance(event, Progress) and event.stage == "clips" and event.fraction > 0:
            cancel.cancel()

    pipeline = Pipeline(store, project, offline_providers(), sink=sink, cancel=cancel)
    with pytest.raises(Cancelled):
        asyncio.run(pipeline.run(tmp_path / "never.mp4"))
    assert not (tmp_path / "never.mp4").exists()
    assert not any((store.folder / ".work").rglob("*.mp4"))
    made = _kinds(project, "clip")
    assert 0 < len(made) < len(project.plan.clips), "finished clips are kept for the next run"
    store.close()
    reopened = open_project(tmp_path / "p.mvstudio").load()
    assert _kinds(reopened, "clip") == made


def test_photo_mode_uses_the_pictures_in_order(tmp_path, song):
    pics = tmp_path / "pics"
    pics.mkdir()
    colours = [(230, 40, 40), (40, 200, 60), (40, 60, 230)]
    for i, colour in enumerate(colours):
        Image.new("RGB", (400, 300), colour).save(pics / f"photo{i + 1}.jpg", quality=95)
    out = tmp_path / "photos.mp4"
    import contextlib
    import io
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(["render", str(song), "--prompt", "holiday", "--images", str(pics), "-o",
                     str(out), "--size", "320x180", "--json"])
    assert code == 0
    summary = json.loads(stdout.getvalue())
    frames = grey_frames(out, size=(32, 18))
    for i, clip in enumerate(summary["clips"]):
        middle = (clip["start_frame"] + clip["end_frame"]) // 2
        expected = colours[i % 3]
        rgb_grey = 0.299 * expected[0] + 0.587 * expected[1] + 0.114 * expected[2]
        assert abs(float(np.mean(frames[middle])) - rgb_grey) < 25, f"clip {i} shows photo {i % 3}"


def test_app_mode_records_assets_at_once_but_leaves_the_document_to_save(tmp_path, song):
    """With save_document=False (the app), paid-for artefacts are recorded immediately while the
    user's unsaved document changes stay unsaved until Save."""
    folder = tmp_path / "p.mvstudio"
    store, project = _new_project(folder, song)
    changes = []
    pipeline = Pipeline(store, project, offline_providers(), save_document=False,
                        on_change=changes.append)

    async def some():
        await pipeline.analyse()
        await pipeline.plan()
        await pipeline.images()

    asyncio.run(some())
    assert changes[:2] == ["analysis", "plan"] and len(changes) == 2 + len(project.plan.clips)
    on_disk = open_project(folder).load()
    assert on_disk.plan is None and on_disk.analysis is None
    assert sorted(a.id for a in on_disk.assets) == _kinds(project, "image")
    store.close()
