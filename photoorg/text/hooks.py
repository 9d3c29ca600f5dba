"""How the text capability plugs into the core: each function here is
registered by :func:`photoorg.text.register`."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from photoorg.pipeline.stages import StageSpec
from photoorg.store.db import Database
from photoorg.store.schema import TAG_ON, Photo, PhotoTag, Tag
from photoorg.text.stage import STAGE_NAME, VERSION
from photoorg.text.store import photo_lines, ranked_photo_ids, text_clause

#: a library setting: False turns the text stage off (nothing is read, the text
#: already read stays searchable)
ENABLED_SETTING = "text.enabled"
#: PhotoTag.source of the tags the text's layout gives (screenshot, document, receipt)
TAG_SOURCE_TEXT = "text"
KIND_TAGS = ("screenshot", "document", "receipt")


def enabled(db: Database) -> bool:
    return bool(db.get_setting(ENABLED_SETTING, True))


def text_stages(library, options, context) -> list[StageSpec]:
    if not enabled(library.db):
        return []

    def load():
        from photoorg.tags.vocabulary import ensure_vocabulary
        from photoorg.text.ocr import OcrEngine
        from photoorg.text.stage import TextStage

        ensure_vocabulary(library.db)
        with library.db.session() as s:
            tag_ids = dict(s.execute(select(Tag.name, Tag.id).where(Tag.name.in_(KIND_TAGS))).all())
        return TextStage(
            OcrEngine(threads=1), on_kinds=lambda s, pid, kinds: save_kinds(s, pid, kinds, tag_ids)
        )

    return [StageSpec(STAGE_NAME, VERSION, load)]


def stage_version(library) -> str | None:
    return VERSION if enabled(library.db) else None


def save_kinds(session: Session, photo_id: int, kinds: dict[str, float], tag_ids: dict[str, int]) -> None:
    session.execute(delete(PhotoTag).where(PhotoTag.photo_id == photo_id, PhotoTag.source == TAG_SOURCE_TEXT))
    now = datetime.now()
    for kind, confidence in kinds.items():
        if kind in tag_ids:
            session.add(
                PhotoTag(
                    photo_id=photo_id,
                    tag_id=tag_ids[kind],
                    source=TAG_SOURCE_TEXT,
                    confidence=confidence,
                    state=TAG_ON,
                    updated_at=now,
                )
            )


def text_key(value: str, negated: bool) -> dict | None:
    if negated or not value.strip():
        return None
    return {"extra": {"text": value}}


def text_filter(filters) -> Any:
    value = filters.extra.get("text")
    return text_clause(value) if value else None


def rank_by_text(session: Session, query: str, limit: int) -> list[int]:
    return ranked_photo_ids(session, query, limit=limit)


def text_details(session: Session, photo: Photo) -> dict:
    return {"text": [line.as_dict() for line in photo_lines(session, photo.id)]}


def add_commands(subparsers: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    # lazy: only the command line builds a parser
    from photoorg.cli import commands_text

    commands_text.register(subparsers, common)
