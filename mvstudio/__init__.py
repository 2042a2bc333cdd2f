"""MV Studio: beat-synchronised music videos from a song and a prompt."""

__version__ = "0.1.0"
