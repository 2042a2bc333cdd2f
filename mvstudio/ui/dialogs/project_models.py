"""Project > Models…: the Replicate image and video models of this project (or the defaults from
Settings), each listed with its price from the model table."""

from __future__ import annotations

from typing import Mapping, Optional

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel

from mvstudio.engine.generation.model_registry import ModelSpec, load_registry

KINDS = (("image", "Image model"), ("video", "Video model"))
UNITS = {"image": "image", "video": "clip", "second": "s of video", "gpu_second": "GPU s"}


def price_text(spec: ModelSpec) -> str:
    """``$0.003 / image``, ``$0.018–0.072 / s of video`` …"""
    rates = sorted(spec.price.usd.values()) if isinstance(spec.price.usd, Mapping) \
        else [spec.price.usd]
    low, high = (f"{r:.4f}".rstrip("0").rstrip(".") for r in (rates[0], rates[-1]))
    return f"${low}{'–' + high if high != low else ''} / {UNITS[spec.price.per]}"


def model_box(kind: str, first: str, registry: Mapping[str, ModelSpec]) -> QComboBox:
    """A list of the registry's ``kind`` models with their prices, after ``first`` (data "")."""
    box = QComboBox()
    box.addItem(first, "")
    for key, spec in sorted(registry.items()):
        if spec.kind == kind:
            box.addItem(f"{key} — {price_text(spec)}", key)
    return box


class ProjectModelsDialog(QDialog):
    def __init__(self, chosen: Mapping[str, str], defaults: Mapping[str, str], parent=None,
                 registry: Optional[Mapping[str, ModelSpec]] = None):
        super().__init__(parent)
        self.setWindowTitle("Models of this project")
        registry = load_registry() if registry is None else registry
        form = QFormLayout(self)
        form.addRow(QLabel("Used when a Replicate token is set; a change makes the stills or clips "
                           "it affects stale (Generate says what it will cost)."))
        self.boxes: dict[str, QComboBox] = {}
        for kind, label in KINDS:
            box = model_box(kind, f"Default ({defaults.get(kind, '')})", registry)
            box.setCurrentIndex(max(0, box.findData(chosen.get(kind, ""))))
            self.boxes[kind] = box
            form.addRow(label, box)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def choice(self) -> dict[str, str]:
        """kind -> model key ("" = the default)."""
        return {kind: box.currentData() for kind, box in self.boxes.items()}
