"""Where a library lives on disk, and what is inside its folder."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "photoorg"
LIBRARY_ENV = "PHOTOORG_LIBRARY"

# A library holds small copies of private photos and where they are: only its
# owner may read it, whatever the umask.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


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


def make_private(path: Path, mode: int) -> None:
    """Take away the permission bits outside ``mode`` (group and others) from a
    file or folder the user owns. Never raises: a library on a read-only share
    or owned by someone else is left as it is."""
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
            return
        current = stat.S_IMODE(info.st_mode)
        if current & ~mode:
            os.chmod(path, current & mode)
    except OSError:
        pass


def create_private_file(path: Path) -> None:
    """Create an empty file readable by its owner only, unless it exists."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    except OSError:
        pass  # there already, or a read-only library: opening it says what is wrong


def make_library_private(paths: LibraryPaths, include_root: bool = True) -> None:
    """Tighten a library to its owner: the folder and its subfolders 0700, the
    database and its WAL files 0600. Thumbnails written before this stay as they
    were, but their 0700 folders keep everyone else out. ``include_root=False``
    leaves the mode of a folder the user had before it held a library."""
    folders = (
        (paths.root, paths.thumbnails, paths.backups) if include_root else (paths.thumbnails, paths.backups)
    )
    for folder in folders:
        make_private(folder, PRIVATE_DIR_MODE)
    for suffix in ("", "-wal", "-shm"):
        make_private(paths.database.with_name(paths.database.name + suffix), PRIVATE_FILE_MODE)
