"""The one place that runs FFmpeg: progress from ``-progress pipe:1``, errors, cancellation.

Command builders (``commands.py``) return argument lists without the executable or the global
flags; ``run_ffmpeg`` adds both, starts the process without a shell, reads the ``key=value``
progress blocks from stdout and reports ``out_time / expected_duration`` to a ``StageReporter``.
Stderr is drained on a thread (so a chatty FFmpeg never blocks on a full pipe) and its tail becomes
the one-line message of a ``RenderError``.  Cancelling the token terminates the process and kills it
after a short grace period; ``run_ffmpeg`` then raises ``Cancelled``.
"""

from __future__ import annotations

import collections
import re
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Callable, Iterable, Optional, Sequence

from mvstudio.engine.errors import Cancelled, RenderError
from mvstudio.engine.events import CancelToken, StageReporter
from mvstudio.engine.render.ffmpeg import ffmpeg_exe

GLOBAL_FLAGS: tuple[tuple[str, ...], ...] = (
    ("-hide_banner",), ("-nostdin",), ("-y",), ("-nostats",), ("-loglevel", "error"),
    ("-progress", "pipe:1"),
)
# On SIGTERM FFmpeg flushes its encoders (~1 s at 1080p); a cancelled output is discarded anyway.
KILL_GRACE_SECONDS = 0.5
STDERR_TAIL_LINES = 60

# Lines FFmpeg prints after the real error; they say that something failed, not what.
_NOISE = re.compile(
    r"^(Error opening (input|output) files|Conversion failed|Task finished with error"
    r"|Terminating thread|Error reinitializing filters|Failed to configure|Nothing was written"
    r"|Could not open encoder before EOF|Error initializing filters|Error binding filtergraph"
    r"|Error while filtering|Error sending frames|Error submitting)", re.IGNORECASE)
_ERRORISH = re.compile(
    r"error|invalid|not found|no such|cannot|could not|failed|unable|unknown|unrecognized"
    r"|does not|do not|not supported|mismatch|too (large|small|many)", re.IGNORECASE)
_PREFIX = re.compile(r"^(\[[^\]]*\]\s*)+")
_OPEN_FILE = re.compile(r"^Error opening (input|output) file (.+?)\.?$")
_OPEN_REASON = re.compile(r"^Error opening (input|output): (.+)$")


def ffmpeg_argv(args: Sequence[str]) -> list[str]:
    """Executable + the global flags the runner relies on (those already in ``args`` are kept)."""
    present = set(args)
    flags = [part for flag in GLOBAL_FLAGS if flag[0] not in present for part in flag]
    return [ffmpeg_exe(), *flags, *args]


def summarize_stderr(lines: Iterable[str]) -> str:
    """The most telling line of FFmpeg's error output, without ``[component @ 0x..]`` prefixes.

    That is the first line that reads like an error, skipping the generic lines FFmpeg adds after
    the real cause ("Error opening output files", "Conversion failed!", ...).
    """
    clean = [_PREFIX.sub("", line).strip() for line in lines]
    clean = [line for line in clean if line]
    relevant = [line for line in clean if not _NOISE.match(line)]
    if not relevant:
        return clean[-1] if clean else ""
    relevant = [line for line in relevant if _ERRORISH.search(line)] or relevant
    first = relevant[0]
    reason = _OPEN_REASON.match(first)
    if reason:  # "Error opening input: No such file" + "Error opening input file x.mp4."
        for line in relevant[1:]:
            named = _OPEN_FILE.match(line)
            if named and named.group(1) == reason.group(1):
                return f"cannot open {reason.group(1)} file {named.group(2)}: {reason.group(2)}"
    return first


def parse_progress(lines: Iterable[str]) -> Iterable[dict[str, str]]:
    """Group ``key=value`` lines into blocks; each block ends with a ``progress=`` line."""
    block: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.strip().partition("=")
        if not sep:
            continue
        block[key] = value.strip()
        if key == "progress":
            yield block
            block = {}


def out_time_seconds(block: dict[str, str]) -> Optional[float]:
    """``out_time_us`` of a progress block in seconds (``None`` while FFmpeg says ``N/A``)."""
    for key in ("out_time_us", "out_time_ms"):  # both are microseconds in FFmpeg >= 4
        value = block.get(key, "")
        if value.lstrip("-").isdigit():
            return max(int(value), 0) / 1_000_000
    return None


