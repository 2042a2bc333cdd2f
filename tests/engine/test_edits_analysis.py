"""Corrections of the analysis as edits: reversible, stored as corrections, cuts follow the beats."""

import asyncio
import copy
from dataclasses import replace

import pytest
from test_corrections import analysed_song
from test_edits import assert_sound, make_project, round_trip, snapper_for

from mvstudio.engine.analysis.settings import AnalysisSettings
from mvstudio.engine.edits import (EditError, NoChange, clear_beat_corrections,
                                   move_section_boundary, preview_section_boundary,
                                   relabel_section, set_tempo, shift_beat_grid, tap_beats)
from mvstudio.engine.model import AnalysisCorrections, Project
from mvstudio.engine.pipeline import Pipeline, PipelineOptions
from mvstudio.engine.planning.basis import plan_basis

FRAME_MS = 1000 / 30


@pytest.fixture
def project() -> Project:
    project = make_project()
    project.plan.basis = plan_basis(project)
    return project


def cuts(project: Project) -> list[tuple[int, int]]:
    return [(c.start_frame, c.end_frame) for c in project.plan.clips]


def scripts(project: Project) -> list:
    return [replace(c, start_frame=0, end_frame=0) for c in project.plan.clips]


BUILDERS = {
    "shift": lambda p: shift_beat_grid(p, FRAME_MS),
    "shift back": lambda p: shift_beat_grid(p, -2 * FRAME_MS),
    "tempo": lambda p: set_tempo(p, 90),
    "tempo octave": lambda p: set_tempo(p, 67.5),
    "taps": lambda p: tap_beats(p, [2.0, 2.46, 2.9, 3.35]),
    "relabel": lambda p: relabel_section(p, p.analysis.sections[1].id, "bridge"),
    "boundary": lambda p: move_section_boundary(p, 2, p.analysis.sections[2].start - 3.5),
    "boundary snapped": lambda p: move_section_boundary(p, 1, p.analysis.sections[1].start + 2.2,
                                                        snapper=snapper_for(p)),
}


@pytest.mark.parametrize("name", BUILDERS)
def test_every_correction_round_trips_and_keeps_the_plan_fresh(project, name):
    before = copy.deepcopy(project)
    edit = BUILDERS[name](project)
    assert project == before, "building an edit changes nothing"
    after = round_trip(project, edit)
    assert after.corrections != before.corrections
    assert after.raw_analysis == before.analysis, "the measured analysis is kept beside"
    assert after.plan.basis == plan_basis(after) == before.plan.basis


def test_shifting_one_frame_moves_every_cut_one_frame_and_keeps_the_scripts(project):
    before = copy.deepcopy(project)
    edit = shift_beat_grid(project, FRAME_MS)
    assert edit.label == "Shift beat grid +33 ms"
    edit.apply(project)
    assert [c.start_frame for c in project.plan.clips[1:]] == \
        [c.start_frame + 1 for c in before.plan.clips[1:]]
    assert project.plan.clips[0].start_frame == 0
    assert project.plan.clips[-1].end_frame == project.analysis.end_frame
    assert scripts(project) == scripts(before)
    assert project.plan.transitions == before.plan.transitions
    assert project.analysis.beat_frames() == [f + 1 for f in before.analysis.beat_frames()]
    edit.revert(project)
    assert cuts(project) == cuts(before) and project == before


def test_without_a_plan_only_the_analysis_changes(project):
    project.plan = None
    before = copy.deepcopy(project)
    for edit in (shift_beat_grid(project, FRAME_MS), set_tempo(project, 90)):
        edit.apply(project)
        assert project.corrections != before.corrections and project.plan is None
        edit.revert(project)
        assert project == before


def test_a_new_tempo_puts_every_cut_on_a_beat_of_the_new_grid(project):
    edit = set_tempo(project, 90)
    assert edit.label == "Set tempo 90 BPM"
    edit.apply(project)
    assert project.analysis.bpm == 90.0 and project.corrections.tempo_bpm == 90.0
    beats = set(project.analysis.beat_frames())
    assert all(c.start_frame in beats for c in project.plan.clips[1:])
    assert_sound(project)


def test_taps_replace_tempo_and_shift_and_reset_goes_back_to_the_measured_beats(project):
    measured = copy.deepcopy(project.analysis)
    relabel_section(project, project.analysis.sections[0].id, "verse").apply(project)
    set_tempo(project, 90).apply(project)
    shift_beat_grid(project, 40).apply(project)
    tap_beats(project, [3.0, 2.0, 2.5, 3.5]).apply(project)
    c = project.corrections
    assert c.tapped_beats == [2.0, 2.5, 3.0, 3.5] and c.tempo_bpm is None and not c.phase_shift_ms
    assert project.analysis.bpm == pytest.approx(120.0)
    reset = clear_beat_corrections(project)
    assert reset.label == "Reset beat grid"
    reset.apply(project)
    assert project.analysis.beats == measured.beats
    assert project.analysis.sections[0].label == "verse", "section corrections stay"
    with pytest.raises(NoChange):
        clear_beat_corrections(project)


def test_section_edits_are_stored_by_time_and_a_second_edit_replaces_the_first(project):
    sections = project.analysis.sections
    measured = sections[2].start
    relabel_section(project, sections[1].id, "bridge").apply(project)
    relabel_section(project, project.analysis.sections[1].id, "outro").apply(project)
    (relabel,) = project.corrections.relabels
    assert relabel.label == "outro" and sections[1].start < relabel.at < sections[1].end
    move_section_boundary(project, 2, measured - 3.0).apply(project)
    move_section_boundary(project, 2, measured + 2.0).apply(project)
    (move,) = project.corrections.boundary_moves
    assert (move.index, move.time, move.original) == (2, measured + 2.0, measured)
    move_section_boundary(project, 2, measured).apply(project)
    assert project.corrections.boundary_moves == []


