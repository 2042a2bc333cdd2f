"""The run's providers: offline without a key, the LLM planner with one (unless set to rules)."""

from mvstudio.engine.planning.llm import LLMPlanner
from mvstudio.engine.planning.rules import RulePlanner
from mvstudio.engine.providers import providers_for
from mvstudio.engine.settings import Settings


def test_without_a_key_everything_is_offline():
    assert isinstance(providers_for(settings=Settings()).planner, RulePlanner)


def test_with_a_key_the_chosen_model_plans(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789")
    planner = providers_for(settings=Settings(planner_model="gpt-4.1-nano")).planner
    assert isinstance(planner, LLMPlanner) and planner.model == "gpt-4.1-nano"
    assert isinstance(providers_for(settings=Settings(planner_model="rules")).planner, RulePlanner)
