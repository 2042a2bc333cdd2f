"""Timeline colours, sizes and fonts: a dark theme in the manner of video and audio editors."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont

BACKGROUND = QColor("#16171a")
LANE = QColor("#1f2125")
LANE_ALT = QColor("#1b1d20")
RULER = QColor("#26282d")
GRID = QColor("#33363c")
TEXT = QColor("#d5d8dd")
TEXT_DIM = QColor("#8b9098")
ACCENT = QColor("#4da3ff")
PLAYHEAD = QColor("#ff4d4d")
SYNC_OFF = QColor("#ff2d55")  # a cut the sync audit found off by more than a frame
WAVE = QColor("#4fc1a6")
BEAT = QColor("#6c7280")
DOWNBEAT = QColor("#e3e6ea")
ENERGY = QColor("#f0a94b")
LOW_CONFIDENCE = QColor(255, 191, 0, 80)  # amber band over beats the music hardly supports
LYRIC_BAND = QColor(213, 216, 221, 28)  # the span of a lyric line

SECTION_COLOURS = {
    "intro": QColor("#4a5a8c"), "verse": QColor("#2f7f83"), "pre-chorus": QColor("#6a4f9a"),
    "chorus": QColor("#b4494f"), "bridge": QColor("#a37b2c"), "instrumental": QColor("#4c8a4a"),
    "outro": QColor("#5a6478"),
}
SECTION_OTHER = QColor("#555b66")

# clip state -> (block fill, bright stripe)
STATE_COLOURS = {
    "fresh": (QColor("#24493a"), QColor("#46c38a")),
    "stale": (QColor("#4d4122"), QColor("#e0b13f")),
    "running": (QColor("#223f5e"), QColor("#4da3ff")),
    "failed": (QColor("#5a2328"), QColor("#ff5a5f")),
}
STATE_UNKNOWN = (QColor("#33373e"), QColor("#7d838d"))

# lane name -> (title, height in px; 0 = takes the spare height)
LANES = (
    ("ruler", "", 24),
    ("sections", "Sections", 20),
    ("waveform", "Audio", 0),
    ("beats", "Beats", 16),
    ("energy", "Energy", 30),
    ("lyrics", "Lyrics", 20),
    ("clips", "Clips", 58),
)
WAVEFORM_MIN_HEIGHT = 64
TITLE_WIDTH = 64

SCROLLBAR_CSS = f"""
QScrollBar:horizontal {{ background: {BACKGROUND.name()}; height: 12px; margin: 0 0 0 {TITLE_WIDTH}px; }}
QScrollBar::handle:horizontal {{ background: #4a4e56; min-width: 24px; border-radius: 4px; margin: 2px; }}
QScrollBar::handle:horizontal:hover {{ background: #5d626b; }}
QScrollBar::add-line:horizontal, QScrollBar::sub-line:horizontal {{ width: 0; }}
QScrollBar::add-page:horizontal, QScrollBar::sub-page:horizontal {{ background: none; }}
"""


def font(pixels: int = 11, bold: bool = False, italic: bool = False) -> QFont:
    f = QFont("DejaVu Sans")
    f.setPixelSize(pixels)
    f.setBold(bold)
    f.setItalic(italic)
    return f


def translucent(colour: QColor, alpha: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(alpha)
    return c
