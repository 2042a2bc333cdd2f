"""Money spent on a call: what it was, and its price from the token counts."""

from __future__ import annotations

from dataclasses import dataclass

from mvstudio.engine.resources import load_json


@dataclass(frozen=True)
class Spend:
    stage: str  # "plan", "images", "clips", …
    provider: str
    model: str
    cost: float  # USD
    detail: str = ""


def token_cost(model: str, tokens_in: int, tokens_out: int) -> float:
    """USD for a call to ``model`` (``resources/planner_models.json``; 0 for an unknown model)."""
    price = load_json("planner_models.json")["models"].get(model)
    if price is None:
        return 0.0
    return (tokens_in * price["input_per_m"] + tokens_out * price["output_per_m"]) / 1e6


def completion_spend(stage: str, model: str, completion) -> Spend:
    """What a chat completion cost, from the token counts it reports."""
    usage = getattr(completion, "usage", None)
    tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
    tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
    return Spend(stage, "openai", model, token_cost(model, tokens_in, tokens_out),
                 f"{tokens_in} tokens in, {tokens_out} out")
