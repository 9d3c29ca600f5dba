"""Packaging and architecture rules: every package ships, the core stays Qt-free
and models load lazily."""

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


def test_core_imports_no_qt():
    modules = _modules_after_import(
        "import photoorg.library, photoorg.status, photoorg.photos, photoorg.search.engine, "
        "photoorg.pipeline.indexer, photoorg.cli.main, photoorg.tags.hooks, photoorg.tags.store, "
        "photoorg.tags.zero_shot, photoorg.tags.grouping, photoorg.tags.text_search, "
        "photoorg.faces.hooks, photoorg.faces.people, photoorg.faces.cluster, photoorg.faces.stage"
    )
    assert not any(m == "PySide6" or m.startswith("PySide6.") for m in modules)


def test_opening_a_library_loads_no_model_code(tmp_path):
    modules = _modules_after_import(
        f"from photoorg.library import Library\nLibrary({str(tmp_path / 'lib')!r}).close()"
    )
    assert "torch" not in modules and "open_clip" not in modules
