"""The app's dark look: a Fusion palette in the timeline's colours, as media tools use."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from mvstudio.ui.timeline import theme


def apply_dark_theme(app: QApplication) -> None:
    """Dark Fusion palette for every widget (idempotent)."""
    if app.property("mvstudio-dark"):
        return
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.Window: QColor("#202226"), QPalette.WindowText: theme.TEXT,
        QPalette.Base: theme.BACKGROUND, QPalette.AlternateBase: theme.LANE,
        QPalette.ToolTipBase: theme.RULER, QPalette.ToolTipText: theme.TEXT,
        QPalette.Text: theme.TEXT, QPalette.Button: QColor("#2b2e33"),
        QPalette.ButtonText: theme.TEXT, QPalette.BrightText: theme.PLAYHEAD,
        QPalette.Highlight: theme.ACCENT, QPalette.HighlightedText: QColor("#0b0c0e"),
        QPalette.Link: theme.ACCENT, QPalette.PlaceholderText: theme.TEXT_DIM,
    }
    for role, colour in roles.items():
        palette.setColor(role, colour)
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        palette.setColor(QPalette.Disabled, role, theme.TEXT_DIM.darker(130))
    app.setPalette(palette)
    app.setProperty("mvstudio-dark", True)
