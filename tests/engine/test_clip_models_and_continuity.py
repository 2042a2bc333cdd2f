"""A clip's own video model, and clips that continue the one before as one shot: on Replicate
(the real client against the fake server) and offline."""

from __future__ import annotations

import asyncio
import base64
import subprocess

import numpy as np
import pytest
from fakes.replicate_server import Outcome
import test_cloud_pipeline
from test_cloud_pipeline import SEEDANCE, cloud_pipeline, cloud_project, generate

from mvstudio.engine.continuity import frame_hash, shown_last_second
from mvstudio.engine.edits.base import EditError
from mvstudio.engine.edits import edit_script, set_clip_model, set_continues
from mvstudio.engine.generation.model_registry import get_model
from mvstudio.engine.generation.replicate_video import ReplicateVideo
from mvstudio.engine.pipeline import Pipeline, offline_providers
from mvstudio.engine.planning.validate import CONTINUOUS, validate_plan
from mvstudio.engine.render.cuts import grey_frames
from mvstudio.engine.render.ffmpeg import ffmpeg_exe
from mvstudio.engine.run_estimate import _clip_request, estimate_run

KLING = "kwaivgi/kling-v2.1"
fake = test_cloud_pipeline.fake  # the fake server, as the cloud pipeline tests use it
setup = test_cloud_pipeline.setup


def apply(project, edit) -> None:
    edit.apply(project)


def sent_image(fake, p: Pipeline, clip) -> bytes:
    """The first frame the fake server was sent for ``clip``'s video."""
    prompt = p.clip_request(clip).prompt
    inputs = [pr.input for pr in fake.predictions.values()
              if pr.model in (SEEDANCE, KLING) and pr.input["prompt"] == prompt]
    return base64.b64decode(inputs[-1]["image"].split(",", 1)[1])


def grey(picture: str, size=(32, 18)) -> np.ndarray:
    """A picture file as small grey pixels."""
    out = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", picture, "-frames:v", "1", "-vf",
                          f"scale={size[0]}:{size[1]}:flags=area,format=gray", "-f", "rawvideo",
                          "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, np.uint8).astype(float)


# --------------------------------------------------------------------------- one clip's model


def test_one_clip_made_by_its_own_model_costs_its_price_and_goes_stale_alone(fake, setup):
    store, project = setup
    clips = project.plan.clips
    apply(project, set_clip_model(project, clips[1].id, "kling-v2.1"))
    assert clips[1].video_model == "kling-v2.1"
    p = cloud_pipeline(setup)
    kling = ReplicateVideo("token", get_model("kling-v2.1"))
    one = estimate_run(p, only=clips[1].id)  # before its still exists: priced by its slot
    assert p.clip_request(clips[1]) is None
    assert one.stages["clips"] == pytest.approx(
        kling.estimate(_clip_request(p, clips[1].id, clips[1].frames)))
    generate(p)
    assert fake.creates[KLING] == 1 and fake.creates[SEEDANCE] == len(clips) - 1
    assert p.clip_source(clips[1]).model == "kling-v2.1"

    apply(project, set_clip_model(project, clips[1].id, ""))  # back to the project's model
    assert [c.id for c in cloud_pipeline(setup).stale_clips()] == [clips[1].id]


def test_a_clip_model_must_be_a_video_model_of_the_registry(setup):
    _, project = setup
    clip = project.plan.clips[0]
    with pytest.raises(EditError, match="unknown video model 'flux-schnell'"):
        set_clip_model(project, clip.id, "flux-schnell")
    apply(project, set_clip_model(project, clip.id, KLING))  # an owner/name ref is accepted
    assert clip.video_model == "kling-v2.1"


# --------------------------------------------------------------------------- continuous shots


