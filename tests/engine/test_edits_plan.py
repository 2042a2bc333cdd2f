"""Plan edits (characters, scenes, style): round trips, refusals, and what each makes stale."""

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mvstudio.engine.edits import (EditError, NoChange, add_character, add_scene, edit_character,
                                   edit_scene, edit_style, remove_character, remove_scene,
                                   set_palette_colour)
from mvstudio.engine.edits.plan import number_ranges
from mvstudio.engine.model import Project
from mvstudio.engine.planning.prompts import build_prompt
from test_edits import (assert_sound, draw_edit, fresh_pipeline, make_project, round_trip,
                        stale_ids)


@pytest.fixture
def project() -> Project:
    return make_project()


def hero(p: Project) -> str:
    return p.plan.characters[0].id


def added(p: Project, adder, name: str) -> str:
    """Id of a character or scene that ``adder`` adds now (so no clip names it)."""
    adder(p, name, f"{name.lower()} for the test").apply(p)
    return (p.plan.characters if adder is add_character else p.plan.scenes)[-1].id


def unused_scene(p: Project) -> str:
    return added(p, add_scene, "Rooftop")


BUILDERS = {
    "edit character": lambda p: edit_character(p, hero(p), name="Mara", role="keeper"),
    "add character": lambda p: add_character(p, "The Storm", "a wall of cloud", "antagonist"),
    "edit scene": lambda p: edit_scene(p, p.plan.scenes[0].id, description="a pier at night",
                                       time_of_day="night"),
    "add scene": lambda p: add_scene(p, "Harbour", "fishing boats", "dawn"),
    "remove scene": lambda p: remove_scene(p, unused_scene(p)),
    "remove character": lambda p: remove_character(p, added(p, add_character, "Extra")),
    "edit style": lambda p: edit_style(p, visual_style="grainy 16mm", mood="wistful",
                                       lighting="sodium street lamps", cinematography="long takes",
                                       palette=["#112233", "#aabbcc"], keywords=["rain", "neon"]),
    "palette colour": lambda p: set_palette_colour(p, 1, "#00ff7f"),
}


@pytest.mark.parametrize("name", BUILDERS)
def test_every_plan_edit_round_trips(project, name):
    edit = BUILDERS[name](project)
    assert edit.label
    round_trip(project, edit)


def test_labels_name_what_changed(project):
    assert edit_character(project, hero(project), role="x").label == "Edit character Protagonist"
    assert add_scene(project, "Harbour").label == "Add scene Harbour"
    assert edit_style(project, lighting="candles").label == "Edit lighting"
    assert edit_style(project, lighting="candles", mood="tense").label == "Edit style"
    assert set_palette_colour(project, 0, "#000000").label == "Change palette colour"


def test_values_are_normalised(project):
    edit_character(project, hero(project), name="  Mara \n the  keeper ").apply(project)
    assert project.plan.characters[0].name == "Mara the keeper"
    edit_style(project, palette=["#a1b2c3"], keywords=[" rain ", "", "rain", "neon  glow"]) \
        .apply(project)
    assert project.plan.style.palette == ["#A1B2C3"]
    assert project.plan.style.keywords == ["rain", "neon glow"]


def test_added_entries_get_fresh_ids_and_go_last(project):
    add_character(project, "Mara", "a keeper", "lead").apply(project)
    added = project.plan.characters[-1]
    assert (added.name, added.description, added.role) == ("Mara", "a keeper", "lead")
    assert added.id.startswith("char_") and added.id != hero(project)


def test_removing_a_character_in_use_names_the_clips(project):
    before = copy.deepcopy(project)
    with pytest.raises(EditError) as err:
        remove_character(project, hero(project))
    assert str(err.value) == (f"Protagonist appears in clips 1–{len(project.plan.clips)}: "
                              "take the character out of those clips first")
    scene = project.plan.scenes[0]
    users = [n for n, c in enumerate(project.plan.clips, 1) if scene.id in c.scenes]
    with pytest.raises(EditError, match=f"{scene.name} appears in clips {number_ranges(users)}:"):
        remove_scene(project, scene.id)
    assert project == before


