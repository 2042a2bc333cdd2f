"""The model registry: the bundled table, the user's overrides, and what it makes of requests."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from mvstudio.engine.generation.model_registry import (RegistryError, build_input,
                                                       choose_duration, choose_resolution,
                                                       estimate, get_model, load_registry,
                                                       user_file)
from mvstudio.engine.generation.protocols import ClipRequest, ImageRequest


def still(**kw) -> ImageRequest:
    return ImageRequest(**{"owner": "c1", "prompt": "a lighthouse at dusk", "palette": (),
                           "seed": 7, "width": 1920, "height": 1080, **kw})


def clip(seconds: float = 4.0, **kw) -> ClipRequest:
    return ClipRequest(**{"owner": "c1", "prompt": "waves crash", "image": Path("first.png"),
                          "frames": round(seconds * 30), "fps": 30, "width": 1920,
                          "height": 1080, "beat_frames": (), "move": "push", "seed": 3, **kw})


@pytest.fixture
def models():
    return load_registry()


def test_the_bundled_table_has_every_supported_model(models):
    kinds = {key: spec.kind for key, spec in models.items()}
    for key in ("flux-schnell", "flux-dev", "sdxl", "flux-kontext"):
        assert kinds[key] == "image"
    for key in ("seedance-1-lite", "wan-2.2-i2v-fast", "kling-v2.1", "hailuo-02"):
        assert kinds[key] == "video" and models[key].first_frame
    assert kinds["musicgen"] == "music"
    assert models["sdxl"].version and models["musicgen"].version
    assert models["seedance-1-lite"].last_frame and not models["kling-v2.1"].last_frame
    assert models["kling-v2.1-pro"].last_frame


@pytest.mark.parametrize("key,wanted,resolution,chosen", [
    ("kling-v2.1", 4.0, None, 5), ("kling-v2.1", 7.2, None, 10), ("kling-v2.1", 14.0, None, 10),
    ("seedance-1-lite", 4.2, None, 5), ("seedance-1-lite", 1.0, None, 2),
    ("hailuo-02", 8.0, "768p", 10), ("hailuo-02", 8.0, "1080p", 6),
    ("wan-2.2-i2v-fast", 5.5, None, 88 / 16), ("wan-2.2-i2v-fast", 3.0, None, 81 / 16),
    ("wan-2.2-i2v-fast", 9.0, None, 121 / 16), ("musicgen", 12.5, None, 13)])
def test_choose_duration_is_the_shortest_that_covers_else_the_longest(models, key, wanted,
                                                                      resolution, chosen):
    assert choose_duration(models[key], wanted, resolution) == pytest.approx(chosen)


def test_stills_have_no_duration_and_resolutions_cover_the_frame(models):
    assert choose_duration(models["flux-schnell"], 4.0) is None
    assert choose_resolution(models["seedance-1-lite"], 1920, 1080) == "1080p"
    assert choose_resolution(models["seedance-1-lite"], 1280, 720) == "720p"
    assert choose_resolution(models["wan-2.2-i2v-fast"], 1920, 1080) == "720p"  # its largest
    assert choose_resolution(models["seedance-1-lite"], 1920, 1080, "480p") == "480p"
    assert choose_resolution(models["kling-v2.1"], 1920, 1080) is None


def test_build_input_maps_each_field_to_the_models_own_names(models):
    urls = {"image": "data:image/png;base64,AAAA", "last_image": "https://x/last.png"}
    assert build_input(models["flux-schnell"], still(), {}) == {
        "prompt": "a lighthouse at dusk", "seed": 7, "aspect_ratio": "16:9", "num_outputs": 1,
        "num_inference_steps": 4, "output_format": "png", "megapixels": "1"}
    assert build_input(models["flux-schnell"], still(width=1080, height=1920),
                       {})["aspect_ratio"] == "9:16"
    sdxl = build_input(models["sdxl"], SimpleNamespace(**vars(still()), negative_prompt="blurry"),
                       {})
    assert (sdxl["width"], sdxl["height"], sdxl["negative_prompt"]) == (1344, 768, "blurry")
    seedance = build_input(models["seedance-1-lite"], clip(last_image=Path("l.png")), urls)
    assert seedance == {"prompt": "waves crash", "image": urls["image"], "seed": 3,
                        "last_frame_image": urls["last_image"], "duration": 4,
                        "resolution": "1080p", "fps": 24, "camera_fixed": False}
    wan = build_input(models["wan-2.2-i2v-fast"], clip(5.5), urls)
    assert (wan["num_frames"], wan["frames_per_second"], wan["resolution"]) == (88, 16, "720p")
    kling = build_input(models["kling-v2.1"], clip(), urls)
    assert kling == {"prompt": "waves crash", "start_image": urls["image"], "duration": 5,
                     "mode": "standard"}
    kontext = build_input(models["flux-kontext"], still(reference=Path("hero.png")),
                          {"reference": "https://x/hero.png"})
    assert kontext["input_image"] == "https://x/hero.png" and kontext["aspect_ratio"] == "16:9"


def test_musicgen_continues_given_audio():
    class Music:
        owner, prompt, seed, seconds = "s1", "warm synth pads", 1, 20.0
        audio = Path("before.wav")

    spec = get_model("musicgen")
    sent = build_input(spec, Music(), {"audio": "https://x/before.wav"})
    assert sent["input_audio"] == "https://x/before.wav" and sent["continuation"] is True
    assert sent["duration"] == 20 and sent["model_version"] == "stereo-large"
    Music.audio = None
    assert "continuation" not in build_input(spec, Music(), {})
    assert estimate(spec, Music()) == pytest.approx(0.0014 * (10 + 1.5 * 20))


@pytest.mark.parametrize("key,request_,usd", [
    ("flux-schnell", still(), 0.003), ("flux-kontext", still(), 0.04),
    ("sdxl", still(), 0.000975 * 10), ("seedance-1-lite", clip(4.0), 0.072 * 4),
    ("seedance-1-lite", clip(4.0, width=854, height=480), 0.018 * 4),
    ("kling-v2.1", clip(4.0), 0.05 * 5), ("wan-2.2-i2v-fast", clip(4.0), 0.11),
    ("hailuo-02", clip(8.0), 0.08 * 6)])
def test_estimate_follows_the_price_formula(models, key, request_, usd):
    assert estimate(models[key], request_) == pytest.approx(usd)


def write_user_file(content) -> Path:
    path = user_file()
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_the_user_file_overrides_keys_and_adds_models():
    before = get_model("sdxl")
    write_user_file({"models": {
        "sdxl": {"version": "a" * 64, "price": {"per": "image", "usd": 0.01}},
        "my-flux": {"kind": "image", "ref": "me/my-flux", "inputs": {"prompt": "text"},
                    "price": {"per": "image", "usd": 0.001}}}})
    after = get_model("sdxl")
    assert after.version == "a" * 64 and after.inputs == before.inputs
    assert after.fingerprint() != before.fingerprint() and "a" * 64 in after.fingerprint()
    assert estimate(after, still()) == pytest.approx(0.01)
    assert build_input(get_model("my-flux"), still(), {}) == {"text": "a lighthouse at dusk"}


@pytest.mark.parametrize("content,problem", [
    ("{not json", "not valid JSON"),
    ({"model": {}}, 'needs an object "models"'),
    ({"models": {"sdxl": {"price": {"per": "minute", "usd": 1}}}},
     "model 'sdxl': price.per must be one of gpu_second, image, second, video"),
    ({"models": {"sdxl": {"version": "latest"}}}, "version must be a 64-character hex hash"),
    ({"models": {"flux-dev": {"ref": "flux-dev"}}}, "ref must be 'owner/name'"),
    ({"models": {"flux-dev": {"inputs": {"prompt": "prompt", "colour": "c"}}}},
     "unknown field 'colour'"),
    ({"models": {"wan-2.2-i2v-fast": {"fps": None}}}, "'frames' needs 'fps'"),
    ({"models": {"kling-v2.1": {"seconds": [5, -1]}}}, "seconds must be a list of positive"),
    ({"models": {"new": {"kind": "video", "ref": "a/b", "inputs": {"prompt": "p"},
                         "price": {"per": "second", "usd": 0.1}}}},
     "model 'new': a video or music model needs 'seconds' or 'frames'"),
    ({"models": {"seedance-1-lite": {"price": {"per": "second", "usd": {"720p": "cheap"}}}}},
     "price.usd must be a number >= 0")])
def test_a_broken_user_file_is_one_clear_line(content, problem):
    path = write_user_file(content)
    with pytest.raises(RegistryError) as err:
        load_registry()
    message = str(err.value)
    assert problem in message and str(path) in message and "\n" not in message


def test_an_unknown_model_names_the_known_ones():
    with pytest.raises(RegistryError, match=r"unknown model 'flux-pro' \(known: .*flux-schnell"):
        get_model("flux-pro")
