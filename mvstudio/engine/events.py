"""Progress events and cancellation: the engine reports through a plain callable sink.

Engine code never prints or touches a UI; it calls ``sink(event)``.  The CLI draws a progress bar from
these events and the desktop app turns them into Qt signals.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional

from mvstudio.engine.errors import Cancelled


@dataclass(frozen=True)
class StageStarted:
    stage: str
    message: str = ""


@dataclass(frozen=True)
class Progress:
    """``fraction`` of ``stage`` done (0..1); ``eta`` seconds left for the stage, if known."""

    stage: str
    fraction: float
    message: str = ""
    eta: Optional[float] = None
    item: Optional[str] = None  # set when this progress is ``item`` having been made


@dataclass(frozen=True)
class StageFinished:
    stage: str
    seconds: float
    message: str = ""


@dataclass(frozen=True)
class Notice:
    """Something the user should know that does not stop the run (a fallback, a skipped file)."""

    message: str
    stage: str = ""
    level: str = "info"


@dataclass(frozen=True)
class ItemStarted:
    """One item of ``stage`` (a clip's still or video; ``item`` is the clip id) is being made."""

    stage: str
    item: str


@dataclass(frozen=True)
class ItemFailed:
    """One item of ``stage`` failed; the stage goes on with the others.  ``label``: "clip 3"."""

    stage: str
    item: str
    message: str
    label: str = ""


@dataclass(frozen=True)
class PredictionStarted:
    """A paid prediction for ``item`` runs at a service (new, or reattached after a restart)."""

    stage: str
    item: str
    model: str
    prediction_id: str


Event = StageStarted | Progress | StageFinished | Notice | ItemStarted | ItemFailed | \
    PredictionStarted
Sink = Callable[[Event], None]


def null_sink(_event: Event) -> None:
    """A sink that drops every event."""


class CancelToken:
    """Thread-safe cancel flag with callbacks (used to kill FFmpeg or cancel remote work)."""

    def __init__(self) -> None:
        self._unlink: Callable[[], None] = lambda: None
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks = list(self._callbacks)
        for cb in callbacks:
            try:
                cb()
            except Exception:  # a failing cancel hook must not stop the others
                pass

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Register ``callback``; returns a function that unregisters it.  Runs at once if cancelled."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return lambda: self._remove(callback)
        callback()
        return lambda: None

    def _remove(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def child(self) -> "CancelToken":
        """A token cancelled with this one that can also be cancelled on its own."""
        child = CancelToken()
        child._unlink = self.on_cancel(child.cancel)
        return child

    def detach(self) -> None:
        """Stop following the parent (for a child token whose work is over)."""
        self._unlink()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


@dataclass
class StageReporter:
    """Reports one stage's progress to a sink with an ETA from elapsed time and fraction done."""

    sink: Sink
    stage: str
    started: float = field(default_factory=time.monotonic)
    _last_sent: float = 0.0

    def start(self, message: str = "") -> None:
        self.started = time.monotonic()
        self.sink(StageStarted(self.stage, message))

    def update(self, fraction: float, message: str = "", item: Optional[str] = None,
               force: bool = False) -> None:
        """Send progress, at most ~20 times a second unless ``force``."""
        now = time.monotonic()
        fraction = min(max(fraction, 0.0), 1.0)
        if not force and now - self._last_sent < 0.05 and fraction < 1.0:
            return
        self._last_sent = now
        elapsed = now - self.started
        eta = elapsed * (1 - fraction) / fraction if fraction > 0.02 else None
        self.sink(Progress(self.stage, fraction, message, eta, item))

    def finish(self, message: str = "") -> None:
        self.sink(Progress(self.stage, 1.0, message, 0.0))
        self.sink(StageFinished(self.stage, time.monotonic() - self.started, message))


async def until_cancelled(awaitable: Awaitable[Any], cancel: CancelToken) -> Any:
    """Await ``awaitable``; a cancel of ``cancel`` (from any thread) stops it with ``Cancelled``."""
    task = asyncio.ensure_future(awaitable)
    loop = asyncio.get_running_loop()
    unregister = cancel.on_cancel(lambda: loop.call_soon_threadsafe(task.cancel))
    try:
        return await task
    except asyncio.CancelledError:
        if cancel.cancelled:
            raise Cancelled() from None
        raise
    finally:
        unregister()
