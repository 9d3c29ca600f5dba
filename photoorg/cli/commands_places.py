"""`photoorg places`: where the photos were taken."""

from __future__ import annotations

import argparse

from photoorg.cli.commands_core import emit_json, open_library
from photoorg.places.store import places_summary


def cmd_places(args) -> int:
    with open_library(args) as library:
        countries = places_summary(library.db)
    if args.json:
        emit_json([country.as_dict() for country in countries])
        return 0
    if not countries:
        print("No photo with a GPS position has been indexed yet.")
    for country in countries:
        print(f"{country.country} ({country.count})")
        for city in country.cities:
            print(
                f"  {city.city}, {city.region}: {city.count}"
                if city.region
                else f"  {city.city}: {city.count}"
            )
    return 0


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "places",
        parents=[common],
        help="countries and cities where photos were taken",
        description="Countries and their cities, by number of photos, named offline from the photos' GPS.",
    )
    parser.set_defaults(handler=cmd_places)
