"""Scene and character references on Replicate (flux-kontext) against the fake server: made once,
sent with the stills, replaceable by the user's picture."""

from __future__ import annotations

import asyncio
import base64

import pytest
from fakes.replicate_server import FakeReplicate
from PIL import Image
import test_cloud_pipeline
from test_cloud_pipeline import SEEDANCE, cloud_pipeline, cloud_project, generate, rows

from mvstudio.engine.edits import (NoChange, replace_reference, reseed_reference,
                                   restore_generated_reference)
from mvstudio.engine.edits.stills import import_picture
from mvstudio.engine.run_estimate import estimate_run
from mvstudio.engine.store.project_file import referenced_media

KONTEXT = "black-forest-labs/flux-kontext-pro"
fake = test_cloud_pipeline.fake  # the fake server, as the cloud pipeline tests use it


@pytest.fixture
def setup(tmp_path):
    store, project = cloud_project(tmp_path / "p.mvstudio")
    yield store, project
    store.close()


def kontext(setup):
    return cloud_pipeline(setup, image_model="flux-kontext")


def subjects(project):
    return [*project.plan.scenes, *project.plan.characters]


def first_owner(clip):
    return (clip.characters[:1] + clip.scenes[:1])[0]


def still_inputs(fake: FakeReplicate, start: int = 0) -> list[dict]:
    return [p.input for p in list(fake.predictions.values())[start:] if "input_image" in p.input]


def test_references_are_made_once_and_sent_with_the_stills(fake: FakeReplicate, setup):
    store, project = setup
    p = kontext(setup)
    n, refs = len(project.plan.clips), len(subjects(project))
    before = estimate_run(p)
    assert before.counts == {"images": n, "clips": n, "references": refs}
    assert before.stages["references"] == pytest.approx(0.04 * refs)
    asyncio.run(p.images())

    assert fake.creates == {KONTEXT: refs + n}
    made = [pr.input for pr in fake.predictions.values()][:refs]
    assert all("input_image" not in inputs for inputs in made), "references come first"
    assert {r.owner for r in rows(store) if r.stage == "references"} == \
        {s.id for s in subjects(project)}
    assert len(still_inputs(fake)) == n
    for clip in project.plan.clips:
        reference = project.fresh_asset(first_owner(clip), "image",
                                        p.references.hash(_subject(project, first_owner(clip))))
        assert p.image_request(clip).reference == store.media.path(reference.media)

    assert estimate_run(p).counts == {"images": 0, "clips": n, "references": 0}
    asyncio.run(kontext(setup).images())  # all fresh
    assert sum(fake.creates.values()) == refs + n


def test_offline_and_text_only_models_make_no_references(fake: FakeReplicate, setup):
    _, project = setup
    p = cloud_pipeline(setup)  # flux-schnell takes no reference
    asyncio.run(p.images())
    assert sum(fake.creates.values()) == len(project.plan.clips)
    assert p.references.for_clip(project.plan.clips[0]) is None


def test_a_replaced_reference_costs_nothing_and_stales_only_its_stills(fake, setup, tmp_path):
    store, project = setup
    for clip in project.plan.clips[1:]:  # these show their scene, not the character
        clip.characters = []
    asyncio.run(kontext(setup).images())
    before = sum(fake.creates.values())
    owner = first_owner(project.plan.clips[-1])
    dependents = [c for c in project.plan.clips if first_owner(c) == owner]
    assert 0 < len(dependents) < len(project.plan.clips)

    Image.new("RGB", (64, 36), (200, 20, 20)).save(tmp_path / "mine.png")
    mine = import_picture(store.media, tmp_path / "mine.png")
    edit = replace_reference(project, owner, mine)
    edit.apply(project)
    assert mine in referenced_media(project)
    p = kontext(setup)
    assert p.references.stale() == []
    stale = [c for c in project.plan.clips
             if not project.fresh_asset(c.id, "image", p.image_hash(c))]
    assert stale == dependents
    asyncio.run(p.images())
    assert sum(fake.creates.values()) == before + len(dependents)
    sent = still_inputs(fake, before)
    picture = base64.b64encode(store.media.path(mine).read_bytes()).decode()
    assert [s["input_image"].split(",", 1)[1] for s in sent] == [picture] * len(dependents)

    edit.revert(project)  # undo: the generated reference and the stills made from it are back
    asyncio.run(kontext(setup).images())
    assert sum(fake.creates.values()) == before + len(dependents)
    with pytest.raises(NoChange):
        restore_generated_reference(project, owner)


def test_a_regenerated_reference_gets_a_new_seed_and_undo_brings_the_old_one_back(fake, setup):
    _, project = setup
    asyncio.run(kontext(setup).images())
    owner = subjects(project)[0]
    edit = reseed_reference(project, owner.id, 1234)
    edit.apply(project)
    p = kontext(setup)
    assert p.references.request(owner).seed == 1234 and p.references.stale() == [owner]
    edit.revert(project)
    assert kontext(setup).references.stale() == []


def _subject(project, owner):
    return next(s for s in subjects(project) if s.id == owner)


def test_each_clip_starts_on_its_still_made_from_its_reference(fake: FakeReplicate, setup):
    """Issue 6 point 3: a cloud video model animates the clip's still, and that still was made
    with the clip's character or scene reference (the first frame shows the reference)."""
    store, project = setup
    p = kontext(setup)
    generate(p)
    sent = list(fake.predictions.values())
    assert fake.creates[SEEDANCE] == len(project.plan.clips)
    for clip in project.plan.clips:
        reference = p.references.path(first_owner(clip))
        still = store.media.path(project.fresh_asset(clip.id, "image", p.image_hash(clip)).media)
        prompt = p.image_request(clip).prompt
        asked = next(s.input for s in sent if s.model == KONTEXT and s.input["prompt"] == prompt)
        assert _decoded(asked["input_image"]) == reference.read_bytes()
        video = next(s.input for s in sent
                     if s.model == SEEDANCE and s.input["prompt"] == p.clip_request(clip).prompt)
        assert _decoded(video["image"]) == still.read_bytes()


def _decoded(data_url: str) -> bytes:
    return base64.b64decode(data_url.split(",", 1)[1])
