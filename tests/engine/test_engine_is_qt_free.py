"""The engine never imports Qt: checked on the source and on a real import."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "mvstudio" / "engine"
FORBIDDEN = ("PySide6", "qasync", "pyqtgraph", "mvstudio.ui", "shiboken6")


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_no_engine_module_imports_qt():
    offenders = [f"{p.relative_to(ENGINE)}: {name}" for p in ENGINE.rglob("*.py")
                 for name in _imports(p) if name.startswith(FORBIDDEN)]
    assert offenders == []


def test_importing_the_whole_engine_loads_no_qt():
    modules = sorted(".".join(p.relative_to(ENGINE.parent.parent).with_suffix("").parts)
                     for p in ENGINE.rglob("*.py") if p.name != "__init__.py")
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            f"bad = [m for m in sys.modules if m.startswith({FORBIDDEN!r})]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("lint-imports") is None and
                    not (Path(sys.executable).parent / "lint-imports").exists(),
                    reason="import-linter is not installed (pip install -e '.[test]')")
def test_import_linter_contract_holds():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([exe], capture_output=True, text=True, cwd=ENGINE.parents[1])
    assert result.returncode == 0, result.stdout + result.stderr
