"""Each photo's place (city, region, country), kept in ``photo_places``.

Places are named after each index run for photos with GPS and no place yet, or
whose position changed since (the row remembers the position it was named
from). Names are also stored case- and accent-folded, so ``place:sao paulo``
finds "São Paulo" with a plain indexed comparison.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.orm import Session

from photoorg.places.geocode import Place, gazetteer
from photoorg.progress import CancelToken, Progress
from photoorg.search.filters import visible_photos
from photoorg.search.folding import fold
from photoorg.store.db import Database
from photoorg.store.schema import Photo

BATCH = 2000
STAGE = "places"


def create_tables(con: sqlite3.Connection) -> None:
    """Migration 1 of the places capability."""
    # One statement at a time: executescript would commit the migration's
    # transaction halfway.
    for statement in _split(
        """
        CREATE TABLE IF NOT EXISTS photo_places (
            photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
            lat REAL NOT NULL, lon REAL NOT NULL,
            city TEXT NOT NULL, region TEXT NOT NULL, country TEXT NOT NULL, country_code TEXT NOT NULL,
            city_key TEXT NOT NULL, region_key TEXT NOT NULL, country_key TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_photo_places_city ON photo_places(city_key);
        CREATE INDEX IF NOT EXISTS ix_photo_places_region ON photo_places(region_key);
        CREATE INDEX IF NOT EXISTS ix_photo_places_country ON photo_places(country_key);
        """
    ):
        con.execute(statement)


def _split(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]


_UNNAMED = """
    SELECT p.id, p.gps_lat, p.gps_lon FROM photos p LEFT JOIN photo_places pl ON pl.photo_id = p.id
    WHERE p.gps_lat IS NOT NULL AND p.gps_lon IS NOT NULL
      AND (pl.photo_id IS NULL OR pl.lat != p.gps_lat OR pl.lon != p.gps_lon)
    ORDER BY p.id LIMIT ?
"""


def name_places(db: Database, token: CancelToken | None = None) -> Iterator[Progress]:
    """Name the place of every photo that needs it, a committed batch at a time
    (a kill loses at most one batch)."""
    with db.session() as s:
        total = (
            s.connection()
            .exec_driver_sql(
                "SELECT count(*) FROM photos p LEFT JOIN photo_places pl ON pl.photo_id = p.id "
                "WHERE p.gps_lat IS NOT NULL AND p.gps_lon IS NOT NULL "
                "AND (pl.photo_id IS NULL OR pl.lat != p.gps_lat OR pl.lon != p.gps_lon)"
            )
            .scalar_one()
        )
    if not total:
        return
    done = 0
    yield Progress(STAGE, 0, total, message="Naming places")
    while True:
        with db.session() as s:
            rows = s.connection().exec_driver_sql(_UNNAMED, (BATCH,)).all()
            if not rows:
                break
            places = gazetteer().places([(lat, lon) for _, lat, lon in rows])
            s.connection().exec_driver_sql(
                "INSERT OR REPLACE INTO photo_places (photo_id, lat, lon, city, region, country, "
                "country_code, city_key, region_key, country_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_row(photo_id, lat, lon, place) for (photo_id, lat, lon), place in zip(rows, places)],
            )
            s.commit()
        done += len(rows)
        yield Progress(STAGE, min(done, total), total)
        if token is not None:
            token.checkpoint()


def _row(photo_id: int, lat: float, lon: float, place: Place | None) -> tuple:
    # A position no place can be found for (0,0, out of range) still gets a row,
    # with empty names, so it is not looked at again on every run.
    place = place or Place("", "", "", "")
    return (
        photo_id,
        lat,
        lon,
        place.city,
        place.region,
        place.country,
        place.country_code,
        fold(place.city),
        fold(place.region),
        fold(place.country),
    )


def photo_place(session: Session, photo_id: int) -> Place | None:
    row = (
        session.connection()
        .exec_driver_sql(
            "SELECT city, region, country, country_code FROM photo_places WHERE photo_id = ?", (photo_id,)
        )
        .first()
    )
    if row is None or not any(row):
        return None
    return Place(*row)


def place_clause(value: str) -> ColumnElement:
    """``place:Paris``, ``place:"United Kingdom"``, ``place:PT``: the city, the
    region or the country, whatever the case and accents."""
    key = fold(" ".join(value.split()))
    if not key:
        return Photo.id.is_(None)
    return Photo.id.in_(
        text(
            "SELECT photo_id FROM photo_places WHERE city_key = :key OR region_key = :key "
            "OR country_key = :key OR lower(country_code) = :key"
        ).bindparams(key=key)
    )


def area_clause(bounds: tuple[float, float, float, float]) -> ColumnElement:
    """Photos taken inside ``(south, west, north, east)`` degrees: a cluster on
    the map. ``west > east`` crosses the antimeridian."""
    south, west, north, east = bounds
    inside_lat = Photo.gps_lat.between(south, north)
    if west <= east:
        return inside_lat & Photo.gps_lon.between(west, east)
    return inside_lat & ((Photo.gps_lon >= west) | (Photo.gps_lon <= east))


def photo_positions(db: Database) -> list[tuple[int, float, float]]:
    """(photo id, lat, lon) of every visible photo with a position, for the map."""
    with db.session() as s:
        rows = s.execute(
            select(Photo.id, Photo.gps_lat, Photo.gps_lon).where(
                visible_photos(), Photo.gps_lat.is_not(None), Photo.gps_lon.is_not(None)
            )
        ).all()
    return [(pid, lat, lon) for pid, lat, lon in rows if not (lat == 0 and lon == 0)]


@dataclass(frozen=True)
class CityCount:
    city: str
    region: str
    count: int
    cover: str  # the path of the newest photo there


@dataclass(frozen=True)
class CountryCount:
    country: str
    country_code: str
    count: int
    cities: list[CityCount]

    def as_dict(self) -> dict:
        return {
            "country": self.country,
            "country_code": self.country_code,
            "count": self.count,
            "cities": [c.__dict__ for c in self.cities],
        }


def places_summary(db: Database) -> list[CountryCount]:
    """Countries by photo count, each with its cities by photo count."""
    query = """
        SELECT pl.country, pl.country_code, pl.city, pl.region, count(*),
               (SELECT p2.path FROM photo_places pl2 JOIN photos p2 ON p2.id = pl2.photo_id
                 WHERE pl2.city = pl.city AND pl2.country_code = pl.country_code
                   AND p2.state = 'ok' AND p2.missing_since IS NULL
                 ORDER BY p2.date DESC LIMIT 1)
        FROM photo_places pl JOIN photos p ON p.id = pl.photo_id
        WHERE p.state = 'ok' AND p.missing_since IS NULL AND pl.country != ''
        GROUP BY pl.country_code, pl.city
    """
    with db.session() as s:
        rows = s.connection().exec_driver_sql(query).all()
    countries: dict[str, list] = {}
    for country, code, city, region, count, cover in rows:
        countries.setdefault(code, [country, code, []])[2].append(CityCount(city, region, count, cover))
    result = []
    for country, code, cities in countries.values():
        cities.sort(key=lambda c: (-c.count, c.city))
        result.append(CountryCount(country, code, sum(c.count for c in cities), cities))
    result.sort(key=lambda c: (-c.count, c.country))
    return result


def photos_at_places_named_in(session: Session, query: str, *, limit: int) -> list[int]:
    """Photos whose city, region or country is named in a plain query ("beach
    in Lisbon"), newest first: one of the rankings fused into a search."""
    words = fold(query).split()
    if not words:
        return []
    # every run of 1 to 4 words: "rio de janeiro", "united kingdom"
    phrases = {
        " ".join(words[start:end])
        for start in range(len(words))
        for end in range(start + 1, min(len(words), start + 4) + 1)
    }
    phrases = {p for p in phrases if len(p) >= 3}
    if not phrases:
        return []
    marks = ",".join("?" * len(phrases))
    rows = session.connection().exec_driver_sql(
        f"SELECT pl.photo_id FROM photo_places pl JOIN photos p ON p.id = pl.photo_id "
        f"WHERE pl.city_key IN ({marks}) OR pl.region_key IN ({marks}) OR pl.country_key IN ({marks}) "
        f"ORDER BY p.date DESC LIMIT ?",
        (*phrases, *phrases, *phrases, limit),
    )
    return [row[0] for row in rows]
