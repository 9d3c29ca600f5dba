"""Builds resources/maps/countries-110m.json, the offline basemap of the map
view, from world-atlas's TopoJSON (`npm pack world-atlas@2`: Natural Earth
1:110m admin-0 countries, public domain; world-atlas itself is ISC).

    python packaging/make_basemap.py package/countries-110m.json resources/maps/countries-110m.json

The output is plain JSON: {"source", "licence", "countries": [{"name", "rings": [[[lon, lat], ...]]}]},
coordinates rounded to 0.01° (about 1 km: far below a pixel of the world map).
"""

from __future__ import annotations

import json
import sys


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    scale = topology["transform"]["scale"]
    translate = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((round(x * scale[0] + translate[0], 2), round(y * scale[1] + translate[1], 2)))
        arcs.append(points)
    return arcs


def ring(arcs: list, indices: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def main(source: str, target: str) -> None:
    with open(source, encoding="utf-8") as handle:
        topology = json.load(handle)
    arcs = decode_arcs(topology)
    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = geometry.get("arcs", [])
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        rings = [ring(arcs, part) for polygon in polygons for part in polygon[:1]]  # outer rings only
        countries.append({"name": geometry.get("properties", {}).get("name", ""), "rings": rings})
    out = {
        "source": "Natural Earth 1:110m admin-0 countries v4.1.0, via world-atlas 2.0.2",
        "licence": "public domain (Natural Earth); world-atlas packaging ISC",
        "countries": countries,
    }
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(out, handle, separators=(",", ":"), ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
