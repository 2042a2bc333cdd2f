"""The rule-based director and the prompt builder on random analyses."""

from hypothesis import given, settings
from hypothesis import strategies as st

from mvstudio.engine.analysis.boundaries import clip_boundaries
from mvstudio.engine.model import Analysis, LyricLine, Mood, Project, Section, check_consistency
from mvstudio.engine.planning.prompts import MAX_WORDS, build_prompt
from mvstudio.engine.planning.rules import plan_from_rules

LABELS = ["intro", "verse", "chorus", "verse", "chorus", "bridge", "chorus", "outro"]


def make_analysis(duration: float, bpm: float, offset: float, mood: str, n_sections: int) -> Analysis:
    period = 60.0 / bpm
    beats = [offset + i * period for i in range(int((duration - offset) / period))]
    downbeats = beats[::4]
    edges = [duration * i / n_sections for i in range(n_sections + 1)]
    sections = [Section(LABELS[i % len(LABELS)], edges[i], edges[i + 1],
                        energy=("low", "medium", "high")[i % 3], energy_value=(i % 3) / 2)
                for i in range(n_sections)]
    energy = [0.5 + 0.5 * ((i // 16) % 2) * (1 if i % 3 else -0.6) for i in range(len(beats))]
    analysis = Analysis(duration=duration, bpm=bpm, beats=beats, downbeats=downbeats,
                        sections=sections, beat_energy=energy,
                        mood=Mood(mood, "", "medium", 0.7),
                        lyrics=[LyricLine("we ride the night", duration / 3, duration / 3 + 2)])
    analysis.clip_boundaries = clip_boundaries(
        beats, downbeats, [s.start for s in sections], duration, analysis.fps)
    return analysis


analyses = st.builds(
    make_analysis,
    duration=st.floats(min_value=12.0, max_value=400.0),
    bpm=st.floats(min_value=60.0, max_value=190.0),
    offset=st.floats(min_value=0.0, max_value=1.5),
    mood=st.sampled_from(["energetic", "calm", "dark", "bright", "unknown"]),
    n_sections=st.integers(min_value=1, max_value=8),
)


@settings(max_examples=60, deadline=None)
@given(analysis=analyses, prompt=st.text(max_size=600), seed=st.integers(0, 2**31))
def test_every_rule_plan_is_consistent_and_prompts_stay_short(analysis, prompt, seed):
    plan = plan_from_rules(analysis, prompt, seed)
    project = Project(name="p", analysis=analysis, plan=plan)
    assert check_consistency(project) == []
    assert len(plan.clips) >= 3
    beat_frames = set(analysis.beat_frames())
    assert all(c.start_frame in beat_frames for c in plan.clips[1:])
    keywords = None
    for clip in plan.clips:
        built = build_prompt(plan, clip)
        assert built.word_count <= MAX_WORDS
        assert len(built.prompt.split()) <= MAX_WORDS
        keywords = keywords or built.style_keywords
        assert built.style_keywords == keywords and keywords
        assert all(k in built.prompt for k in keywords)


def test_transitions_follow_the_beat_under_each_cut():
    analysis = make_analysis(60.0, 120.0, 0.5, "energetic", 3)
    plan = plan_from_rules(analysis, "neon city at night", seed=1)
    opening, ending = plan.transitions[0], plan.transitions[-1]
    assert opening.from_clip is None and opening.kind == "fade"
    assert ending.to_clip is None and ending.kind == "fade"
    downbeats = set(analysis.downbeat_frames())
    for t in plan.transitions[1:-1]:
        cut = plan.clip(t.to_clip).start_frame
        if cut in downbeats:
            assert t.kind == "cut", "a strong downbeat gets a hard cut"
        if t.kind == "crossfade":
            assert t.duration_frames > 0


def test_plan_is_deterministic_and_uses_the_mood_palette():
    analysis = make_analysis(40.0, 100.0, 0.2, "dark", 2)
    a = plan_from_rules(analysis, "a lighthouse keeper", seed=7)
    b = plan_from_rules(analysis, "a lighthouse keeper", seed=7)
    assert [c.seed for c in a.clips] == [c.seed for c in b.clips]
    assert [c.visual_description for c in a.clips] == [c.visual_description for c in b.clips]
    assert a.style.palette[0] == "#0B0C10"
    assert "lighthouse keeper" in a.clips[0].visual_description
    lyric_clip = next(c for c in a.clips if c.lyrics_context)
    assert "we ride the night" in lyric_clip.lyrics_context


def test_long_description_is_shortened_not_the_style():
    analysis = make_analysis(30.0, 120.0, 0.0, "bright", 1)
    plan = plan_from_rules(analysis, "word " * 400, seed=3)
    built = build_prompt(plan, plan.clips[0])
    assert built.word_count <= MAX_WORDS
    assert plan.style.lighting in built.prompt


def test_genre_and_lyric_themes_come_from_the_director_data():
    analysis = make_analysis(40.0, 120.0, 0.0, "dark", 2)
    plan = plan_from_rules(analysis, "a hip hop video in a car park", seed=1)
    assert plan.style.visual_style == "urban, bold, street-level"
    assert "urban" in plan.style.keywords and "moody" in plan.style.keywords
    with_night = [c for c in plan.clips if "night" in c.lyrics_context]
    assert with_night and all("city lights blurring" in c.visual_description for c in with_night)
    plain = plan_from_rules(analysis, "a walk by the sea", seed=1)
    assert plain.style.visual_style == "moody, noir, atmospheric"


def test_prompts_follow_the_model_family():
    analysis = make_analysis(30.0, 100.0, 0.0, "calm", 2)
    plan = plan_from_rules(analysis, "a lighthouse keeper", seed=2)
    clip = plan.clips[0]
    flux = build_prompt(plan, clip, "black-forest-labs/flux-schnell")
    sdxl = build_prompt(plan, clip, "stability-ai/sdxl")
    video = build_prompt(plan, clip, "bytedance/seedance-1-lite")
    assert flux.negative_prompt == "" and sdxl.negative_prompt and video.negative_prompt
    assert flux.prompt.startswith(clip.visual_description.split(":")[0]) and ". " in flux.prompt
    assert video.prompt.startswith(clip.motion)
    for built in (flux, sdxl, video):
        assert plan.style.mood in built.prompt and plan.style.cinematography in built.prompt
        assert all(k in built.prompt for k in plan.style.keywords)
        assert built.word_count <= MAX_WORDS
