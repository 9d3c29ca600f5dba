"""Where recognised text lives, and how it is searched.

Each line is a row of ``photo_text`` (its text, its box in upright full-size
pixels, its confidence). For search, a photo's lines are also kept in two
SQLite FTS5 tables whose rowid is the photo id:

- ``photo_text_words``, tokenised by ``unicode61 remove_diacritics 2``: words
  match whatever their case and accents ("cafe" finds "Café"), and a final
  ``*`` makes a prefix ("lisb*" finds "Lisboa"); ranked by BM25.
- ``photo_text_grams``, tokenised into trigrams over case- and accent-folded
  text: scripts written without spaces (Chinese, Japanese) have no words for
  unicode61 to split on, so they are matched as substrings instead.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, text
from sqlalchemy.orm import Session

from photoorg.search.folding import fold
from photoorg.store.schema import Photo

#: characters of scripts written without spaces between words
_NO_SPACES = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORD = re.compile(r"\w+", re.UNICODE)
#: a query word this short is matched exactly, never as a prefix ("a*" matches everything)
MIN_PREFIX = 3


@dataclass(frozen=True)
class StoredLine:
    text: str
    box: tuple[int, int, int, int]
    confidence: float

    def as_dict(self) -> dict:
        return {"text": self.text, "box": list(self.box), "confidence": round(self.confidence, 3)}


def create_tables(con: sqlite3.Connection) -> None:
    """Migration 1 of the text capability."""
    # One statement at a time: executescript would commit the migration's
    # transaction halfway.
    for statement in _split(
        """
        CREATE TABLE IF NOT EXISTS photo_text (
            id INTEGER PRIMARY KEY,
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            line INTEGER NOT NULL,
            text TEXT NOT NULL,
            x INTEGER NOT NULL, y INTEGER NOT NULL, w INTEGER NOT NULL, h INTEGER NOT NULL,
            confidence REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_photo_text_photo ON photo_text(photo_id);
        CREATE VIRTUAL TABLE IF NOT EXISTS photo_text_words
            USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
        CREATE VIRTUAL TABLE IF NOT EXISTS photo_text_grams USING fts5(text, tokenize = 'trigram');
        """
    ):
        con.execute(statement)


def _split(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]


def save_lines(session: Session, photo_id: int, lines: Sequence[StoredLine]) -> None:
    """Replace a photo's text (a photo analysed again, or changed)."""
    forget(session, photo_id)
    if not lines:
        return
    con = session.connection()
    con.exec_driver_sql(
        "INSERT INTO photo_text (photo_id, line, text, x, y, w, h, confidence) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(photo_id, i, line.text, *line.box, line.confidence) for i, line in enumerate(lines)],
    )
    joined = "\n".join(line.text for line in lines)
    con.exec_driver_sql("INSERT INTO photo_text_words (rowid, text) VALUES (?, ?)", (photo_id, joined))
    con.exec_driver_sql("INSERT INTO photo_text_grams (rowid, text) VALUES (?, ?)", (photo_id, fold(joined)))


def forget(session: Session, photo_id: int) -> None:
    con = session.connection()
    tables = (("photo_text", "photo_id"), ("photo_text_words", "rowid"), ("photo_text_grams", "rowid"))
    for table, key in tables:
        con.exec_driver_sql(f"DELETE FROM {table} WHERE {key} = ?", (photo_id,))


def copy_lines(session: Session, source_id: int, target_id: int) -> None:
    save_lines(session, target_id, photo_lines(session, source_id))


def photo_lines(session: Session, photo_id: int) -> list[StoredLine]:
    rows = session.connection().exec_driver_sql(
        "SELECT text, x, y, w, h, confidence FROM photo_text WHERE photo_id = ? ORDER BY line", (photo_id,)
    )
    return [StoredLine(t, (x, y, w, h), c) for t, x, y, w, h, c in rows]


def photo_text(session: Session, photo_id: int) -> str:
    return "\n".join(line.text for line in photo_lines(session, photo_id))


# -- matching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TextMatch:
    """A compiled text query: an FTS5 MATCH on words, or a folded substring."""

    sql: str
    params: dict


def compile_query(query: str, *, phrase: bool) -> TextMatch | None:
    """``phrase``: the words in this order (``text:"exact words"``); otherwise
    every word anywhere in the photo (a plain search). The last word is a
    prefix when it is long enough, so a query typed halfway already finds."""
    if _NO_SPACES.search(query):
        needle = fold(" ".join(query.split()))
        return TextMatch(
            "SELECT rowid AS photo_id, 0.0 AS rank FROM photo_text_grams WHERE text LIKE :needle ESCAPE '\\'",
            {"needle": "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"},
        )
    words = _WORD.findall(query)
    if not words:
        return None
    prefix = len(words[-1]) >= MIN_PREFIX
    if phrase:
        expression = '"' + " ".join(words) + '"' + (" *" if prefix else "")
    else:
        parts = [f'"{w}"' for w in words]
        if prefix:
            parts[-1] += " *"
        expression = " AND ".join(parts)
    return TextMatch(
        "SELECT rowid AS photo_id, rank FROM photo_text_words WHERE photo_text_words MATCH :expr",
        {"expr": expression},
    )


def text_clause(query: str) -> ColumnElement:
    """Photos whose recognised text contains ``query`` as a phrase (``text:``)."""
    match = compile_query(query, phrase=True)
    if match is None:
        return Photo.id.is_(None)  # an empty text: filter matches nothing, never everything
    return Photo.id.in_(text(f"SELECT photo_id FROM ({match.sql})").bindparams(**match.params))


def ranked_photo_ids(session: Session, query: str, *, limit: int, phrase: bool = False) -> list[int]:
    """Photos whose text holds every word of ``query``, best first (BM25)."""
    match = compile_query(query, phrase=phrase)
    if match is None:
        return []
    rows = session.execute(
        text(f"{match.sql} ORDER BY rank LIMIT :limit").bindparams(**match.params, limit=limit)
    )
    return [row[0] for row in rows]


def photos_with_text(session: Session, ids: Iterable[int]) -> set[int]:
    ids = list(ids)
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    rows = session.connection().exec_driver_sql(
        f"SELECT DISTINCT photo_id FROM photo_text WHERE photo_id IN ({marks})", ids
    )
    return {row[0] for row in rows}
