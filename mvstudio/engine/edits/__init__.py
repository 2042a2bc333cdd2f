"""Timeline edits as values: each one knows how to apply and how to revert itself.

Building an edit (``move_cut(project, ...)``, ``split_clip(...)``, ...) validates it against the
project as it is now and raises ``EditError`` when it cannot apply (``NoChange`` when it would
change nothing); building never changes the project.  ``edit.apply(project)`` and
``edit.revert(project)`` are exact inverses.  An edit stores only what it changes: field values
before and after, and copies of the clips and transitions it inserts or removes.  Each step checks
that the project is in the state the edit was built against, so an edit applied out of order fails
and changes nothing instead of corrupting the timeline.

Corrections of the analysis (tempo, beat shift, taps, section labels and boundaries) are edits
too (``edits.analysis``): stored in ``project.corrections``, so they survive a re-analysis.

The UI wraps edits in ``QUndoCommand``s; a drag previews with ``preview_cut`` and commits one
``move_cut`` on release; ``CompositeEdit`` puts several edits under one undo entry.
"""

from mvstudio.engine.edits.analysis import (MIN_SECTION_SECONDS, clear_beat_corrections,
                                            move_section_boundary, preview_section_boundary,
                                            relabel_section, set_tempo, shift_beat_grid,
                                            tap_beats)
from mvstudio.engine.edits.base import MAX_SEED, CompositeEdit, Edit, EditError, NoChange
from mvstudio.engine.edits.content import (BEAT_INTENSITIES, SCRIPT_FIELDS, edit_script,
                                           set_clip_model, set_continues, set_locked)
from mvstudio.engine.edits.lyrics import paste_lyrics
from mvstudio.engine.edits.plan import (HEX_COLOUR, MAX_PALETTE_COLOURS, STYLE_FIELDS,
                                        add_character, add_scene, edit_character, edit_scene,
                                        edit_style, remove_character, remove_scene,
                                        set_palette_colour)
from mvstudio.engine.edits.stills import (replace_last_still, replace_reference, replace_still,
                                          reseed_reference, restore_generated_reference,
                                          restore_generated_still)
from mvstudio.engine.edits.timeline import (MIN_CLIP_SECONDS, USER_CHOICE, cut_range,
                                            merge_with_next, move_cut, preview_cut, set_transition,
                                            split_clip)

__all__ = [
    "BEAT_INTENSITIES", "HEX_COLOUR", "MAX_PALETTE_COLOURS", "MAX_SEED", "MIN_CLIP_SECONDS",
    "MIN_SECTION_SECONDS", "SCRIPT_FIELDS", "STYLE_FIELDS", "USER_CHOICE", "CompositeEdit", "Edit",
    "EditError", "NoChange", "add_character", "add_scene", "cut_range", "edit_character",
    "edit_scene", "edit_script", "edit_style", "merge_with_next", "move_cut",
    "move_section_boundary", "preview_cut", "relabel_section", "remove_character", "remove_scene",
    "set_clip_model", "set_continues", "set_locked", "set_palette_colour", "set_transition", "split_clip",
    "clear_beat_corrections", "preview_section_boundary", "set_tempo", "shift_beat_grid",
    "tap_beats",
    "replace_last_still", "replace_reference", "replace_still", "restore_generated_reference",
    "restore_generated_still", "reseed_reference",
    "paste_lyrics",
]