def test_clip_numbers_are_shown_as_ranges():
    assert number_ranges([8, 1, 2, 3, 5, 7]) == "1–3, 5, 7, 8"
    assert number_ranges([4]) == "4" and number_ranges([]) == ""


def test_removing_a_scene_used_by_one_clip_says_clip(project):
    scene = unused_scene(project)
    project.plan.clips[4].scenes.append(scene)
    with pytest.raises(EditError, match="Rooftop appears in clip 5: take the scene out of "
                                        "that clip first"):
        remove_scene(project, scene)


INVALID = {
    "unknown character": lambda p: edit_character(p, "char_nobody", name="x"),
    "unknown character field": lambda p: edit_character(p, hero(p), age="40"),
    "no fields": lambda p: edit_character(p, hero(p)),
    "empty name": lambda p: edit_character(p, hero(p), name="   "),
    "name not text": lambda p: add_character(p, 42),
    "description not text": lambda p: edit_scene(p, p.plan.scenes[0].id, description=None),
    "duplicate name": lambda p: add_scene(p, p.plan.scenes[0].name.upper()),
    "rename onto another": lambda p: edit_scene(p, p.plan.scenes[1].id, name=p.plan.scenes[0].name),
    "unknown scene": lambda p: remove_scene(p, "scene_nowhere"),
    "unknown style field": lambda p: edit_style(p, font="serif"),
    "no style field": lambda p: edit_style(p),
    "bad hex": lambda p: edit_style(p, palette=["#12345G"]),
    "short hex": lambda p: edit_style(p, palette=["#123"]),
    "palette as text": lambda p: edit_style(p, palette="#112233"),
    "too many colours": lambda p: edit_style(p, palette=["#000000"] * 13),
    "keywords as text": lambda p: edit_style(p, keywords="rain, neon"),
    "keyword not text": lambda p: edit_style(p, keywords=["rain", 3]),
    "style text not text": lambda p: edit_style(p, lighting=["soft"]),
    "palette index": lambda p: set_palette_colour(p, 99, "#000000"),
    "negative index": lambda p: set_palette_colour(p, -1, "#000000"),
    "palette colour": lambda p: set_palette_colour(p, 0, "red"),
    "no plan": lambda p: edit_style(Project("empty"), mood="x"),
}


@pytest.mark.parametrize("name", INVALID)
def test_invalid_plan_edits_raise_and_change_nothing(project, name):
    before = copy.deepcopy(project)
    with pytest.raises(EditError):
        INVALID[name](project)
    assert project == before


def test_an_edit_that_changes_nothing_says_so(project):
    style = project.plan.style
    with pytest.raises(NoChange):
        edit_style(project, mood=style.mood, palette=[c.lower() for c in style.palette])
    with pytest.raises(NoChange):
        set_palette_colour(project, 0, style.palette[0])
    with pytest.raises(NoChange):
        edit_character(project, hero(project), name="Protagonist")


def test_a_style_edit_applied_out_of_order_fails_and_changes_nothing(project):
    first = edit_style(project, lighting="candles")
    second = edit_style(project, lighting="neon")
    first.apply(project)
    before = copy.deepcopy(project)
    with pytest.raises(EditError, match="changed since"):
        second.apply(project)
    assert project == before


def test_an_edit_keeps_its_own_copy_of_the_palette(project):
    palette = ["#111111", "#222222"]
    edit = edit_style(project, palette=palette)
    palette.append("#333333")
    edit.apply(project)
    project.plan.style.palette.append("#444444")
    assert edit.changes[0].after == (("palette", ["#111111", "#222222"]),)


# --------------------------------------------------------------------------- staleness


def prompts(project: Project) -> list[str]:
    return [build_prompt(project.plan, c).prompt for c in project.plan.clips]


@pytest.mark.parametrize("fields", [{"visual_style": "grainy 16mm"}, {"lighting": "candlelight"},
                                    {"keywords": ["rain"]}, {"palette": ["#010203"]}])
