"""The layering the code promises: Qt only under photoorg/gui, and the GUI
never depends on the CLI. Read from the source with ast, so a new module is
checked without anyone listing it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "photoorg"
GUI = PACKAGE / "gui"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules_importing(prefix: str, files) -> list[str]:
    return sorted(
        str(path.relative_to(PACKAGE.parent))
        for path in files
        if any(name == prefix or name.startswith(prefix + ".") for name in imported_modules(path))
    )


def test_nothing_outside_the_gui_package_imports_qt():
    outside = [p for p in PACKAGE.rglob("*.py") if GUI not in p.parents]
    assert len(outside) > 50  # the walk sees the whole core
    assert modules_importing("PySide6", outside) == []


def test_the_gui_imports_qt_and_never_the_cli():
    inside = list(GUI.rglob("*.py"))
    assert modules_importing("PySide6", inside)  # the check can see an import
    assert modules_importing("photoorg.cli", inside) == []


def test_the_import_finder_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def late():\n    from PySide6.QtCore import Qt\n    import PySide6.QtGui\n")
    assert imported_modules(sample) == {"PySide6.QtCore", "PySide6.QtGui"}


def test_capability_guis_see_the_extension_interface_not_the_window():
    """A capability GUI gets an AppContext; it imports none of the shell's modules."""
    shell = ("photoorg.gui.main_window", "photoorg.gui.actions", "photoorg.gui.content")
    shell += ("photoorg.gui.status_bar",)
    features = list((GUI / "features").rglob("*.py"))
    assert len(features) >= 5
    for module in shell:
        assert modules_importing(module, features) == []
