"""What the XMP capability plugs into the core (registered by
:func:`photoorg.xmp.register`): reading XMP after each index run (and writing
what is queued), the ``xmp`` part of ``photoorg show``, the ``label:`` filter,
and writing what a CLI command changed when its library closes."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from photoorg.errors import PhotoorgError
from photoorg.extensions.after_index import AfterIndexStep
from photoorg.extensions.query_keys import FilterUpdate
from photoorg.progress import CancelToken, Progress
from photoorg.search.filters import SearchFilters
from photoorg.store.schema import Photo
from photoorg.xmp import store
from photoorg.xmp.sync import XmpReport, import_photos, run_to_end, select_photos, write_pending

if TYPE_CHECKING:
    from photoorg.library import Library

log = logging.getLogger(__name__)


def import_after_index(library: Library) -> AfterIndexStep:
    """After the faces are clustered: read new and changed XMP, then write
    what the user changed since the last write (when write-back is on)."""

    def step(token: CancelToken) -> Generator[Progress, None, XmpReport]:
        report = yield from import_photos(library.db, select_photos(library.db), token=token)
        written = yield from write_pending(library.db, token)
        report.written, report.failed = written.written, {**report.failed, **written.failed}
        return report

    return step


def _maybe_pending(database: Path) -> bool:
    """Whether photos wait to be written, read without writing or creating any
    file, so a command that changed nothing (``status``) leaves the library's
    files exactly as it found them: a connection of ours closing last would
    otherwise checkpoint the WAL, or make a new one. Without a WAL file every
    change is in the database file itself, which is then read as immutable."""
    wal = database.with_name(database.name + "-wal")
    mode = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    try:
        con = sqlite3.connect(f"file:{quote(str(database))}?{mode}", uri=True, timeout=30)
        try:
            return con.execute("SELECT 1 FROM xmp_pending LIMIT 1").fetchone() is not None
        finally:
            con.close()
    except sqlite3.Error:
        return True  # can't tell: the writer looks, and says what it can't do


def write_pending_on_close(library: Library) -> None:
    if library.db.read_only or not _maybe_pending(library.paths.database):
        return
    try:
        run_to_end(write_pending(library.db))
    except (PhotoorgError, OSError, SQLAlchemyError, sqlite3.Error) as exc:
        # Closing must finish; the photo is written with its next change, or by `xmp export`.
        log.warning("XMP write-back did not finish: %s", exc)


def xmp_details(session: Session, photo: Photo) -> dict:
    state = store.load_states(session, [photo.id]).get(photo.id)
    if state is None:
        return {"xmp": None}
    return {
        "xmp": {
            "sidecar": state.sidecar,
            "label": state.label,
            "regions": state.regions,
            "error": state.error,
        }
    }


def label_key(value: str, negated: bool) -> FilterUpdate:
    """``label:red``: photos with that XMP label (Lightroom's colour labels)."""
    return {"extra": {"xmp_label_not" if negated else "xmp_label": value.casefold()}}


def _labelled(value: str):
    return select(store.xmp_photos.c.photo_id).where(func.lower(store.xmp_photos.c.label) == value)


def label_clause(search_filters: SearchFilters) -> ColumnElement[bool] | None:
    wanted, unwanted = search_filters.extra.get("xmp_label"), search_filters.extra.get("xmp_label_not")
    clauses = []
    if wanted:
        clauses.append(Photo.id.in_(_labelled(wanted)))
    if unwanted:
        clauses.append(Photo.id.not_in(_labelled(unwanted)))
    return and_(*clauses) if clauses else None
