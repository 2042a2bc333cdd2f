"""Planning that always ends in a plan: the chosen planner, else the rule director, saying why."""

from __future__ import annotations

from typing import Callable, Optional

from mvstudio.engine.errors import ProviderError
from mvstudio.engine.events import CancelToken
from mvstudio.engine.generation.protocols import Planner
from mvstudio.engine.model import Analysis, Plan
from mvstudio.engine.planning.rules import RulePlanner
from mvstudio.engine.planning.spend import Spend


async def plan_or_fall_back(planner: Planner, analysis: Analysis, prompt: str, seed: int, *,
                            cancel: Optional[CancelToken] = None,
                            spend: Callable[[Spend], None] = lambda _s: None,
                            warn: Callable[[str], None] = lambda _m: None) -> Plan:
    """``planner``'s plan; when it fails (after its own retries) the rule director's, with the
    reason in ``plan.notes`` and told to ``warn``.  The rule director's own failure is raised."""
    try:
        return await planner.plan(analysis, prompt, seed, cancel=cancel, spend=spend)
    except ProviderError as exc:
        if isinstance(planner, RulePlanner):
            raise
        why = f"planning with {planner.name} failed: {exc}"
        warn(f"{why}; the rule director made the plan")
        plan = await RulePlanner().plan(analysis, prompt, seed)
        plan.notes.append(f"made by the rule director ({why})")
        return plan
