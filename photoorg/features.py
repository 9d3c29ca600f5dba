"""Optional features (tags, people) plug into the core and the GUI here.

Each feature module registers itself on import into the hook lists the core
exposes (stage providers, after-index steps, filter clauses, detail providers,
stage versions for status). They import nothing heavy at module level, so
loading them costs milliseconds; models load when a stage first needs them.
"""

from __future__ import annotations

import importlib
import logging

CORE_FEATURES = ("photoorg.tags.feature", "photoorg.faces.feature")
GUI_FEATURES = ("photoorg.tags.gui", "photoorg.faces.gui")

log = logging.getLogger(__name__)
_loaded = False


def _import_all(names: tuple[str, ...]) -> list:
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name and not name.startswith(f"{exc.name}."):
                raise
    return modules


def load_core_features() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        _import_all(CORE_FEATURES)


def install_gui_features(window) -> None:
    """Give each feature the chance to add sidebar sections, menus and panels."""
    for module in _import_all(GUI_FEATURES):
        module.install(window)
