"""One API key in the settings dialog: masked current key, where it comes from, a field for a new
one, Test (off the GUI thread, in its own ``QThreadPool``) and Remove (from the keyring, on OK).

Nothing is stored here: the dialog calls ``store()`` when the user presses OK.
"""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QPushButton, QWidget

from mvstudio.engine import keys
from mvstudio.engine.key_check import KeyCheck
from mvstudio.ui.timeline import theme

Check = Callable[[str], KeyCheck]
PLACEHOLDERS = {"openai": "sk-…", "replicate": "r8_…"}
OK_COLOUR, BAD_COLOUR = "#46c38a", "#ff7a7f"
LABEL_WIDTH = 90  # the same for every row, so the fields line up


_pool: Optional[QThreadPool] = None


def check_pool() -> QThreadPool:
    """The threads key checks run in: their own, so a busy global pool cannot hold them up."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(len(keys.ENV_VARS))
    return _pool


class _Done(QObject):
    finished = Signal(bool, str)


class _CheckTask(QRunnable):
    """Runs a (blocking) key check in the thread pool and reports through ``done``."""

    def __init__(self, check: Check, key: str, done: _Done):
        super().__init__()
        self.check, self.key, self.done = check, key, done

    def run(self) -> None:
        try:
            result = self.check(self.key)
        except Exception as err:  # noqa: BLE001 - a crashing check is a failed check
            result = KeyCheck(False, f"The key check failed ({type(err).__name__}).")
        try:
            self.done.finished.emit(result.ok, result.message)
        except RuntimeError:  # the dialog is gone
            pass


def coloured(label: QLabel, text: str, ok: Optional[bool]) -> None:
    """Show ``text`` in ``label``: green when ok, red when not, dim when None."""
    colour = theme.TEXT_DIM.name() if ok is None else OK_COLOUR if ok else BAD_COLOUR
    label.setStyleSheet(f"color: {colour};")
    label.setText(text)


class KeyRow(QWidget):
    def __init__(self, provider: str, check: Check, parent=None):
        super().__init__(parent)
        self.provider, self.check = provider, check
        self.remove_pending = False
        self.field = QLineEdit()
        self.field.setEchoMode(QLineEdit.Password)
        self.field.setClearButtonEnabled(True)
        self.source = QLabel()
        self.source.setWordWrap(True)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.test_button = QPushButton("Test")
        self.test_button.clicked.connect(self.test)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the stored key from the keyring when you press OK")
        self.remove_button.clicked.connect(self._mark_removed)
        self._done = _Done(self)
        self._done.finished.connect(self._show_result)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        name = QLabel(f"<b>{keys.LABELS[provider]}</b>")
        name.setMinimumWidth(LABEL_WIDTH)
        grid.addWidget(name, 0, 0)
        grid.addWidget(self.field, 0, 1)
        grid.addWidget(self.test_button, 0, 2)
        grid.addWidget(self.remove_button, 0, 3)
        grid.addWidget(self.source, 1, 1, 1, 3)
        grid.addWidget(self.result, 2, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        self.refresh()

    def refresh(self) -> None:
        """Show the current key (masked) and where it comes from."""
        key, source = keys.get_key(self.provider), keys.key_source(self.provider)
        env = keys.ENV_VARS[self.provider]
        self.field.setPlaceholderText("type a new key to replace it" if key
                                      else f"paste your key ({PLACEHOLDERS[self.provider]})")
        text = {"keyring": f"{keys.mask(key)} stored in the OS keyring",
                "environment": f"{keys.mask(key)} from the environment variable {env}",
                None: f"Not set (type a key, or set {env})"}[source]
        coloured(self.source, text, None)
        self.remove_button.setVisible(source == "keyring")
        self.remove_pending = False

    def typed(self) -> str:
        return self.field.text().strip()

    def test(self) -> None:
        """Check the typed key, or else the current one, in the thread pool."""
        key = self.typed() or keys.get_key(self.provider) or ""
        if not key:
            coloured(self.result, f"No key to test: type one or set "
                                  f"{keys.ENV_VARS[self.provider]}.", False)
            return
        self.test_button.setEnabled(False)
        coloured(self.result, "Testing…", None)
        check_pool().start(_CheckTask(self.check, key, self._done))

    def _show_result(self, ok: bool, message: str) -> None:
        self.test_button.setEnabled(True)
        coloured(self.result, message, ok)

    def _mark_removed(self) -> None:
        self.remove_pending = True
        self.field.clear()
        coloured(self.source, "Will be removed from the keyring when you press OK", None)

    def store(self) -> None:
        """Store the typed key (or remove the stored one); ``KeyringUnavailable`` is shown here
        and raised again so the dialog stays open."""
        try:
            if self.typed():
                keys.set_key(self.provider, self.typed())
                self.field.clear()
            elif self.remove_pending:
                keys.delete_key(self.provider)
        except keys.KeyringUnavailable as err:
            coloured(self.result, str(err), False)
            raise
        self.refresh()
