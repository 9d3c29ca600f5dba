"""The GUI parts of the tags and people capabilities, installed into the main
window. Removed when the GUI extension interface lands (photoorg/gui/features);
the core capabilities register through photoorg.capabilities."""

from __future__ import annotations

import importlib
from typing import Any

GUI_FEATURES = ("photoorg.tags.gui", "photoorg.faces.gui")


def install_gui_features(window: Any) -> None:
    """Give each feature the chance to add sidebar sections, menus and panels."""
    for name in GUI_FEATURES:
        importlib.import_module(name).install(window)
