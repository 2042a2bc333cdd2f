"""What a plan is made from: the analysis as measured, the prompt and (photo mode) the scene
template.

The user's corrections of the analysis are not part of it: an edit that corrects the beat grid
or the sections moves the plan's cuts with it (see ``edits.analysis``) instead of re-planning.
"""

from __future__ import annotations

from mvstudio.engine.hashing import input_hash
from mvstudio.engine.model import Project


def plan_basis(project: Project) -> str:
    """A plan is fresh while ``plan.basis`` equals this."""
    analysis = project.uncorrected_analysis()
    template = (project.settings.get("photos") or {}).get("template")  # photo mode's scenes
    return input_hash("plan", analysis.id if analysis else "", project.prompt,
                      *([template] if template else []))
