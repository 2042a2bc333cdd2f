"""Song analysis: tempo, beats, downbeats, sections, energy, mood and clip boundaries."""
