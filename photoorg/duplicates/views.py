"""The groups as plain data for the front ends: the ``--json`` shape of
``photoorg duplicates`` and the richer rows the Duplicates page compares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from photoorg.duplicates import store
from photoorg.duplicates.quality import BLURRY_BELOW, DARK_CLIPPED, DARK_MEAN
from photoorg.store.db import Database

#: a file written this long after its capture time was edited or exported later
EDITED_AFTER_SECONDS = 120


@dataclass(frozen=True)
class MemberView:
    id: int
    path: str
    content_hash: str | None
    folder: str
    width: int
    height: int
    size: int
    format: str | None
    date: datetime
    modified: datetime
    edited: bool
    score: float
    keep: bool
    why: str


@dataclass(frozen=True)
class GroupView:
    kind: str
    photos: tuple[MemberView, ...]  # best first

    @property
    def ids(self) -> list[int]:
        return [p.id for p in self.photos]

    @property
    def keeper(self) -> MemberView:
        return next(p for p in self.photos if p.keep)

    def as_json(self) -> dict:
        """The documented shape: kind, and per photo path, score, keep, why."""
        return {
            "kind": self.kind,
            "photos": [{"path": p.path, "score": p.score, "keep": p.keep, "why": p.why} for p in self.photos],
        }

    def as_dict(self) -> dict:
        return {"kind": self.kind, "photos": [asdict(p) for p in self.photos]}


def group_views(
    db: Database, kinds: Sequence[str] = (store.KIND_EXACT, store.KIND_NEAR, store.KIND_BURST)
) -> list[GroupView]:
    with db.session() as s:
        groups = store.load_groups(s, kinds)
        ids = sorted({m.photo_id for g in groups for m in g.members})
        rows: dict[int, tuple] = {}
        con = s.connection()
        for lo in range(0, len(ids), 500):
            part = ids[lo : lo + 500]
            marks = ",".join("?" * len(part))
            for row in con.exec_driver_sql(
                "SELECT id, path, content_hash, folder, width, height, size, format, date, mtime_ns, "
                "taken_at "
                f"FROM photos WHERE id IN ({marks})",
                tuple(part),
            ):
                rows[row[0]] = row
    views = []
    for g in groups:
        members = []
        for m in g.members:
            pid, path, digest, folder, width, height, size, fmt, date, mtime_ns, taken = rows[m.photo_id]
            modified = datetime.fromtimestamp(mtime_ns / 1e9)
            taken_at = _dt(taken) if taken else None
            edited = taken_at is not None and (modified - taken_at).total_seconds() > EDITED_AFTER_SECONDS
            members.append(
                MemberView(
                    pid,
                    path,
                    digest,
                    folder,
                    width or 0,
                    height or 0,
                    size,
                    fmt,
                    _dt(date),
                    modified,
                    edited,
                    m.score,
                    m.keep,
                    m.why,
                )
            )
        views.append(GroupView(g.kind, tuple(members)))
    return views


def _dt(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"  # pragma: no cover - the loop returns at GB


def confirmation_text(files: int, size: int) -> str:
    """The one question asked before a clean-up: the count and the space freed."""
    return (
        f"Move {files} photo(s) to the system trash, freeing {human_size(size)}? "
        "You can restore them from the trash."
    )


def clean_up_counts(db: Database) -> dict[str, int]:
    """For the sidebar: duplicate groups, bursts, blurry and dark photos."""
    with db.session() as s:
        con = s.connection()
        groups = dict(
            con.exec_driver_sql(
                "SELECT g.kind, COUNT(*) FROM dup_groups g WHERE (SELECT COUNT(*) FROM dup_members m "
                "JOIN photos p ON p.id = m.photo_id WHERE m.group_id = g.id AND p.missing_since IS NULL) > 1 "
                "GROUP BY g.kind"
            ).all()
        )
        visible = "JOIN photos p ON p.id = f.photo_id WHERE p.missing_since IS NULL AND p.state = 'ok' AND "
        blurry = con.exec_driver_sql(
            f"SELECT COUNT(*) FROM dup_fingerprints f {visible} f.sharpness < ?", (BLURRY_BELOW,)
        ).scalar()
        dark = con.exec_driver_sql(
            f"SELECT COUNT(*) FROM dup_fingerprints f {visible} (f.brightness < ? OR f.shadows > ?)",
            (DARK_MEAN, DARK_CLIPPED),
        ).scalar()
    return {
        "duplicates": groups.get(store.KIND_EXACT, 0) + groups.get(store.KIND_NEAR, 0),
        "bursts": groups.get(store.KIND_BURST, 0),
        "blurry": blurry or 0,
        "dark": dark or 0,
    }


def burst_stacks(db: Database, photo_ids: Sequence[int]) -> dict[int, list[int]]:
    """The bursts among these photos, as {best shot: [members, best first]}."""
    shown = set(photo_ids)
    with db.session() as s:
        groups = store.load_groups(s, (store.KIND_BURST,))
    stacks = {}
    for g in groups:
        members = [m.photo_id for m in g.members if m.photo_id in shown]
        if len(members) > 1:
            stacks[members[0]] = members
    return stacks
