"""Packaging rules: every package ships, and models load lazily. (That the core
stays Qt-free is checked from the source in test_architecture.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "photoorg").rglob("__init__.py")} | {
        "photoorg.resources"
    }
    assert listed == found


def _modules_after_import(code: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return set(result.stdout.split())


def test_opening_a_library_loads_no_model_code(tmp_path):
    modules = _modules_after_import(
        f"from photoorg.library import Library\nLibrary({str(tmp_path / 'lib')!r}).close()"
    )
    assert "torch" not in modules and "open_clip" not in modules
