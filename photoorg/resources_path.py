"""Where the bundled resources (icons, vocabularies) are.

Installed, they are the package ``photoorg.resources``. Run from a source
checkout (tests, ``python -m photoorg`` in the repository), the top-level
``resources/`` folder next to the package is used.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path


@cache
def resources_dir() -> Path:
    # A source checkout's own resources first: an editable install of another
    # checkout (a shared development environment) maps photoorg.resources there.
    beside = Path(__file__).resolve().parents[1] / "resources"
    if (beside / "tags" / "vocabulary.json").is_file():
        return beside
    spec = importlib.util.find_spec("photoorg.resources")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[1] / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
