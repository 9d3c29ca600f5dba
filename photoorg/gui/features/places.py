"""Places in the app: a sidebar section (the map, then countries and their
cities, with counts), the map page, the grid of a place or of a map cluster,
and the place in the details panel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from photoorg.gui.details import section_box
from photoorg.gui.extension import AppContext
from photoorg.gui.features.map_view import Cluster, MapPage
from photoorg.gui.sidebar import Scope, SidebarEntry
from photoorg.library import Library
from photoorg.places.store import places_summary
from photoorg.search.filters import SearchFilters

MAP = "map"
PLACE = "place"
AREA = "area"


def place_entries(library: Library) -> list[SidebarEntry]:
    countries = places_summary(library.db)
    if not countries:
        return []
    total = sum(c.count for c in countries)
    entries = [SidebarEntry("Map", Scope(MAP, None, "Map"), total, "map-pin")]
    for country in countries:
        cities = [
            SidebarEntry(
                city.city,
                Scope(PLACE, city.city, f"{city.city}, {country.country}"),
                city.count,
                tooltip=", ".join(p for p in (city.city, city.region, country.country) if p),
            )
            for city in country.cities
        ]
        entries.append(
            SidebarEntry(
                country.country, Scope(PLACE, country.country, country.country), country.count, None, cities
            )
        )
    return entries


def place_section(details: dict) -> QWidget | None:
    place = details.get("place")
    if not place:
        return None
    box, layout = section_box("Place")
    gps = details.get("gps") or {}
    name = ", ".join(p for p in (place.get("city"), place.get("region"), place.get("country")) if p)
    label = QLabel(name)
    label.setWordWrap(True)
    if gps.get("lat") is not None:
        # The coordinates are one hover (and one selection) away.
        label.setToolTip(f"{gps['lat']:.5f}, {gps['lon']:.5f}")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    layout.addWidget(label)
    return box


class PlacesGui:
    """Places and the map, installed through the extension interface."""

    def install(self, ctx: AppContext) -> None:
        self.ctx = ctx
        ctx.add_sidebar_section("places", "Places", place_entries, order=45)
        ctx.add_scope_filter(PLACE, lambda scope: SearchFilters(extra={"place": scope.value}))
        ctx.add_scope_filter(AREA, lambda scope: SearchFilters(extra={"area": scope.value}))
        self.map_page = MapPage(ctx, self._show_cluster)
        ctx.add_page(MAP, self.map_page)
        ctx.add_details_section(place_section)

    def _show_cluster(self, cluster: Cluster) -> None:
        south, west, north, east = cluster.bounds
        pad = 1e-4  # the box of a single photo is a point: give it a little room
        bounds = (south - pad, west - pad, north + pad, east + pad)
        count = f"{cluster.count} photo{'s' if cluster.count != 1 else ''}"
        self.ctx.show_scope(Scope(AREA, bounds, f"On the map · {count}"))
