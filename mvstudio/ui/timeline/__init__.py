"""The timeline: ruler, waveform, beats, sections, energy, lyrics and clips on one time axis."""

from mvstudio.ui.timeline.view import TimelineView

__all__ = ["TimelineView"]
