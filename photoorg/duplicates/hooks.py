"""How the duplicates capability plugs into the core (registered by
:func:`photoorg.duplicates.register`)."""

from __future__ import annotations

import argparse
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, not_, text
from sqlalchemy.orm import Session

from photoorg.duplicates.quality import BLURRY_BELOW, DARK_CLIPPED, DARK_MEAN
from photoorg.duplicates.stage import STAGE_NAME, VERSION
from photoorg.extensions.after_index import AfterIndexStep
from photoorg.extensions.query_keys import FilterUpdate
from photoorg.pipeline.stages import StageSpec
from photoorg.progress import CancelToken, Progress
from photoorg.store.schema import Photo

if TYPE_CHECKING:
    from photoorg.library import Library, MlOptions
    from photoorg.search.filters import SearchFilters

#: a library setting: False turns the stage and the grouping off
ENABLED_SETTING = "duplicates.enabled"
#: the key in SearchFilters.extra: {"blurry": True, "dark": False} (False: negated)
FILTER_KEY = "duplicates"

_CONDITIONS = {
    "blurry": f"sharpness < {BLURRY_BELOW}",
    "dark": f"(brightness < {DARK_MEAN} OR shadows > {DARK_CLIPPED})",
}


def enabled(library: Library) -> bool:
    return bool(library.db.get_setting(ENABLED_SETTING, True))


def stage_specs(library: Library, options: MlOptions, context) -> list[StageSpec]:
    if not enabled(library):
        return []

    def load():
        from photoorg.duplicates.stage import DuplicatesStage

        return DuplicatesStage()

    return [StageSpec(STAGE_NAME, VERSION, load)]


def stage_version(library: Library) -> str | None:
    return VERSION if enabled(library) else None


def grouping_step(library: Library) -> AfterIndexStep:
    def step(token: CancelToken) -> Generator[Progress, None, object]:
        if not enabled(library):
            return None
        from photoorg.duplicates.analysis import regroup

        return (yield from regroup(library.db, token))

    return step


def _is_value(name: str):
    def handler(value: str, negated: bool) -> FilterUpdate:
        return {"extra": {FILTER_KEY: {name: not negated}}}

    return handler


is_blurry = _is_value("blurry")
is_dark = _is_value("dark")


def quality_filter(filters: SearchFilters) -> ColumnElement[bool] | None:
    wanted = filters.extra.get(FILTER_KEY)
    if not wanted:
        return None
    clauses = []
    for name, positive in wanted.items():
        sql = f"SELECT photo_id FROM dup_fingerprints WHERE {_CONDITIONS[name]}"
        clauses.append(Photo.id.in_(text(sql)) if positive else not_(Photo.id.in_(text(sql))))
    return and_(*clauses)


def details(session: Session, photo: Photo) -> dict:
    from photoorg.duplicates.store import quality_of

    q = quality_of(session, photo.id)
    out: dict[str, Any] = {}
    if q is not None:
        out["quality"] = {
            "sharpness": q.sharpness,
            "noise": q.noise,
            "highlights": q.highlights,
            "shadows": q.shadows,
            "brightness": q.brightness,
            "blurry": q.blurry,
            "dark": q.dark,
        }
    row = (
        session.connection()
        .exec_driver_sql(
            "SELECT g.kind, m.keep, m.why, (SELECT COUNT(*) FROM dup_members o WHERE o.group_id = g.id) "
            "FROM dup_members m JOIN dup_groups g ON g.id = m.group_id WHERE m.photo_id = ?",
            (photo.id,),
        )
        .first()
    )
    if row is not None:
        out["duplicates"] = {"kind": row[0], "keep": bool(row[1]), "why": row[2], "group_size": row[3]}
    return out


def add_commands(subparsers: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    # lazy: only the command line builds a parser
    from photoorg.cli import commands_duplicates

    commands_duplicates.register(subparsers, common)
