"""FFmpeg: locating it, probing media, pure command builders and one runner."""
