"""The desktop app (PySide6): widgets only; it drives the engine through the pipeline and edits."""
