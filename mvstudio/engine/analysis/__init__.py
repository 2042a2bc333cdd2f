"""Song analysis: tempo, beats, downbeats, sections, energy, mood, clip boundaries and lyrics.

``analyze.analyze`` runs the signal processing (``features`` -> ``beats`` -> ``downbeats`` ->
``energy`` -> ``sections`` -> ``mood`` -> ``boundaries``); ``cache`` keeps its results by audio hash
and settings hash (``settings``); ``corrections`` re-applies the user's fixes after every
(re)analysis; ``confidence`` rates each beat; ``lyrics`` times words from a ``Transcriber`` (or
estimates them); ``parser_json`` prints the PRD's Audio Parser JSON.
"""
