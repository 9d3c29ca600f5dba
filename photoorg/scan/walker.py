"""Walking a root folder: every image (or video, RAW file) with its size and mtime.

The walk never raises for what it finds on disk. Unreadable folders and link
loops come back as :class:`WalkProblem`; hidden and system folders are skipped;
files that vanish between listing and stat are simply not reported.

The walk stays inside the library's folders: a symbolic link (to a folder or a
file) that leads elsewhere, say to ``/etc``, is reported and not followed
unless the library allows it. Nothing but regular files is ever reported as a
photo: FIFOs, devices and sockets (and links to them) are skipped with a
reason, after a ``stat`` that never opens them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from photoorg.scan.files import kind_of
from photoorg.scan.formats import has_extension, indexable_extensions

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
    #: a folder that could not be listed: the photos indexed under it are
    #: unreadable for now, not missing
    unreadable_folder: bool = False


def is_skipped_folder(name: str) -> bool:
    lower = name.lower()
    return name.startswith(".") or lower in SYSTEM_FOLDERS or lower.endswith(SYSTEM_SUFFIXES)


def _hidden_on_windows(entry: os.DirEntry) -> bool:
    try:
        attributes = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
    except OSError:
        return False
    return bool(attributes & (_FILE_ATTRIBUTE_HIDDEN | _FILE_ATTRIBUTE_SYSTEM))


def _is_link(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class _LinkPolicy:
    """Decides whether a symbolic link may be followed: only when it leads into
    one of the allowed folders (the library's roots), unless all are allowed."""

    def __init__(self, allowed: Sequence[str], exclude: frozenset[str], follow_external: bool) -> None:
        self.allowed = [os.path.realpath(folder) for folder in allowed]
        self.exclude = [os.path.realpath(folder) for folder in exclude]
        self.follow_external = follow_external

    def refusal(self, link: str) -> str | None:
        """None when the link may be followed, else the reason it is not."""
        target = os.path.realpath(link)
        if any(_inside(target, folder) for folder in self.exclude):
            return f"symbolic link into the library's own folder ({target}): not followed"
        if self.follow_external or any(_inside(target, folder) for folder in self.allowed):
            return None
        return (
            f"symbolic link to {target}, outside the library's folders: not followed "
            "(allow with `photoorg roots --external-links follow`)"
        )


def walk(
    root: str,
    exclude: frozenset[str] = frozenset(),
    *,
    allowed: Sequence[str] | None = None,
    follow_external_links: bool = False,
) -> Iterator[FileEntry | WalkProblem]:
    """Yield the image files under ``root`` (depth first, sorted per folder).

    Symbolic links to folders are followed once: a folder reached again through
    a link (a loop, or a second link to it) is reported and not walked twice.
    Links (to folders or files) that lead outside ``allowed`` (default: the
    root itself) are reported and not followed unless ``follow_external_links``.
    ``exclude`` holds absolute folder paths to leave out (the library itself).
    """
    try:
        top = os.stat(root)
    except OSError as exc:
        yield WalkProblem(root, _reason(exc), unreadable_folder=True)
        return
    wanted = indexable_extensions()  # once per walk: the readers don't change during it
    links = _LinkPolicy(allowed if allowed is not None else [root], exclude, follow_external_links)
    seen: set[tuple[int, int]] = {(top.st_dev, top.st_ino)}
    stack = [root]
    check_windows_attrs = os.name == "nt"
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as iterator:
                entries = sorted(iterator, key=lambda e: e.name)
        except OSError as exc:
            # A folder deleted since its parent was listed is gone, not unreadable.
            yield WalkProblem(folder, _reason(exc), unreadable_folder=not isinstance(exc, FileNotFoundError))
            continue
        subfolders: list[str] = []
        for entry in entries:
            name = entry.name
            if _is_link(entry) and not name.startswith("."):
                refusal = links.refusal(entry.path)
                if refusal is not None:
                    if (_is_dir(entry) and not is_skipped_folder(name)) or has_extension(name, wanted):
                        yield WalkProblem(entry.path, refusal)
                    continue
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
            if name.startswith(".") or not has_extension(name, wanted):
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
                yield WalkProblem(entry.path, f"{kind_of(info.st_mode)}, not a photo file: skipped")
                continue
            yield FileEntry(entry.path, info.st_size, info.st_mtime_ns)
        stack.extend(reversed(subfolders))