def test_a_relabel_after_a_boundary_move_names_the_section_the_user_sees(project):
    sections = project.analysis.sections
    move_section_boundary(project, 2, sections[2].end - 1.5).apply(project)  # section 1 grows
    move_section_boundary(project, 1, sections[2].start + 5.0).apply(project)  # past its old end
    shown = project.analysis.sections
    relabel_section(project, shown[1].id, "bridge").apply(project)
    assert [s.label for s in project.analysis.sections] == \
        [s.label if i != 1 else "bridge" for i, s in enumerate(shown)]


def test_a_dragged_boundary_lands_on_a_beat_and_shift_keeps_the_raw_time(project):
    snapper = snapper_for(project)
    index, target = 1, project.analysis.sections[1].start + 2.2
    shown = preview_section_boundary(project, index, target, snapper)
    assert round(shown * 30) in set(project.analysis.beat_frames()) and shown != target
    move_section_boundary(project, index, target, snapper=snapper).apply(project)
    assert project.analysis.sections[index].start == shown == project.analysis.sections[0].end
    raw = preview_section_boundary(project, index, target + 0.01, snapper, override=True)
    assert raw == round(target + 0.01, 3)


def test_the_cuts_cannot_collapse(project):
    a, b = project.plan.clips[3], project.plan.clips[4]  # a 4-frame clip just after a beat
    b.start_frame = a.end_frame = a.start_frame + 4
    before = copy.deepcopy(project)
    with pytest.raises(EditError, match="clip 4 would vanish") as err:
        shift_beat_grid(project, FRAME_MS)
    assert "\n" not in str(err.value)
    assert project == before


INVALID = {
    "tempo out of range": (lambda p: set_tempo(p, 5), "20-400 BPM"),
    "tempo not a number": (lambda p: set_tempo(p, "fast"), "must be a number"),
    "one tap": (lambda p: tap_beats(p, [1.0, 1.0004]), "at least two"),
    "tap outside the song": (lambda p: tap_beats(p, [1.0, 900.0]), "inside the song"),
    "huge shift": (lambda p: shift_beat_grid(p, 9000), "within"),
    "unknown label": (lambda p: relabel_section(p, p.analysis.sections[0].id, "drop"), "drop"),
    "unknown section": (lambda p: relabel_section(p, "sec_nothere", "verse"), "no section"),
    "first section start": (lambda p: move_section_boundary(p, 0, 1.0), "no section boundary"),
    "past the next": (lambda p: move_section_boundary(p, 1, p.analysis.sections[1].end + 1),
                      "pass its neighbours"),
    "no analysis": (lambda p: shift_beat_grid(Project("empty"), 10), "analyse the song first"),
}


@pytest.mark.parametrize("name", INVALID)
def test_invalid_corrections_raise_one_line_and_change_nothing(project, name):
    build, message = INVALID[name]
    before = copy.deepcopy(project)
    with pytest.raises(EditError, match=message) as err:
        build(project)
    assert "\n" not in str(err.value)
    assert project == before


# ---------------------------------------------------------------------------- a real song


def analysed(tmp_path) -> tuple[Pipeline, Project]:
    """A 40 s demo song, analysed and planned by the pipeline."""
    pipeline, project = analysed_song(tmp_path, 40.0, cache=False)
    asyncio.run(pipeline.plan())
    return pipeline, project


def test_corrections_survive_reanalysis_and_undo_restores_the_cuts_exactly(tmp_path):
    pipeline, project = analysed(tmp_path)
    assert len(project.analysis.sections) >= 3
    original = copy.deepcopy(project)
    second = project.analysis.sections[1]
    edits = [shift_beat_grid(project, FRAME_MS)]
    edits[0].apply(project)
    edits.append(relabel_section(project, second.id, "bridge"))
    edits[1].apply(project)
    boundary = project.analysis.sections[2].start - 2.0
    edits.append(move_section_boundary(project, 2, boundary, snapper=snapper_for(project)))
    edits[2].apply(project)
    corrected = copy.deepcopy(project)
    assert project.plan.basis == plan_basis(project), "the plan stays fresh"
    asyncio.run(pipeline.plan())
    assert project.plan == corrected.plan, "no re-plan"
    for edit in reversed(edits):
        edit.revert(project)
    assert cuts(project) == cuts(original) and project == original
    for edit in edits:
        edit.apply(project)
    assert project == corrected

    pipeline.options = PipelineOptions(analysis=AnalysisSettings(min_clip_s=3.0, max_clip_s=6.0),
                                       analysis_cache=False)
    asyncio.run(pipeline.analyse())
    again, raw = project.analysis, project.raw_analysis
    assert again.settings_hash != corrected.analysis.settings_hash
    assert project.corrections == corrected.corrections
    assert again.section_at(second.start + 0.5).label == "bridge"
    moved = corrected.analysis.sections[2].start
    assert any(abs(s.start - moved) < 1e-6 for s in again.sections)
    assert again.beat_frames()[:8] == [f + 1 for f in raw.beat_frames()[:8]]


def test_undo_of_a_tempo_change_on_a_real_plan_restores_every_frame(tmp_path):
    _, project = analysed(tmp_path)
    before = copy.deepcopy(project)
    edit = tap_beats(project, [1.0, 1.7, 2.4, 3.1])
    edit.apply(project)
    assert project.analysis.bpm == pytest.approx(60 / 0.7, rel=1e-3)
    assert_sound(project)
    edit.revert(project)
    assert cuts(project) == cuts(before) and project == before
    assert project.corrections == AnalysisCorrections() and project.raw_analysis is None
