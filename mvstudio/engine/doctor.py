"""``mvstudio doctor``: what this installation can do and what is broken, in one report.

Each ``Check`` is ok, info, warn or fail; a fail is something essential (FFmpeg, the user
folders) that stops MV Studio from working, and makes ``doctor`` exit non-zero.  Keys are named by
where they are found, never shown.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Optional

from mvstudio import __version__
from mvstudio.engine import keys, userdirs
from mvstudio.engine.errors import MVError

STATUSES = ("ok", "info", "warn", "fail")


@dataclass(frozen=True)
class Check:
    topic: str
    status: str  # one of STATUSES
    detail: str


def _ffmpeg() -> Check:
    from mvstudio.engine.render.ffmpeg import ffmpeg_exe

    try:
        exe = ffmpeg_exe()
        done = subprocess.run([exe, "-hide_banner", "-version"], capture_output=True, text=True,
                              timeout=30)
    except (MVError, OSError, subprocess.SubprocessError) as err:
        return Check("FFmpeg", "fail", f"cannot run FFmpeg: {err}")
    first = (done.stdout.splitlines() or [""])[0]
    if done.returncode != 0 or not first.startswith("ffmpeg version"):
        return Check("FFmpeg", "fail", f"{exe} does not work (exit {done.returncode})")
    return Check("FFmpeg", "ok", f"{first.split()[2]} at {exe}")


def _keyring() -> Check:
    usable, what = keys.keyring_status()
    if usable:
        return Check("keyring", "ok", what)
    return Check("keyring", "warn", f"{what}: keys are read from environment variables only")


def _key(provider: str) -> Check:
    source = keys.key_source(provider)
    topic = f"{keys.LABELS[provider]} key"
    if source == "keyring":
        return Check(topic, "ok", "in the keyring")
    if source == "environment":
        return Check(topic, "ok", f"from {keys.ENV_VARS[provider]}")
    return Check(topic, "info", f"not set (offline mode for its services; add it in Settings or "
                 f"set {keys.ENV_VARS[provider]})")


def _folder(topic: str, locate: Callable[[], Path]) -> tuple[Check, Optional[Path]]:
    try:
        path = locate()
    except MVError as err:
        return Check(topic, "fail", str(err)), None
    problem = userdirs.check_writable(path)
    return (Check(topic, "fail", problem) if problem else Check(topic, "ok", f"{path}")), path


def _output_folder() -> Check:
    from mvstudio.engine.settings import load_settings

    try:
        folder = load_settings().output_folder
    except MVError as err:
        return Check("output folder", "fail", f"settings unreadable: {err}")
    if not folder:
        return Check("output folder", "info", "not set (renders go into the project folder)")
    problem = userdirs.check_writable(folder)
    return Check("output folder", "fail", problem) if problem else Check("output folder", "ok",
                                                                         folder)


def folder_size(path: Path) -> tuple[int, int]:
    """(bytes, files) under ``path``; unreadable entries are skipped."""
    total = count = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
                count += 1
            except OSError:
                pass
    return total, count


def human_size(size: int) -> str:
    """``532 B``, ``4.1 kB``, ``12.0 MB``, ``1.3 GB`` (powers of 1000)."""
    for unit in ("B", "kB", "MB"):
        if size < 1000:
            return f"{size} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def _size(topic: str, path: Path) -> Check:
    size, files = folder_size(path)
    return Check(topic, "info", f"{human_size(size)} in {files} files at {path}")


def _exports() -> Check:
    try:
        import opentimelineio as otio
    except ImportError as err:
        return Check("exports", "warn", f"timeline exports unavailable: {err}")
    from mvstudio.engine.export.timeline import ADAPTERS

    have = set(otio.adapters.available_adapter_names())
    missing = [fmt for fmt, adapter in ADAPTERS.items() if adapter not in have]
    if missing:
        return Check("exports", "warn", f"OpenTimelineIO {otio.__version__}; no adapter for "
                     f"{', '.join(missing)}")
    return Check("exports", "ok", f"OpenTimelineIO {otio.__version__}: {', '.join(ADAPTERS)}")


def _desktop() -> Check:
    if importlib.util.find_spec("PySide6") is None:
        return Check("desktop app", "warn", "PySide6 is missing: only the command line works")
    return Check("desktop app", "ok", "PySide6 is installed")


def run_checks() -> list[Check]:
    """Every check, in report order."""
    frozen = " (packaged)" if getattr(sys, "frozen", False) else ""
    checks = [Check("MV Studio", "info", f"{__version__}{frozen}, Python "
                    f"{platform.python_version()} on {platform.platform(terse=True)}"),
              _ffmpeg(), _desktop(), _exports(), _keyring(),
              *(_key(p) for p in keys.ENV_VARS)]
    for topic, locate in (("config folder", userdirs.config_dir),
                          ("data folder", userdirs.data_dir), ("cache folder", userdirs.cache_dir)):
        check, path = _folder(topic, locate)
        checks.append(check)
        if topic == "cache folder" and path is not None:
            from mvstudio.engine.analysis.cache import FOLDER

            checks += [_size("cache size", path), _size("analysis cache", path / FOLDER)]
    checks.append(_output_folder())
    return checks


def healthy(checks: list[Check]) -> bool:
    return all(c.status != "fail" for c in checks)


def report(checks: list[Check]) -> str:
    """One line per check: status, topic, detail."""
    width = max(len(c.topic) for c in checks)
    return "\n".join(f"{c.status:<5} {c.topic:<{width}}  {c.detail}" for c in checks)


def as_json(checks: list[Check]) -> dict:
    return {"healthy": healthy(checks), "checks": [asdict(c) for c in checks]}
