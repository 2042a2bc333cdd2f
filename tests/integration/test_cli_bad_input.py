"""Every bad input: one line naming the problem, exit code 2, no traceback, no output file."""

from __future__ import annotations

import subprocess
import sys

import pytest

from media_factory import tone_wav
from mvstudio.cli import main
from mvstudio.engine.analysis import audio_io


def _wav(path, seconds=3.0, sr=22050):
    return tone_wav(path, seconds, sr)


def _run(capsys, args):
    code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    return code, err


def _assert_clean_failure(code, err, out, *words):
    assert code == 2
    assert len(err) >= 1
    last = err[-1]
    assert last.startswith("mvstudio: error: "), err
    assert "Traceback" not in "\n".join(err)
    for w in words:
        assert w.lower() in last.lower(), (w, last)
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}*")), "no partial output left behind"


def test_missing_song(tmp_path, capsys):
    out = tmp_path / "o.mp4"
    code, err = _run(capsys, ["render", str(tmp_path / "nope.mp3"), "--prompt", "x", "-o", str(out)])
    _assert_clean_failure(code, err, out, "nope.mp3")


def test_song_is_a_directory(tmp_path, capsys):
    (tmp_path / "album").mkdir()
    out = tmp_path / "o.mp4"
    code, err = _run(capsys, ["render", str(tmp_path / "album"), "--prompt", "x", "-o", str(out)])
    _assert_clean_failure(code, err, out, "album")


def test_text_file_named_mp3(tmp_path, capsys):
    song = tmp_path / "song.mp3"
    song.write_text("this is not audio at all\n" * 50)
    out = tmp_path / "o.mp4"
    code, err = _run(capsys, ["render", str(song), "--prompt", "x", "-o", str(out)])
    _assert_clean_failure(code, err, out, "song.mp3")


def test_zero_length_audio(tmp_path, capsys):
    song = tmp_path / "empty.wav"
    song.write_bytes(b"")
    out = tmp_path / "o.mp4"
    code, err = _run(capsys, ["render", str(song), "--prompt", "x", "-o", str(out)])
    _assert_clean_failure(code, err, out, "empty.wav")


def test_truncated_audio(tmp_path, capsys):
    song = _wav(tmp_path / "cut.wav", seconds=3.0)
    data = song.read_bytes()
    song.write_bytes(data[:60])  # header and a few samples: the rest is gone
    out = tmp_path / "o.mp4"
    code, err = _run(capsys, ["render", str(song), "--prompt", "x", "-o", str(out)])
    _assert_clean_failure(code, err, out, "cut.wav")


def test_song_longer_than_the_maximum(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(audio_io, "MAX_DURATION_S", 2.0)
    song = _wav(tmp_path / "long.wav", seconds=3.0)
    out = tmp_path / "o.mp4"
    code, err = _run(capsys, ["render", str(song), "--prompt", "x", "-o", str(out)])
    _assert_clean_failure(code, err, out, "long.wav", "long")


def test_unwritable_output_folder(tmp_path, capsys):
    song = _wav(tmp_path / "ok.wav")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        import os
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        out = locked / "o.mp4"
        code, err = _run(capsys, ["render", str(song), "--prompt", "x", "-o", str(out)])
        _assert_clean_failure(code, err, out, "locked")
    finally:
        locked.chmod(0o700)


def test_output_folder_that_does_not_exist(tmp_path, capsys):
    song = _wav(tmp_path / "ok.wav")
    out = tmp_path / "no" / "such" / "o.mp4"
    code, err = _run(capsys, ["render", str(song), "--prompt", "x", "-o", str(out)])
    assert code == 2 and err[-1].startswith("mvstudio: error: ") and "such" in err[-1]
    assert not out.exists()


def test_output_path_under_a_file(tmp_path, capsys):
    """Root can write anywhere, so also test a folder that cannot exist: a path under a file."""
    song = _wav(tmp_path / "ok.wav")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    out = blocker / "o.mp4"
    code, err = _run(capsys, ["render", str(song), "--prompt", "x", "-o", str(out)])
    assert code == 2 and err[-1].startswith("mvstudio: error: ") and "blocker" in err[-1]


def test_empty_images_folder(tmp_path, capsys):
    song = _wav(tmp_path / "ok.wav")
    pics = tmp_path / "pics"
    pics.mkdir()
    out = tmp_path / "o.mp4"
    code, err = _run(capsys, ["render", str(song), "--prompt", "x", "--images", str(pics),
                              "-o", str(out)])
    _assert_clean_failure(code, err, out, "pics")


def test_real_entry_point_prints_one_line_and_exits_2(tmp_path):
    out = tmp_path / "o.mp4"
    result = subprocess.run([sys.executable, "-m", "mvstudio", "render", str(tmp_path / "gone.wav"),
                             "--prompt", "x", "-o", str(out)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "gone.wav" in lines[0] and "Traceback" not in result.stderr
    assert not out.exists()
