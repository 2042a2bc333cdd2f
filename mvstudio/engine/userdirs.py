"""Per-user folders (platformdirs, app name "MV Studio"), overridable by environment variables.

``MVSTUDIO_CONFIG_DIR``, ``MVSTUDIO_CACHE_DIR`` and ``MVSTUDIO_DATA_DIR`` replace the platform
locations (tests and portable installs use them).  Folders are created when first asked for.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, Optional

import platformdirs

from mvstudio.engine.errors import StoreError

APP_NAME = "MV Studio"


def _folder(env_var: str, default: Callable[..., str]) -> Path:
    override = os.environ.get(env_var, "").strip()
    path = Path(override).expanduser() if override else Path(default(APP_NAME, appauthor=False))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"cannot create the folder '{path}': {err.strerror or err}") from None
    return path


def config_dir() -> Path:
    """Settings (``settings.json``)."""
    return _folder("MVSTUDIO_CONFIG_DIR", platformdirs.user_config_dir)


def cache_dir() -> Path:
    """Re-creatable data: analysis caches, previews."""
    return _folder("MVSTUDIO_CACHE_DIR", platformdirs.user_cache_dir)


def data_dir() -> Path:
    """Data the app keeps for the user (e.g. downloaded local models)."""
    return _folder("MVSTUDIO_DATA_DIR", platformdirs.user_data_dir)


def check_writable(path: str | Path) -> Optional[str]:
    """None if files can be created in ``path`` (or in the folder that would hold it), else why not.

    The test is real: a temporary file is created and removed, since permission bits alone do not
    tell the truth on every platform.
    """
    path = Path(path)
    target = path
    while not target.exists():
        if target.parent == target:
            return f"'{path}' cannot be created: no part of it exists"
        target = target.parent
    if not target.is_dir():
        return f"'{target}' is not a folder"
    try:
        with tempfile.TemporaryFile(dir=target):
            pass
    except OSError as err:
        return f"cannot write to '{target}': {err.strerror or err}"
    return None