class _StderrTail(threading.Thread):
    """Drains a pipe on a thread, keeping only the last lines."""

    def __init__(self, pipe: IO[bytes]):
        super().__init__(daemon=True, name="ffmpeg-stderr")
        self._pipe = pipe
        self.lines: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self.start()

    def run(self) -> None:
        with self._pipe:
            for raw in self._pipe:
                self.lines.append(raw.decode("utf-8", "replace").rstrip())


class _Stopper:
    """Cancel hook: terminate now, kill after a grace period (never blocks the canceller)."""

    def __init__(self, proc: subprocess.Popen, grace: float = KILL_GRACE_SECONDS):
        self._proc = proc
        self._grace = grace

    def __call__(self) -> None:
        if self._proc.poll() is not None:
            return
        try:
            self._proc.terminate()
        except OSError:
            return
        timer = threading.Timer(self._grace, self.kill)
        timer.daemon = True
        timer.start()

    def kill(self) -> None:
        if self._proc.poll() is None:
            try:
                self._proc.kill()
            except OSError:
                pass


BACKGROUND_NICENESS = 10  # FFmpeg yields the CPU to the app's window (POSIX nice increment)


def _lower_priority(pid: int) -> None:
    """Run FFmpeg (just started) at background priority so the UI stays smooth.

    Set from the parent rather than by a ``preexec_fn``: that forces a full ``fork()`` of this
    (large) process while holding the GIL, which stalled the UI by 50-90 ms per FFmpeg started;
    without one, ``subprocess`` can use ``vfork``/``posix_spawn``."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid,
                       os.getpriority(os.PRIO_PROCESS, 0) + BACKGROUND_NICENESS)
    except (OSError, AttributeError):  # gone already, or not allowed
        pass


def _popen(argv: list[str], cwd: Optional[Path]) -> subprocess.Popen:
    windows = sys.platform == "win32"
    extra = {"creationflags": subprocess.CREATE_NO_WINDOW
             | subprocess.BELOW_NORMAL_PRIORITY_CLASS} if windows else {}
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=cwd, **extra)
    except OSError as exc:
        raise RenderError(f"cannot start FFmpeg ({argv[0]}): {exc.strerror or exc}") from exc
    if not windows:
        _lower_priority(proc.pid)
    return proc


def _report(reporter: Optional[StageReporter], block: dict[str, str],
            expected: Optional[float]) -> None:
    if reporter is None:
        return
    done = block.get("progress") == "end"
    seconds = out_time_seconds(block)
    if done:
        fraction = 1.0
    elif expected and seconds is not None:
        fraction = min(seconds / expected, 0.999)
    else:
        return
    message = f"{block.get('frame', '?')} frames, {block.get('speed', '?').strip()}"
    reporter.update(fraction, message, force=done)


def run_ffmpeg(args: Sequence[str], *, expected_duration: Optional[float] = None,
               reporter: Optional[StageReporter] = None, cancel: Optional[CancelToken] = None,
               cwd: Optional[Path | str] = None,
               on_start: Optional[Callable[[int], None]] = None) -> dict[str, str]:
    """Run FFmpeg with ``args`` to completion; returns the last progress block (``frame``, ...).

    ``on_start`` receives the process id once FFmpeg runs (diagnostics and tests).

    Raises ``RenderError`` (one line from stderr) on a non-zero exit and ``Cancelled`` when
    ``cancel`` fires; in both cases the process is gone when this returns.
    """
    if cancel is not None:
        cancel.raise_if_cancelled()
    proc = _popen(ffmpeg_argv(args), Path(cwd) if cwd is not None else None)
    stderr = _StderrTail(proc.stderr)
    stopper = _Stopper(proc)
    unregister = cancel.on_cancel(stopper) if cancel is not None else (lambda: None)
    last: dict[str, str] = {}
    try:
        if on_start is not None:
            on_start(proc.pid)
        lines = (raw.decode("utf-8", "replace") for raw in proc.stdout)
        for block in parse_progress(lines):
            last = block
            _report(reporter, block, expected_duration)
        proc.wait()
    finally:
        unregister()
        if proc.poll() is None:  # an exception (or KeyboardInterrupt) while reading
            stopper.kill()
            proc.wait()
        proc.stdout.close()
        stderr.join(timeout=5)
    if cancel is not None and cancel.cancelled:
        raise Cancelled()
    if proc.returncode != 0:
        detail = summarize_stderr(stderr.lines) or "no error message"
        raise RenderError(f"FFmpeg failed (exit code {proc.returncode}): {detail}")
    return last

