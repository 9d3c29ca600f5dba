"""Where a library lives on disk, and what is inside its folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "photoorg"
LIBRARY_ENV = "PHOTOORG_LIBRARY"


def default_library_dir() -> Path:
    """The library used when none is named: $PHOTOORG_LIBRARY, else the platform's
    per-user data folder (e.g. ~/.local/share/photoorg on Linux)."""
    env = os.environ.get(LIBRARY_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class LibraryPaths:
    """The files of one library folder."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "library.db"

    @property
    def thumbnails(self) -> Path:
        return self.root / "thumbnails"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def model_configs(self) -> Path:
        """Extra open_clip architecture configs (*.json) for custom models."""
        return self.root / "model_configs"

    @property
    def lock_file(self) -> Path:
        return self.root / "index.lock"
