"""Dock panels of the studio window."""
