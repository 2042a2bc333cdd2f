"""Decoding songs with the bundled FFmpeg: formats, rates, channels and every kind of bad input."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from mvstudio.engine.analysis import audio_io
from mvstudio.engine.analysis.audio_io import MAX_DURATION_S, AudioInfo, load_audio, probe_audio
from mvstudio.engine.demo import synthesize_demo
from mvstudio.engine.errors import AudioError, InputError
from mvstudio.engine.render.ffmpeg import ffmpeg_exe


def write_wav(path: Path, x: np.ndarray, sr: int) -> Path:
    """16-bit WAV of ``x`` (shape ``(n,)`` or ``(n, channels)``, values in -1..1)."""
    x = np.atleast_2d(x.T).T if x.ndim == 1 else x
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    return path


def tone(seconds: float, sr: int, freq: float = 220.0) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return 0.5 * np.sin(2 * np.pi * freq * t)


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("audio") / "song.wav"
    synthesize_demo(path, duration=6.0)
    return path


def assert_one_line_naming(err: pytest.ExceptionInfo, path: Path) -> str:
    message = str(err.value)
    assert "\n" not in message and message.strip() == message
    assert path.name in message
    return message


# --------------------------------------------------------------------------- good input


def test_load_is_mono_float32_at_the_requested_rate(song):
    y = load_audio(song, sr=22050)
    assert y.dtype == np.float32 and y.ndim == 1
    assert len(y) == pytest.approx(6.0 * 22050, abs=2)
    assert 0.3 < np.abs(y).max() <= 1.0


def test_probe_reports_exact_decoded_duration(song):
    info = probe_audio(song)
    assert info == AudioInfo(duration=6.0, sample_rate=44100, channels=1)


@pytest.mark.parametrize("sr", [8000, 44100, 48000])
@pytest.mark.parametrize("channels", [1, 2])
def test_rates_and_channels(tmp_path, sr, channels):
    x = tone(3.0, sr)
    data = x if channels == 1 else np.stack([x, x], axis=1)
    path = write_wav(tmp_path / f"t_{sr}_{channels}.wav", data, sr)
    info = probe_audio(path)
    assert (info.sample_rate, info.channels) == (sr, channels)
    assert info.duration == pytest.approx(3.0, abs=1 / sr)
    y = load_audio(path, sr=22050)
    assert len(y) / 22050 == pytest.approx(3.0, abs=2 / 22050)
    # both channels carry the tone, so the mono mix keeps its level (RMS of a 0.5 sine)
    assert np.sqrt(np.mean(y[2205:-2205] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


def test_stereo_is_mixed_to_mono(tmp_path):
    x = tone(2.0, 44100)
    path = write_wav(tmp_path / "lr.wav", np.stack([x, np.zeros_like(x)], axis=1), 44100)
    y = load_audio(path, sr=44100)
    assert np.sqrt(np.mean(y ** 2)) == pytest.approx(0.5 * 0.5 / np.sqrt(2), rel=0.05)


@pytest.mark.parametrize("ext,codec", [("mp3", "libmp3lame"), ("flac", "flac"),
                                       ("ogg", "libvorbis"), ("m4a", "aac")])
def test_compressed_formats(song, tmp_path, ext, codec):
    out = tmp_path / f"song.{ext}"
    ffmpeg("-i", str(song), "-c:a", codec, str(out))
    y = load_audio(out)
    assert len(y) / 22050 == pytest.approx(6.0, abs=0.1)
    assert np.abs(y).max() > 0.3
    assert probe_audio(out).duration == pytest.approx(6.0, abs=0.1)


def test_silence_is_not_an_error(tmp_path):
    path = write_wav(tmp_path / "quiet.wav", np.zeros(3 * 8000), 8000)
    y = load_audio(path)
    assert len(y) == 3 * 22050 and not np.any(y)


def test_truncated_wav_loads_what_is_there(song, tmp_path):
    data = song.read_bytes()
    cut = tmp_path / "half.wav"
    cut.write_bytes(data[: len(data) // 2])  # header still promises 6 s
    y = load_audio(cut)
    assert len(y) / 22050 == pytest.approx(3.0, abs=0.05)
    assert probe_audio(cut).duration == pytest.approx(3.0, abs=0.05)


def test_truncated_mp3_loads_what_is_there(song, tmp_path):
    mp3 = tmp_path / "full.mp3"
    ffmpeg("-i", str(song), "-c:a", "libmp3lame", str(mp3))
    data = mp3.read_bytes()
    cut = tmp_path / "half.mp3"
    cut.write_bytes(data[: len(data) // 2])
    assert len(load_audio(cut)) / 22050 == pytest.approx(3.0, abs=0.3)


# --------------------------------------------------------------------------- bad input


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.mp3"
    with pytest.raises(AudioError) as err:
        load_audio(path)
    assert "not found" in assert_one_line_naming(err, path)


def test_directory(tmp_path):
    path = tmp_path / "album.mp3"
    path.mkdir()
    with pytest.raises(AudioError) as err:
        probe_audio(path)
    assert "folder" in assert_one_line_naming(err, path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.touch()
    with pytest.raises(AudioError) as err:
        load_audio(path)
    assert "empty" in assert_one_line_naming(err, path)


def test_text_named_mp3(tmp_path):
    path = tmp_path / "notes.mp3"
    path.write_text("these are lyrics, not audio\n" * 50)
    with pytest.raises(AudioError) as err:
        load_audio(path)
    assert_one_line_naming(err, path)
    with pytest.raises(AudioError):
        probe_audio(path)


def test_file_cut_to_under_a_second_is_an_error(song, tmp_path):
    mp3 = tmp_path / "full.mp3"
    ffmpeg("-i", str(song), "-c:a", "libmp3lame", str(mp3))
    cut = tmp_path / "stub.mp3"
    cut.write_bytes(mp3.read_bytes()[:3000])  # ~0.2 s of frames
    with pytest.raises(AudioError) as err:
        load_audio(cut)
    assert_one_line_naming(err, cut)


def test_too_long(tmp_path):
    path = tmp_path / "marathon.flac"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", str(25 * 60 + 13), "-c:a", "flac",
           str(path))
    for fn in (load_audio, probe_audio):
        with pytest.raises(AudioError) as err:
            fn(path)
        message = assert_one_line_naming(err, path)
        assert "25:13 long" in message and "up to 20:00" in message


def test_too_long_by_decoded_count_when_metadata_is_missing(song, monkeypatch):
    """The limit holds on the decoded sample count even if the container has no duration."""
    real = audio_io._read_header

    def no_duration(path):
        header = real(path)
        return audio_io._Header(None, header.sample_rate, header.channels)

    monkeypatch.setattr(audio_io, "_read_header", no_duration)
    monkeypatch.setattr(audio_io, "MAX_DURATION_S", 4)
    with pytest.raises(AudioError) as err:
        load_audio(song)
    assert "0:06 long" in assert_one_line_naming(err, song)


def test_errors_are_input_errors(tmp_path):
    with pytest.raises(InputError):
        load_audio(tmp_path / "x.wav")
    assert MAX_DURATION_S == 1200
