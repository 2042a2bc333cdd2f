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


def test_the_users_clip_lengths_and_concurrency_reach_the_run(monkeypatch):
    from mvstudio.engine.providers import pipeline_options

    settings = Settings(min_clip_s=3.0, max_clip_s=5.0, concurrency=8)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    options = pipeline_options(providers_for(settings=settings), settings, seed=7)
    assert (options.analysis.min_clip_s, options.analysis.max_clip_s) == (3.0, 5.0)
    assert options.concurrency == 2 and options.seed == 7  # local rendering: no more than cores
    assert pipeline_options(providers_for(settings=settings), settings,
                            concurrency=1).concurrency == 1


def test_corrections_keep_the_clip_lengths_the_analysis_was_made_with():
    from mvstudio.engine.analysis.corrections import apply_corrections
    from mvstudio.engine.analysis.settings import AnalysisSettings
    from mvstudio.engine.model import AnalysisCorrections
    from tests.engine.test_planning_rules import make_analysis

    analysis = make_analysis(60.0, 120.0, 0.0, "calm", 3)
    analysis.settings = AnalysisSettings(min_clip_s=2.0, max_clip_s=3.0)
    shifted = apply_corrections(analysis, AnalysisCorrections(phase_shift_ms=40.0))
    assert shifted.settings == analysis.settings
    assert all(b.end_frame - b.start_frame <= 90 for b in shifted.clip_boundaries)
