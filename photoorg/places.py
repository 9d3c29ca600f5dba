"""Place names from GPS, offline (the reverse_geocode gazetteer): what the
details panel shows instead of bare coordinates.

Only towns of at least ``MIN_POPULATION`` are named, so a photo taken in a
suburb says "Rome, Italy", the city people know, not the nearest hamlet.
"""

from __future__ import annotations

from functools import lru_cache

MIN_POPULATION = 100_000


def place(lat: float, lon: float) -> dict | None:
    """``{"city": "Rome", "country": "Italy", "name": "Rome, Italy"}``, or None
    when the gazetteer is missing or the coordinates are not valid."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    # Rounded to ~100 m: nearby photos share a lookup.
    return _lookup(round(lat, 3), round(lon, 3))


@lru_cache(maxsize=4096)
def _lookup(lat: float, lon: float) -> dict | None:
    try:
        import reverse_geocode
    except ImportError:
        return None
    found = reverse_geocode.get((lat, lon), min_population=MIN_POPULATION)
    city, country = found.get("city"), found.get("country")
    name = ", ".join(part for part in (city, country) if part)
    return {"city": city, "country": country, "name": name} if name else None
