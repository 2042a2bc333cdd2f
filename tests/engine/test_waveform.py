"""The waveform peak pyramid: every bin holds exactly its samples' extremes, at every level."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mvstudio.engine.waveform import MIN_LEVEL_BINS, Envelope, envelope_for_file, peak_envelope
from tests.media_factory import sine_audio


def _assert_exact(samples: np.ndarray, env: Envelope) -> None:
    """Bins tile ``[0, n)`` with no gap or overlap, and each holds its samples' min and max."""
    for level in env.levels:
        bounds = [(i * level.hop, min((i + 1) * level.hop, len(samples))) for i in range(len(level))]
        assert bounds[0][0] == 0 and bounds[-1][1] == len(samples)
        assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(bounds, bounds[1:]))
        for i, (lo, hi) in enumerate(bounds):
            assert level.maxs[i] == samples[lo:hi].max()
            assert level.mins[i] == samples[lo:hi].min()


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 5000), hop_rate=st.integers(1, 400), seed=st.integers(0, 2**16))
def test_every_bin_of_every_level_holds_its_samples_extremes(n, hop_rate, seed):
    samples = np.random.default_rng(seed).standard_normal(n).astype(np.float32)
    env = Envelope.from_samples(samples, sr=8000, bins_per_second=8000 / hop_rate)
    _assert_exact(samples, env)
    assert len(env.levels[-1]) <= MIN_LEVEL_BINS or len(env.levels) == 1
    assert env.peak == np.abs(samples).max()


def test_a_single_click_survives_to_the_coarsest_level():
    samples = np.zeros(22050 * 180, dtype=np.float32)
    samples[1_234_567] = 0.9
    samples[3_000_001] = -0.7
    env = Envelope.from_samples(samples, 22050)
    for level in env.levels:
        assert level.maxs.max() == pytest.approx(0.9) and level.mins.min() == pytest.approx(-0.7)
        assert level.maxs[1_234_567 // level.hop] == pytest.approx(0.9)


def test_peak_envelope_hop_follows_the_requested_rate():
    level = peak_envelope(np.arange(100, dtype=np.float32), sr=1000, bins_per_second=100)
    assert level.hop == 10 and len(level) == 10
    assert list(level.maxs[:3]) == [9, 19, 29] and list(level.mins[:3]) == [0, 10, 20]


def test_window_picks_about_one_bin_per_pixel_and_covers_the_range():
    sr = 22050
    env = Envelope.from_samples(np.sin(np.arange(sr * 180) / 7.0).astype(np.float32), sr)
    for start, end, pixels in ((0.0, 180.0, 1200), (60.0, 61.0, 1200), (90.0, 90.2, 1200)):
        spp = (end - start) / pixels
        centres, mins, maxs = env.window(start, end, spp)
        assert len(centres) == len(mins) == len(maxs)
        half_bin = env.level_for(spp).hop / sr / 2
        assert centres[0] - half_bin <= start and centres[-1] + half_bin >= min(end, env.duration)
        bins_per_pixel = len(centres) / pixels
        assert bins_per_pixel <= 2.2  # never more than ~2 bins per pixel...
        if spp >= env.levels[0].hop / sr and end - start > 1:
            assert bins_per_pixel >= 0.9  # ...and at least one while the pyramid can give it


def test_empty_and_silent_input_is_harmless():
    env = Envelope.from_samples(np.zeros(0, dtype=np.float32), 22050)
    assert env.duration == 0 and env.window(0, 1, 0.01)[0].size == 0
    silent = Envelope.from_samples(np.zeros(1000, dtype=np.float32), 1000)
    assert silent.peak == 0.0


def test_envelope_for_file_decodes_a_song(tmp_path):
    song = sine_audio(tmp_path / "tone.wav", seconds=2.0, freq=220.0)
    env = envelope_for_file(song)
    assert env.duration == pytest.approx(2.0, abs=0.01)
    assert env.peak == pytest.approx(0.125, abs=0.01)  # lavfi sine is at 1/8 of full scale