def test_marking_a_continuous_shot_makes_the_cut_hard_and_is_undoable(setup):
    _, project = setup
    a, b = project.plan.clips[1:3]
    into = project.plan.transition_between(a.id, b.id)
    into.kind, into.duration_frames = "crossfade", 8
    edit = set_continues(project, b.id, True)
    edit.apply(project)
    assert b.continues and b.user_edited
    assert (into.kind, into.duration_frames, into.rationale) == ("cut", 0, CONTINUOUS)
    assert not [x for x in validate_plan(project.plan, project.analysis) if x.kind == "continuity"]
    edit.revert(project)
    assert not b.continues and (into.kind, into.duration_frames) == ("crossfade", 8)
    with pytest.raises(EditError, match="first clip"):
        set_continues(project, project.plan.clips[0].id, True)


def test_a_continuing_clip_starts_on_the_frame_the_clip_before_ends_on(fake, setup):
    store, project = setup
    clips = project.plan.clips
    apply(project, set_continues(project, clips[2].id, True))
    p = cloud_pipeline(setup)
    generate(p)

    before = p.clip_source(clips[1])
    seconds = shown_last_second(clips[1].frames, project.fps, before.duration)
    start = project.fresh_asset(clips[2].id, "frame", frame_hash(before, seconds))
    assert start is not None, "the frame it starts on is recorded"
    assert p.clip_request(clips[2]).image == store.media.path(start.media)
    still = project.fresh_asset(clips[2].id, "image", p.image_hash(clips[2]))
    sent = sent_image(fake, p, clips[2])
    assert sent == store.media.path(start.media).read_bytes() != \
        store.media.path(still.media).read_bytes()
    # it was created only once the clip before had finished
    by_prompt = {pr.input["prompt"]: pr for pr in fake.predictions.values()}
    assert by_prompt[p.clip_request(clips[2]).prompt].created >= \
        by_prompt[p.clip_request(clips[1]).prompt].created

    # a new take of the clip before makes the continuing clip stale too, and nothing else; its
    # Regenerate price says so (one still, two clips)
    assert estimate_run(p, only=clips[1].id).counts == {"images": 1, "clips": 2}
    assert estimate_run(p, only=clips[2].id).counts == {"images": 1, "clips": 1}
    apply(project, edit_script(project, clips[1].id, seed=clips[1].seed + 1))
    assert [c.id for c in cloud_pipeline(setup).stale_clips()] == [clips[1].id, clips[2].id]


def test_when_the_clip_before_fails_both_stand_in_and_are_retried_together(fake, setup):
    store, project = setup
    clips = project.plan.clips
    n = len(clips)
    apply(project, set_continues(project, clips[1].id, True))
    fake.outcomes.extend([Outcome()] * n + [Outcome("failed", error="GPU lost")] * 2)
    p = cloud_pipeline(setup)
    p.options.concurrency = 1  # the failures go to the first clip (its two attempts)
    generate(p)

    assert p.failures[clips[1].id] == "it continues clip 1, whose video is not made"
    assert {c.id for c in p.stale_clips()} == {clips[0].id, clips[1].id}
    assert p.clip_source(clips[0]).provider == p.clip_source(clips[1]).provider == \
        "local-animator"
    generate(cloud_pipeline(setup))  # Retry: the clip, then the one continuing it
    assert cloud_pipeline(setup).stale_clips() == []


def test_offline_a_continued_shot_picks_up_where_the_clip_before_ends(tmp_path):
    store, project = cloud_project(tmp_path / "p.mvstudio", seconds=16.0)
    try:
        clips = project.plan.clips
        apply(project, set_continues(project, clips[1].id, True))
        p = Pipeline(store, project, offline_providers())
        asyncio.run(p.images())
        asyncio.run(p.clips())
        first, second = (store.media.path(p.clip_source(c).media) for c in clips[:2])
        ends_on = grey_frames(first, size=(32, 18))[clips[0].frames - 1].astype(float).ravel()
        starts = grey_frames(second, size=(32, 18))[0].astype(float).ravel()
        still = store.media.path(project.fresh_asset(clips[1].id, "image",
                                                     p.image_hash(clips[1])).media)
        assert np.abs(starts - ends_on).mean() < 4, "it starts where the first ends"
        assert np.abs(starts - grey(str(still))).mean() > 10, "not on its own still"
    finally:
        store.close()
