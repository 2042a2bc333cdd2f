"""A clip's still from the user's own picture: import, replace, what goes stale, undo, save."""

import asyncio

import pytest
from PIL import Image

from mvstudio.engine.edits import EditError, NoChange, replace_still, restore_generated_still
from mvstudio.engine.edits.stills import import_picture
from mvstudio.engine.errors import InputError, MVError
from mvstudio.engine.generation.local_clips import LocalClipMaker
from mvstudio.engine.generation.local_images import OVERSCAN, LocalStillMaker
from mvstudio.engine.model import Asset
from mvstudio.engine.pipeline import Pipeline, Providers
from mvstudio.engine.planning.rules import RulePlanner
from mvstudio.engine.store.project_file import create_project, open_project, referenced_media
from test_edits import make_project, round_trip, stale_ids

SIZE = (320, 180)


class CountingStills(LocalStillMaker):
    """The offline still maker, counting its calls."""

    def __init__(self):
        self.calls: list[str] = []

    async def generate(self, request, workdir, cancel=None):
        self.calls.append(request.owner)
        return await super().generate(request, workdir, cancel)


def picture(path, size=(90, 120), colour=(220, 40, 30)):
    Image.new("RGB", size, colour).save(path)
    return path


@pytest.fixture
def made(tmp_path):
    """A project whose every still is generated and every clip recorded as fresh."""
    project = make_project()
    project.assets.clear()
    project.width, project.height = SIZE
    store = create_project(tmp_path / "p.mvstudio", project)
    stills = CountingStills()
    pipeline = Pipeline(store, project, Providers(RulePlanner(), stills, LocalClipMaker()))
    asyncio.run(pipeline.images())
    for clip in project.plan.clips:
        project.assets.append(Asset("clip", clip.id, f"{clip.id}.mp4", pipeline.clip_hash(clip),
                                    created=1.0))
    assert stale_ids(pipeline) == [] and len(stills.calls) == len(project.plan.clips)
    stills.calls.clear()
    yield project, store, pipeline, stills
    store.close()


def test_a_picture_makes_only_its_clip_stale_and_its_still_without_the_provider(made, tmp_path):
    project, store, pipeline, stills = made
    clip = project.plan.clips[3]
    generated = project.fresh_asset(clip.id, "image", pipeline.image_hash(clip))
    mine = picture(tmp_path / "mine.jpg")
    media = import_picture(store.media, mine)
    assert mine.is_file() and store.media.verify(media) and media.endswith(".jpg")

    edit = replace_still(project, clip.id, media)
    edit.apply(project)
    assert clip.image_path == media and stale_ids(pipeline) == [clip.id]
    assert clip.user_edited, "a re-plan keeps the clip with the user's picture"
    asyncio.run(pipeline.images())
    assert stills.calls == []
    still = project.fresh_asset(clip.id, "image", pipeline.image_hash(clip))
    assert still is not None and still is not generated
    with Image.open(store.media.path(still.media)) as im:
        assert im.size == (round(SIZE[0] * OVERSCAN), round(SIZE[1] * OVERSCAN))
        assert im.size == (generated.width, generated.height)  # fitted like every still
        middle = im.convert("RGB").getpixel((im.width // 2, im.height // 2))
        assert max(abs(a - b) for a, b in zip(middle, (220, 40, 30))) <= 3  # a JPEG's colour
    assert stale_ids(pipeline) == [clip.id]  # its video is made from the new still

    assets = len(project.assets)
    edit.revert(project)
    assert stale_ids(pipeline) == []
    assert project.fresh_asset(clip.id, "image", pipeline.image_hash(clip)) is generated
    edit.apply(project)  # redo: the fitted picture is on record, nothing to make again
    asyncio.run(pipeline.images())
    assert len(project.assets) == assets and stills.calls == []


def test_replace_and_restore_are_exact_round_trips_and_refuse_what_cannot_be(made):
    project, _, _, _ = made
    clip = project.plan.clips[0]
    media = "a" * 64 + ".png"
    round_trip(project, replace_still(project, clip.id, media))
    edit = restore_generated_still(project, clip.id)
    round_trip(project, edit)
    assert edit.label == "Use generated still" and clip.image_path == ""
    with pytest.raises(NoChange):
        restore_generated_still(project, clip.id)
    with pytest.raises(EditError, match="no clip"):
        replace_still(project, "clip_nope", media)
    with pytest.raises(EditError, match="media store"):
        replace_still(project, clip.id, "../../etc/passwd")


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_text("just some notes, renamed"), "not a picture"),
    (lambda p: p.write_bytes(b""), "empty"),
    (lambda p: p.write_bytes(picture(p).read_bytes()[:200]), "not a picture"),  # truncated
    (lambda p: p.mkdir(), "not a file"),
    (lambda p: None, "not a file"),  # missing
])
def test_what_is_not_a_readable_picture_is_refused_in_one_line(tmp_path, make, words):
    store = create_project(tmp_path / "p.mvstudio", make_project())
    bad = tmp_path / "holiday.jpg"
    make(bad)
    with pytest.raises(InputError, match=words) as caught:
        import_picture(store.media, bad)
    assert "\n" not in str(caught.value) and "holiday.jpg" in str(caught.value)
    assert store.media.names() == []
    store.close()


def test_a_missing_picture_fails_the_still_with_a_clear_reason(made):
    project, store, pipeline, _ = made
    clip = project.plan.clips[1]
    replace_still(project, clip.id, "b" * 64 + ".png").apply(project)
    with pytest.raises(MVError, match="picture for this clip is missing"):
        asyncio.run(pipeline.images())


def test_a_saved_project_keeps_the_picture_and_its_media(made, tmp_path):
    project, store, pipeline, _ = made
    project.assets = [a for a in project.assets if a.kind == "image"]  # the clips were stand-ins
    clip = project.plan.clips[2]
    media = import_picture(store.media, picture(tmp_path / "mine.png"))
    replace_still(project, clip.id, media).apply(project)
    assert media in referenced_media(project)
    store.save(project)
    copy = store.save_as(project, tmp_path / "copy.mvstudio")
    copy.close()
    store.close()
    for folder in ("p.mvstudio", "copy.mvstudio"):
        reopened = open_project(tmp_path / folder)
        loaded = reopened.load()
        assert loaded.plan.clip(clip.id).image_path == media
        assert reopened.media.verify(media)
        reopened.close()
