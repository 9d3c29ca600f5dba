"""Copies of the index database in ``<library>/backups/``.

Two kinds live there: the copy taken before each schema migration
(``library-v<N>-<stamp>.db``, see migrations.py) and a periodic copy taken at
the end of an index run, at most once per :data:`PERIODIC_INTERVAL`
(``library-auto-<stamp>.db``, the newest :data:`KEEP` kept). Copies are made
with SQLite's online backup API, so they are consistent even while another
process reads or writes, and a copy is kept only if it passes
``PRAGMA quick_check``: a damaged database never rotates a good backup out.
"""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

AUTO_PREFIX = "library-auto-"
KEEP = 5
PERIODIC_INTERVAL = timedelta(days=1)
_STAMP = "%Y%m%d-%H%M%S"
_STAMP_IN_NAME = re.compile(r"\d{8}-\d{6}")


def taken_at(backup: Path) -> datetime:
    """When a backup was made: the stamp in its name (copying a file keeps
    that), else its modification time."""
    match = _STAMP_IN_NAME.search(backup.name)
    if match:
        try:
            return datetime.strptime(match.group(0), _STAMP)
        except ValueError:
            pass
    return datetime.fromtimestamp(backup.stat().st_mtime)


def list_backups(backups_dir: Path) -> list[Path]:
    """Every backup (migration and periodic), newest first."""
    if not backups_dir.is_dir():
        return []
    found = [p for p in backups_dir.glob("*.db") if p.is_file()]
    return sorted(found, key=lambda p: (taken_at(p), p.name), reverse=True)


def _auto_backups(backups_dir: Path) -> list[Path]:
    return [p for p in list_backups(backups_dir) if p.name.startswith(AUTO_PREFIX)]


def make_backup(db_path: Path, backups_dir: Path, *, keep: int = KEEP, now: datetime | None = None) -> Path:
    """Copy the database now; drop periodic copies beyond the newest ``keep``.

    Raises :class:`sqlite3.DatabaseError` when the database (or the copy) is
    damaged; nothing is rotated out then.
    """
    backups_dir.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now()).strftime(_STAMP)
    target = backups_dir / f"{AUTO_PREFIX}{stamp}.db"
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest)
            verdict = dest.execute("PRAGMA quick_check").fetchone()[0]
            # A copy must not need the WAL it was made from.
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
    finally:
        source.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise sqlite3.DatabaseError(f"the database failed its check ({verdict}); no backup was made")
    os.chmod(partial, 0o600)  # the index describes private photos
    os.replace(partial, target)
    for old in _auto_backups(backups_dir)[keep:]:
        old.unlink(missing_ok=True)
    return target


def periodic_backup(
    db_path: Path,
    backups_dir: Path,
    *,
    interval: timedelta = PERIODIC_INTERVAL,
    keep: int = KEEP,
    now: datetime | None = None,
) -> Path | None:
    """A new copy if the newest periodic one is older than ``interval``; else None."""
    now = now or datetime.now()
    newest = _auto_backups(backups_dir)
    if newest and now - taken_at(newest[0]) < interval:
        return None
    return make_backup(db_path, backups_dir, keep=keep, now=now)
