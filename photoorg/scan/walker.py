"""Walking a root folder: every image file with its size and mtime.

The walk never raises for what it finds on disk. Unreadable folders and link
loops come back as :class:`WalkProblem`; hidden and system folders are skipped;
files that vanish between listing and stat are simply not reported.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from photoorg.scan.formats import is_image_name

# Folders that hold the system's or other apps' internals, never the user's photos.
SYSTEM_FOLDERS = frozenset(
    {
        "$recycle.bin",
        "system volume information",
        "lost+found",
        "@eadir",  # Synology thumbnails
        "#recycle",
        "__macosx",
        "node_modules",
    }
)
# Application packages whose contents are a library's internals (Apple Photos,
# Lightroom previews): indexing them would add thousands of derivatives.
SYSTEM_SUFFIXES = (".photoslibrary", ".photolibrary", ".aplibrary", ".lrdata", ".lrcat-data")

_FILE_ATTRIBUTE_HIDDEN = 0x2
_FILE_ATTRIBUTE_SYSTEM = 0x4


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class WalkProblem:
    path: str
    reason: str


def is_skipped_folder(name: str) -> bool:
    lower = name.lower()
    return name.startswith(".") or lower in SYSTEM_FOLDERS or lower.endswith(SYSTEM_SUFFIXES)


def _hidden_on_windows(entry: os.DirEntry) -> bool:
    try:
        attributes = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
    except OSError:
        return False
    return bool(attributes & (_FILE_ATTRIBUTE_HIDDEN | _FILE_ATTRIBUTE_SYSTEM))


def _reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)


def walk(root: str, exclude: frozenset[str] = frozenset()) -> Iterator[FileEntry | WalkProblem]:
    """Yield the image files under ``root`` (depth first, sorted per folder).

    Symbolic links to folders are followed once: a folder reached again through
    a link (a loop, or a second link to it) is reported and not walked twice.
    ``exclude`` holds absolute folder paths to leave out (the library itself).
    """
    try:
        top = os.stat(root)
    except OSError as exc:
        yield WalkProblem(root, _reason(exc))
        return
    seen: set[tuple[int, int]] = {(top.st_dev, top.st_ino)}
    stack = [root]
    check_windows_attrs = os.name == "nt"
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as iterator:
                entries = sorted(iterator, key=lambda e: e.name)
        except OSError as exc:
            yield WalkProblem(folder, _reason(exc))
            continue
        subfolders: list[str] = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()  # follows links
            except OSError:
                is_dir = False
            if is_dir:
                if is_skipped_folder(name) or entry.path in exclude:
                    continue
                if check_windows_attrs and _hidden_on_windows(entry):
                    continue
                try:
                    info = entry.stat()
                except OSError as exc:
                    yield WalkProblem(entry.path, _reason(exc))
                    continue
                key = (info.st_dev, info.st_ino)
                if key in seen:
                    yield WalkProblem(
                        entry.path, "symbolic link to a folder that is already scanned (a loop?)"
                    )
                    continue
                seen.add(key)
                subfolders.append(entry.path)
                continue
            if name.startswith(".") or not is_image_name(name):
                continue
            if check_windows_attrs and _hidden_on_windows(entry):
                continue
            try:
                info = entry.stat()
            except FileNotFoundError:
                if entry.is_symlink():
                    yield WalkProblem(entry.path, "broken symbolic link")
                continue  # vanished since the folder was listed
            except OSError as exc:
                yield WalkProblem(entry.path, _reason(exc))
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            yield FileEntry(entry.path, info.st_size, info.st_mtime_ns)
        stack.extend(reversed(subfolders))
