"""Locating and reading the app's bundled data in ``resources/``."""

from __future__ import annotations

import json
import os
import sys
from functools import lru_cache
from pathlib import Path


def resources_dir() -> Path:
    """The ``resources/`` folder: beside the package in a checkout, in the bundle when frozen."""
    override = os.environ.get("MVSTUDIO_RESOURCES")
    if override:
        return Path(override)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


@lru_cache(maxsize=None)
def load_json(name: str) -> dict:
    """A JSON resource by file name, parsed once."""
    with open(resources_dir() / name, encoding="utf-8") as fh:
        return json.load(fh)
