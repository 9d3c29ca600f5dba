"""Places in the app: a sidebar section (the map, then countries and their
cities, with counts), the map page, the grid of a place or of a map cluster.
The details panel names a photo's place itself (:func:`photoorg.gui.details.detail_rows`)."""

from __future__ import annotations

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


class PlacesGui:
    """Places and the map, installed through the extension interface."""

    def install(self, ctx: AppContext) -> None:
        self.ctx = ctx
        ctx.add_sidebar_section("places", "Places", place_entries, order=30)
        ctx.add_scope_filter(PLACE, lambda scope: SearchFilters(extra={"place": scope.value}))
        ctx.add_scope_filter(AREA, lambda scope: SearchFilters(extra={"area": scope.value}))
        self.map_page = MapPage(ctx, self._show_cluster)
        ctx.add_page(MAP, self.map_page)

    def _show_cluster(self, cluster: Cluster) -> None:
        south, west, north, east = cluster.bounds
        pad = 1e-4  # the box of a single photo is a point: give it a little room
        bounds = (south - pad, west - pad, north + pad, east + pad)
        count = f"{cluster.count} photo{'s' if cluster.count != 1 else ''}"
        self.ctx.show_scope(Scope(AREA, bounds, f"On the map · {count}"))
