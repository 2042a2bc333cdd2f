"""Re-planning keeps locked clips and edited scripts; everything else follows the new plan."""

import asyncio
import dataclasses
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from mvstudio.engine.analysis.boundaries import clip_boundaries
from mvstudio.engine.demo import synthesize_demo
from mvstudio.engine.model import Project, check_consistency
from mvstudio.engine.pipeline import Pipeline, offline_providers
from mvstudio.engine.planning.replan import MIN_FRAGMENT_S, merge_replan
from mvstudio.engine.planning.rules import plan_from_rules
from mvstudio.engine.store.project_file import create_project
from tests.engine.test_planning_rules import analyses


def _project(analysis, plan) -> Project:
    return Project(name="r", analysis=analysis, plan=plan)


@settings(max_examples=60, deadline=None)
@given(analysis=analyses, keep=st.lists(st.booleans(), min_size=1, max_size=80),
       short=st.booleans())
def test_kept_clips_survive_and_the_rest_follows_the_new_plan(analysis, keep, short):
    old = plan_from_rules(analysis, "a quiet harbour at dawn", seed=1)
    for clip, k in zip(old.clips, keep):
        clip.locked = k and clip.seed % 2 == 0
        clip.user_edited = k and not clip.locked
    slots = clip_boundaries(analysis.beats, analysis.downbeats, [s.start for s in analysis.sections],
                            analysis.duration, analysis.fps, 2.0, 5.0) if short else None
    new = plan_from_rules(analysis, "a neon city chase", seed=2, boundaries=slots)
    before = dataclasses.asdict(old)

    merged = merge_replan(old, new, analysis)

    assert dataclasses.asdict(old) == before  # inputs untouched
    assert check_consistency(_project(analysis, merged)) == []
    kept = [c for c in old.clips if c.locked or c.user_edited]
    for clip in kept:
        assert dataclasses.asdict(merged.clip(clip.id)) == dataclasses.asdict(clip)
    edges = {0, analysis.end_frame, *analysis.beat_frames()}
    assert all(c.start_frame in edges for c in merged.clips)
    kept_ids = {c.id for c in kept}
    for clip in merged.clips:
        if clip.id not in kept_ids:
            assert "neon city chase" in clip.visual_description
    names = [c.name for c in merged.characters]
    assert len(names) == len(set(names))


def test_a_sliver_between_kept_clips_joins_its_neighbour():
    analysis = _steady()
    old = plan_from_rules(analysis, "one", seed=1)
    old.clips[1].locked = True
    new = plan_from_rules(analysis, "two", seed=2)
    # the new plan's second cut lands 10 frames after the locked clip ends: a 10-frame leftover
    cut = old.clips[1].end_frame + 10
    assert new.clips[1].start_frame == old.clips[1].start_frame and cut < new.clips[2].end_frame
    new.clips[1].end_frame = new.clips[2].start_frame = cut
    merged = merge_replan(old, new, analysis)
    assert check_consistency(_project(analysis, merged)) == []
    after = merged.clips[[c.id for c in merged.clips].index(old.clips[1].id) + 1]
    assert after.start_frame == old.clips[1].end_frame and after.end_frame == new.clips[2].end_frame
    assert min(c.frames for c in merged.clips) >= MIN_FRAGMENT_S * analysis.fps


def test_replanning_with_the_same_result_keeps_every_id():
    analysis = _steady()
    old = plan_from_rules(analysis, "same", seed=3)
    merged = merge_replan(old, plan_from_rules(analysis, "same", seed=3), analysis)
    assert [c.id for c in merged.clips] == [c.id for c in old.clips]
    assert check_consistency(_project(analysis, merged)) == []


def _steady():
    from tests.engine.test_planning_rules import make_analysis

    return make_analysis(60.0, 120.0, 0.2, "calm", 4)


def test_a_new_prompt_regenerates_only_the_unlocked_clips(tmp_path):
    song = tmp_path / "song.wav"
    synthesize_demo(song, duration=24.0, bpm=120.0)
    project = Project(name="r", prompt="a quiet harbour at dawn", created=time.time())
    store = create_project(tmp_path / "r.mvstudio", project)
    project.song = store.import_song(song)
    pipeline = Pipeline(store, project, offline_providers())
    asyncio.run(pipeline.analyse())
    asyncio.run(pipeline.plan())
    asyncio.run(pipeline.images())
    asyncio.run(pipeline.clips())
    locked = project.plan.clips[1]
    locked.locked = True
    locked_asset = project.latest_asset(locked.id, "clip")

    project.prompt = "a neon city chase"
    asyncio.run(pipeline.plan())

    stale = {c.id for c in pipeline.stale_clips()}
    assert locked.id in {c.id for c in project.plan.clips} and locked.id not in stale
    assert pipeline.clip_hash(project.plan.clip(locked.id)) is not None
    assert project.fresh_asset(locked.id, "clip", pipeline.clip_hash(locked)) is locked_asset
    assert stale == {c.id for c in project.plan.clips} - {locked.id}
    store.close()
