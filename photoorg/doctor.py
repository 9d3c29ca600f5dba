"""Checking and repairing a library's database, and naming what went wrong.

``photoorg doctor`` runs SQLite's ``PRAGMA integrity_check`` and lists the
backups; ``photoorg doctor --restore [BACKUP]`` puts a backup in place,
keeping the damaged file beside it. :func:`explain_failure` turns the low-level
errors of a damaged, read-only or full library into one message each, so that
no command shows a traceback for them.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from photoorg.config import LibraryPaths
from photoorg.errors import DamagedLibraryError, LibraryError, PhotoorgError, ReadOnlyLibraryError
from photoorg.store.backup import list_backups

# How many problems integrity_check reports at most: enough to judge the damage.
MAX_PROBLEMS = 20

_DAMAGED = ("malformed", "not a database", "file is encrypted", "disk image", "corrupt")
_READ_ONLY = ("readonly database", "read-only", "readonly")
_FULL = ("database or disk is full", "no space left")


@dataclass
class CheckResult:
    database: Path
    problems: list[str]  # empty: the database is sound
    backups: list[Path]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "database": str(self.database),
            "ok": self.ok,
            "problems": self.problems,
            "backups": [str(p) for p in self.backups],
        }


@dataclass
class RestoreResult:
    restored_from: Path
    damaged_copy: Path | None  # where the replaced database was put

    def as_dict(self) -> dict:
        return {
            "restored_from": str(self.restored_from),
            "damaged_copy": str(self.damaged_copy) if self.damaged_copy else None,
        }


def integrity_problems(db_path: Path) -> list[str]:
    """``PRAGMA integrity_check`` on a read-only connection: [] when sound."""
    if not db_path.is_file():
        return [f"{db_path} does not exist"]
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
        try:
            rows = [row[0] for row in con.execute(f"PRAGMA integrity_check({MAX_PROBLEMS})")]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def check(paths: LibraryPaths) -> CheckResult:
    return CheckResult(paths.database, integrity_problems(paths.database), list_backups(paths.backups))


def _choose_backup(paths: LibraryPaths, name: str | None) -> Path:
    backups = list_backups(paths.backups)
    if name is None:
        for candidate in backups:
            if not integrity_problems(candidate):
                return candidate
        raise LibraryError(
            f"There is no sound backup in {paths.backups}. "
            "Move library.db aside and run `photoorg index` to build a new index; "
            "your photo files are not affected."
        )
    candidate = Path(name).expanduser()
    if not candidate.is_file():
        candidate = paths.backups / name
    if not candidate.is_file():
        listed = ", ".join(p.name for p in backups[:5]) or "none"
        raise PhotoorgError(f"No backup called {name!r}. Backups (newest first): {listed}.")
    problems = integrity_problems(candidate)
    if problems:
        raise LibraryError(f"The backup {candidate} is damaged too ({problems[0]}); choose another.")
    return candidate


def restore(paths: LibraryPaths, backup: str | None = None) -> RestoreResult:
    """Put a backup (the newest sound one by default) in place of the database.

    The replaced database and its WAL are renamed ``library.db.damaged-<stamp>``,
    never deleted. Refuses while another photoorg process holds the library.
    """
    import filelock

    source = _choose_backup(paths, backup)
    lock = filelock.FileLock(str(paths.lock_file), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise PhotoorgError("photoorg is indexing this library right now; stop it, then restore.") from exc
    try:
        damaged = None
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        if paths.database.exists():
            damaged = paths.database.with_name(f"{paths.database.name}.damaged-{stamp}")
            os.replace(paths.database, damaged)
        for suffix in ("-wal", "-shm"):
            side = paths.database.with_name(paths.database.name + suffix)
            if side.exists():
                os.replace(side, side.with_name(f"{paths.database.name}.damaged-{stamp}{suffix}"))
        partial = paths.database.with_name(paths.database.name + ".restoring")
        partial.unlink(missing_ok=True)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dest = sqlite3.connect(partial)
            try:
                src.backup(dest)
            finally:
                dest.close()
        finally:
            src.close()
        os.chmod(partial, 0o600)
        os.replace(partial, paths.database)
    finally:
        lock.release()
    return RestoreResult(source, damaged)


# -- naming failures -------------------------------------------------------------------


def _text(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).lower()


def explain_failure(exc: BaseException, library_root: Path) -> PhotoorgError | None:
    """A user-facing error for a damaged, read-only or full library; None when
    ``exc`` is none of these (the caller then handles it as before)."""
    if isinstance(exc, PhotoorgError):
        return None
    text = _text(exc)
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)) or any(s in text for s in _FULL):
        return LibraryError(
            f"The disk holding {library_root} is full. Free some space and run the command again; "
            "everything finished so far is saved."
        )
    if code == errno.EROFS or (not isinstance(exc, OSError) and any(s in text for s in _READ_ONLY)):
        return read_only_error(library_root)
    if code in (errno.EACCES, errno.EPERM) and _inside(getattr(exc, "filename", None), library_root):
        return read_only_error(library_root)
    if any(s in text for s in _DAMAGED) and not isinstance(exc, OSError):
        return damaged_error(LibraryPaths(library_root), text.splitlines()[0])
    return None


def _inside(path, folder: Path) -> bool:
    if not path:
        return False
    try:
        return Path(os.fsdecode(path)).resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def read_only_error(library_root: Path) -> ReadOnlyLibraryError:
    return ReadOnlyLibraryError(
        f"The library at {library_root} is read-only, so this command can't change it. "
        "Reading works: status, search, show, similar, tags, people."
    )


def damaged_error(paths: LibraryPaths, reason: str) -> DamagedLibraryError:
    if list_backups(paths.backups):
        action = "`photoorg doctor --restore` puts back the latest backup (the damaged file is kept)"
    else:
        action = "there is no backup yet; `photoorg doctor` says what can be done"
    return DamagedLibraryError(
        f"The library database {paths.database} is damaged ({reason}). `photoorg doctor` checks it; {action}."
    )
