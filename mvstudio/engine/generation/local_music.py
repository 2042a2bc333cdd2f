"""The offline soundtrack: a synthesised 4/4 arrangement whose sections follow the scenes.

A cloud music model reads each scene's ``music_prompt``; this twin plays the scenes' energy levels
(low / medium / high: sparser and softer, or denser and louder) at one tempo, the tempo the plan
was made for, so the cuts of a plan made on that tempo stay on the beat.  Section changes fall on
the bar line nearest each scene's start (``generation.synth``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Optional, Sequence

from mvstudio.engine.errors import InputError
from mvstudio.engine.events import CancelToken
from mvstudio.engine.generation.protocols import Generated
from mvstudio.engine.generation.synth import arrangement_for, synthesize
from mvstudio.engine.model import ENERGY_LEVELS, Scene

VERSION = "local-music/1"  # bump when the synthesis changes


class LocalSoundtrack:
    """Offline ``SoundtrackGenerator`` at ``bpm``, scene ``i`` played at energy ``levels[i]``."""

    name = "local-music"

    def __init__(self, bpm: float, levels: Sequence[str], sample_rate: int = 44100):
        unknown = sorted(set(levels) - set(ENERGY_LEVELS))
        if unknown:
            raise InputError(f"unknown energy level {unknown[0]!r}")
        self.bpm, self.levels, self.sample_rate = bpm, list(levels), sample_rate

    def fingerprint(self) -> str:
        return f"{VERSION}:{self.bpm:g}:{','.join(self.levels)}:{self.sample_rate}"

    async def generate(self, scenes: Sequence[Scene], durations: Sequence[float], workdir: Path,
                       cancel: Optional[CancelToken] = None) -> Generated:
        if len(scenes) != len(durations) or len(scenes) != len(self.levels) or not scenes:
            raise InputError("a soundtrack needs one duration and one energy level per scene")
        if cancel is not None:
            cancel.raise_if_cancelled()
        sections = arrangement_for(durations, self.levels, self.bpm, [s.name for s in scenes])
        path = Path(workdir) / "soundtrack.wav"
        truth = await asyncio.to_thread(synthesize, path, sections, float(sum(durations)),
                                        self.bpm, self.sample_rate)
        if cancel is not None:
            cancel.raise_if_cancelled()
        return Generated(path, self.name, model=VERSION, duration=truth.duration)
