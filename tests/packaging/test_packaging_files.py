"""The packaging files without building: the PyInstaller spec evaluates and bundles what the
frozen app needs; the desktop entry, AppStream metainfo and icons agree with each other."""

from __future__ import annotations

import configparser
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
APP_ID = "org.mvstudio.MVStudio"


class _Recorder:
    """Stands in for PyInstaller's build classes: remembers what the spec gave them."""

    made: list[tuple[str, tuple, dict]] = []

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.made.append((type(self).__name__, args, kwargs))
        self.pure = self.scripts = self.binaries = self.datas = []


def evaluate_spec(platform: str, monkeypatch) -> dict:
    pytest.importorskip("PyInstaller", reason="PyInstaller is a build-time extra: .[package]")
    monkeypatch.setattr("sys.platform", platform)
    _Recorder.made = []
    names = {n: type(n, (_Recorder,), {}) for n in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}
    scope = {"SPECPATH": str(PACKAGING), "__file__": str(PACKAGING / "mvstudio.spec"), **names}
    exec(compile((PACKAGING / "mvstudio.spec").read_text(), "mvstudio.spec", "exec"), scope)
    made: dict[str, list] = {}
    for kind, args, kwargs in _Recorder.made:
        made.setdefault(kind, []).append((args, kwargs))
    return made


def test_the_spec_bundles_ffmpeg_resources_and_the_otio_adapters(monkeypatch):
    made = evaluate_spec("linux", monkeypatch)
    (_, analysis), = made["Analysis"]
    destinations = {(Path(src).name, dest) for src, dest in analysis["datas"]}
    assert ("resources", "resources") in destinations
    for package in ("otio_fcpx_xml_adapter", "otio_cmx3600_adapter"):
        assert ("plugin_manifest.json", package) in destinations
    assert ("fcpx_xml.py", "otio_fcpx_xml_adapter") in destinations  # loaded from its file
    assert any(dest.endswith(".dist-info") and "otio_cmx3600_adapter" in dest
               for _, dest in analysis["datas"])
    (ffmpeg, where), = analysis["binaries"]
    assert Path(ffmpeg).is_file() and where == "imageio_ffmpeg/binaries"
    assert {"mvstudio.engine.pipeline", "mvstudio.ui.smoke",
            "otio_cmx3600_adapter.cmx_3600"} <= set(analysis["hiddenimports"])
    assert [kw["name"] for _, kw in made["EXE"]] == ["mvstudio"]
    assert "BUNDLE" not in made


@pytest.mark.parametrize("platform, exes, icon", [("win32", ["mvstudio", "MV Studio"], ".ico"),
                                                   ("darwin", ["mvstudio", "MV Studio"], ".icns")])
def test_windows_and_macos_get_a_windowed_app_with_their_icon(monkeypatch, platform, exes, icon):
    made = evaluate_spec(platform, monkeypatch)
    assert [kw["name"] for _, kw in made["EXE"]] == exes
    assert [kw["console"] for _, kw in made["EXE"]] == [True, False]
    assert all(kw["icon"].endswith(icon) and Path(kw["icon"]).is_file() for _, kw in made["EXE"])
    if platform == "darwin":
        (_, bundle), = made["BUNDLE"]
        assert bundle["bundle_identifier"] == APP_ID and bundle["name"] == "MV Studio.app"
        assert bundle["info_plist"]["CFBundleExecutable"] == "MV Studio"


def test_desktop_entry_metainfo_and_icons_agree():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(PACKAGING / "linux" / f"{APP_ID}.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Icon"] == APP_ID and desktop["Exec"].startswith("mvstudio ")
    meta = ET.parse(PACKAGING / "linux" / f"{APP_ID}.metainfo.xml").getroot()
    assert meta.findtext("id") == APP_ID
    assert meta.findtext("launchable") == f"{APP_ID}.desktop"
    icons = ROOT / "resources" / "icons"
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        with Image.open(icons / f"mvstudio-{size}.png") as png:
            assert png.size == (size, size) and png.mode == "RGBA"
    svg = ET.parse(icons / "mvstudio.svg").getroot()
    assert svg.get("viewBox") == "0 0 512 512"
