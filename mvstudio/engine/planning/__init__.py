"""Planning: from analysis and prompt to characters, scenes, style, clip scripts and transitions."""