def test_a_style_edit_changes_every_prompt_and_makes_every_clip_stale(project, fields):
    pipeline = fresh_pipeline(project)
    before = prompts(project)
    edit_style(project, **fields).apply(project)
    assert all(a != b for a, b in zip(before, prompts(project)))
    assert stale_ids(pipeline) == [c.id for c in project.plan.clips]


def test_a_palette_colour_past_the_fourth_reaches_every_still_but_no_prompt(project):
    pipeline = fresh_pipeline(project)
    before = prompts(project)
    set_palette_colour(project, 4, "#ABCDEF").apply(project)
    assert prompts(project) == before
    assert stale_ids(pipeline) == [c.id for c in project.plan.clips]


def test_mood_and_cinematography_reach_every_prompt(project):
    pipeline = fresh_pipeline(project)
    edit_style(project, mood="wistful", cinematography="long takes").apply(project)
    assert all("wistful mood" in p and "long takes" in p for p in prompts(project))
    assert stale_ids(pipeline) == [c.id for c in project.plan.clips]


def test_a_character_description_changes_only_the_prompts_of_its_clips(project):
    gull = added(project, add_character, "Gull")
    project.plan.clips[2].characters.append(gull)
    pipeline = fresh_pipeline(project)
    before = prompts(project)
    edit_character(project, gull, description="a black gull", name="Crow", role="omen") \
        .apply(project)
    after = prompts(project)
    assert [i for i, (a, b) in enumerate(zip(before, after)) if a != b] == [2]
    assert stale_ids(pipeline) == [project.plan.clips[2].id]


def test_a_character_name_or_role_changes_nothing_downstream(project):
    pipeline = fresh_pipeline(project)
    edit_character(project, hero(project), name="Mara", role="keeper").apply(project)
    assert stale_ids(pipeline) == []


def test_a_scene_edit_changes_no_prompt_and_makes_nothing_stale(project):
    pipeline = fresh_pipeline(project)
    before = prompts(project)
    scene = project.plan.scenes[0]
    edit_scene(project, scene.id, name="Pier", description="a pier in fog", time_of_day="dawn") \
        .apply(project)
    add_scene(project, "Harbour").apply(project)
    assert prompts(project) == before and stale_ids(pipeline) == []


# --------------------------------------------------------------------------- random sequences


def draw_plan_edit(data, project: Project):
    plan = project.plan
    kind = data.draw(st.sampled_from(["character", "scene", "style", "colour", "add", "remove"]))
    text = st.text(alphabet="abc XYZ", max_size=8)
    if kind == "character":
        return edit_character(project, data.draw(st.sampled_from(plan.characters)).id,
                              name=data.draw(text), description=data.draw(text))
    if kind == "scene":
        return edit_scene(project, data.draw(st.sampled_from(plan.scenes)).id,
                          time_of_day=data.draw(text))
    if kind == "style":
        return edit_style(project, keywords=data.draw(st.lists(text, max_size=3)),
                          lighting=data.draw(text))
    if kind == "colour":
        return set_palette_colour(project, data.draw(st.integers(-1, 6)),
                                  data.draw(st.sampled_from(["#000000", "#FFAA00", "nope"])))
    if kind == "add":
        adder = data.draw(st.sampled_from([add_character, add_scene]))
        return adder(project, data.draw(text))
    items = data.draw(st.sampled_from([plan.characters, plan.scenes]))
    remover = remove_character if items is plan.characters else remove_scene
    return remover(project, data.draw(st.sampled_from(items)).id)


def build_and_apply(draw, data, project: Project):
    """Draw an edit and apply it; a refused one (None) must have changed nothing."""
    before = copy.deepcopy(project)
    try:
        edit = draw(data, project)
    except EditError:
        assert project == before
        return None
    edit.apply(project)
    assert_sound(project)
    return edit


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_plan_and_timeline_edits_undo_to_the_original(data):
    project = make_project()
    original = copy.deepcopy(project)
    drawers = data.draw(st.lists(st.sampled_from([draw_plan_edit, draw_edit]), min_size=1,
                                 max_size=10))
    edits = [e for e in (build_and_apply(d, data, project) for d in drawers) if e is not None]
    for edit in reversed(edits):
        edit.revert(project)
    assert project == original
