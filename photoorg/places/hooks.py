"""How the places capability plugs into the core (see :func:`photoorg.places.register`)."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy.orm import Session

from photoorg.places.store import (
    area_clause,
    name_places,
    photo_place,
    photos_at_places_named_in,
    place_clause,
)
from photoorg.store.schema import Photo


def naming_places(library):
    def step(token):
        yield from name_places(library.db, token)

    return step


def place_key(value: str, negated: bool) -> dict | None:
    if negated or not value.strip():
        return None
    return {"extra": {"place": value}}


def place_filter(filters) -> Any:
    """``place:`` (a name), and ``area`` (a box on the map, set by the app)."""
    value, area = filters.extra.get("place"), filters.extra.get("area")
    if value and area:
        return place_clause(value) & area_clause(area)
    if area:
        return area_clause(area)
    return place_clause(value) if value else None


def rank_by_place(session: Session, query: str, limit: int) -> list[int]:
    return photos_at_places_named_in(session, query, limit=limit)


def place_details(session: Session, photo: Photo) -> dict:
    place = photo_place(session, photo.id)
    return {"place": place.as_dict() if place else None}


def add_commands(subparsers: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    from photoorg.cli import commands_places

    commands_places.register(subparsers, common)
