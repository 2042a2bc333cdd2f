"""A plan as JSON for people and scripts: who made it, why, and every clip with its prompt."""

from __future__ import annotations

from mvstudio.engine.codec import to_dict
from mvstudio.engine.model import Analysis, Plan
from mvstudio.engine.planning.prompts import build_prompt
from mvstudio.engine.timebase import to_seconds


def plan_report(analysis: Analysis, plan: Plan, model: str = "") -> dict:
    """``plan`` with times in seconds and each clip's prompt for ``model`` (any when empty)."""
    def sec(frame: int) -> float:
        return round(float(to_seconds(frame, analysis.fps)), 3)

    clips = []
    for clip in plan.clips:
        built = build_prompt(plan, clip, model)
        section = analysis.section_at(float(to_seconds(clip.start_frame, analysis.fps)))
        clips.append({**to_dict(clip), "start": sec(clip.start_frame), "end": sec(clip.end_frame),
                      "section": section.label if section else "", "prompt": built.prompt,
                      "negative_prompt": built.negative_prompt})
    starts = {c.id: c.start_frame for c in plan.clips}
    transitions = [{**to_dict(t), "at": sec(starts[t.to_clip]) if t.to_clip in starts else
                    sec(analysis.end_frame)} for t in plan.transitions]
    return {"origin": plan.origin, "summary": plan.summary, "notes": list(plan.notes),
            "bpm": round(analysis.bpm, 2), "duration": round(analysis.duration, 3),
            "fps": analysis.fps, "style": to_dict(plan.style),
            "characters": [to_dict(c) for c in plan.characters],
            "scenes": [to_dict(s) for s in plan.scenes], "clips": clips,
            "transitions": transitions}
