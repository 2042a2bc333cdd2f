"""Song analysis: tempo, beats, downbeats, sections, energy, mood, clip boundaries and lyrics.

``analyze.analyze`` runs the signal processing (``features`` -> ``beats`` -> ``downbeats`` ->
``energy`` -> ``sections`` -> ``mood`` -> ``boundaries``); ``cache`` keeps its results by audio hash
and settings hash (``settings``); ``corrections`` re-applies the user's fixes after every
(re)analysis; ``lyrics`` times words from a ``Transcriber``; ``parser_json`` prints the PRD's
Audio Parser JSON.
"""
