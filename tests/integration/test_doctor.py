"""``mvstudio doctor``: FFmpeg, keyring, keys (named, never shown), folders and cache sizes; a
non-zero exit when something essential is broken."""

from __future__ import annotations

import json

import pytest

from fakes.memory_keyring import MemoryKeyring, installed
from mvstudio.cli import main
from mvstudio.engine.render.ffmpeg import ffmpeg_exe
from mvstudio.engine.settings import Settings, save_settings

SECRET = "sk-test-0123456789abcdefSECRET"


def doctor(capsys, *args) -> tuple[int, dict[str, str], str]:
    """Exit code, {topic: "status detail"} and stderr of ``mvstudio doctor``."""
    code = main(["doctor", *args])
    out, err = capsys.readouterr()
    lines = {}
    for line in out.splitlines():
        status, rest = line.split(maxsplit=1)
        topic, _, detail = rest.partition("  ")
        lines[topic.strip()] = f"{status} {detail.strip()}"
    return code, lines, err


@pytest.fixture(autouse=True)
def _fresh_ffmpeg_lookup():
    ffmpeg_exe.cache_clear()
    yield
    ffmpeg_exe.cache_clear()


def test_without_keys_everything_essential_is_ok(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("MVSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache" / "analysis").mkdir(parents=True)
    (tmp_path / "cache" / "analysis" / "a.json").write_bytes(b"x" * 2500)
    code, lines, err = doctor(capsys)
    assert code == 0, (lines, err)
    assert lines["FFmpeg"].startswith("ok ") and ffmpeg_exe() in lines["FFmpeg"]
    assert lines["keyring"].startswith("warn keyring disabled")
    assert lines["OpenAI key"].startswith("info not set")
    assert "REPLICATE_API_TOKEN" in lines["Replicate key"]
    for topic in ("config folder", "data folder", "cache folder"):
        assert lines[topic].startswith("ok "), lines[topic]
    assert lines["analysis cache"] == f"info 2.5 kB in 1 files at {tmp_path / 'cache' / 'analysis'}"
    assert lines["cache size"].startswith("info 2.5 kB in 1 files")
    assert lines["exports"].startswith("ok ") and "fcpxml" in lines["exports"]


def test_keys_are_named_by_source_and_never_shown(capsys, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    code, lines, _ = doctor(capsys)
    assert code == 0
    assert lines["OpenAI key"] == "ok from OPENAI_API_KEY"
    assert lines["Replicate key"].startswith("info not set")
    with installed(MemoryKeyring(), monkeypatch) as ring:
        ring.set_password("MV Studio", "replicate", SECRET + "2")
        assert main(["doctor", "--json"]) == 0
        out = capsys.readouterr().out
    assert SECRET[-6:] not in out and SECRET[:8] not in out
    checks = {c["topic"]: c for c in json.loads(out)["checks"]}
    assert checks["Replicate key"]["detail"] == "in the keyring"
    assert checks["OpenAI key"]["detail"] == "from OPENAI_API_KEY"
    assert checks["keyring"]["status"] == "ok"


def test_an_unwritable_cache_folder_fails(capsys, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MVSTUDIO_CACHE_DIR", str(blocker / "cache"))
    code, lines, err = doctor(capsys)
    assert code == 1
    assert lines["cache folder"].startswith("fail cannot create the folder")
    assert "cache size" not in lines
    assert lines["config folder"].startswith("ok ")
    assert "something essential is broken" in err


def test_an_unwritable_output_folder_and_a_broken_ffmpeg_fail(capsys, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    save_settings(Settings(output_folder=str(blocker / "videos")))
    monkeypatch.setenv("MVSTUDIO_FFMPEG", str(tmp_path / "no-ffmpeg"))
    code, lines, _ = doctor(capsys)
    assert code == 1
    assert lines["output folder"].startswith("fail ") and "is not a folder" in lines["output folder"]
    assert lines["FFmpeg"].startswith("fail cannot run FFmpeg")
