"""Naming the place of a GPS position, offline, on known points."""

from __future__ import annotations

import pytest

from photoorg.places.geocode import place_of, reach_km

# (latitude, longitude) -> (city, country code). Chosen to cover every
# continent, suburbs that must name their city, towns at a big city's edge that
# must keep their own name, points a few km from a border (the city across it
# must not win), coastal and island points.
KNOWN_POINTS = {
    "Vanves, a Paris suburb": ((48.8219, 2.2900), ("Paris", "FR")),
    "Eiffel Tower": ((48.8584, 2.2945), ("Paris", "FR")),
    "Versailles, at Paris's edge": ((48.8049, 2.1204), ("Versailles", "FR")),
    "Westminster": ((51.5007, -0.1246), ("London", "GB")),
    "Midtown Manhattan": ((40.7484, -73.9857), ("New York City", "US")),
    "Tokyo Tower": ((35.6586, 139.7454), ("Tokyo", "JP")),
    "Shibuya": ((35.6595, 139.7005), ("Tokyo", "JP")),
    "Sydney Opera House (harbour)": ((-33.8568, 151.2153), ("Sydney", "AU")),
    "Bondi Beach (coast)": ((-33.8915, 151.2767), ("Sydney", "AU")),
    "Corcovado": ((-22.9519, -43.2105), ("Rio de Janeiro", "BR")),
    "Copacabana (coast)": ((-22.9711, -43.1822), ("Rio de Janeiro", "BR")),
    "Cape Town": ((-33.9249, 18.4241), ("Cape Town", "ZA")),
    "Colosseum": ((41.8902, 12.4922), ("Rome", "IT")),
    # Nearer the Vatican's centre than Rome's, but the enclave does not reach it:
    "Piazza Venezia, 2 km from the Vatican": ((41.8986, 12.4769), ("Rome", "IT")),
    "St Peter's Square": ((41.9022, 12.4539), ("Vatican City", "VA")),
    "Brandenburg Gate": ((52.5163, 13.3777), ("Berlin", "DE")),
    "Red Square": ((55.7539, 37.6208), ("Moscow", "RU")),
    "Beijing": ((39.9042, 116.4074), ("Beijing", "CN")),
    "Gateway of India (coast)": ((18.9220, 72.8347), ("Mumbai", "IN")),
    "Zócalo": ((19.4326, -99.1332), ("Mexico City", "MX")),
    "Buenos Aires": ((-34.6037, -58.3816), ("Buenos Aires", "AR")),
    "Nairobi": ((-1.2921, 36.8219), ("Nairobi", "KE")),
    "Reykjavík (coast)": ((64.1466, -21.9426), ("Reykjavík", "IS")),
    "Anchorage": ((61.2181, -149.9003), ("Anchorage", "US")),
    "Golden Gate Bridge": ((37.8199, -122.4783), ("San Francisco", "US")),
    "Santa Monica pier, at LA's edge": ((34.0095, -118.4970), ("Santa Monica", "US")),
    "Waikiki (island coast)": ((21.2793, -157.8292), ("Honolulu", "US")),
    "Singapore": ((1.2868, 103.8545), ("Singapore", "SG")),
    "Hong Kong": ((22.2855, 114.1577), ("Hong Kong", "HK")),
    "Istanbul": ((41.0082, 28.9784), ("Istanbul", "TR")),
    "Valparaíso (coast)": ((-33.0472, -71.6127), ("Valparaíso", "CL")),
    "Arezzo": ((43.4633, 11.8796), ("Arezzo", "IT")),
    "Nice promenade (coast)": ((43.6950, 7.2650), ("Nice", "FR")),
    "Lisbon Baixa": ((38.7107, -9.1366), ("Lisbon", "PT")),
    # near borders: the city across must not take the point
    "El Paso, 3 km from Ciudad Juárez": ((31.7619, -106.4850), ("El Paso", "US")),
    "Kehl, across the Rhine from Strasbourg": ((48.5727, 7.8156), ("Kehl", "DE")),
    "Strasbourg": ((48.5734, 7.7521), ("Strasbourg", "FR")),
    "Geneva, 4 km from France": ((46.2044, 6.1432), ("Genève", "CH")),
    "Basel, at the French and German borders": ((47.5596, 7.5886), ("Basel", "CH")),
    "Tijuana, at the US border": ((32.5149, -117.0382), ("Tijuana", "MX")),
    "Niagara Falls, Ontario": ((43.0896, -79.0849), ("Niagara Falls", "CA")),
    "Malmö, across the strait from Copenhagen": ((55.6050, 13.0038), ("Malmö", "SE")),
    "Gibraltar, at the Spanish border": ((36.1408, -5.3536), ("Gibraltar", "GI")),
}


@pytest.mark.parametrize("name", list(KNOWN_POINTS))
def test_known_points_name_the_city_people_know(name):
    (lat, lon), (city, code) = KNOWN_POINTS[name]
    place = place_of(lat, lon)
    assert place is not None
    assert (place.city, place.country_code) == (city, code)
    assert place.country  # a full country name, not only the code


def test_places_name_region_and_country():
    place = place_of(48.8219, 2.2900)
    assert place.as_dict() == {
        "city": "Paris",
        "region": "Île-de-France",
        "country": "France",
        "country_code": "FR",
    }
    assert place.label == "Paris, France"


@pytest.mark.parametrize("point", [(0.0, 0.0), (91.0, 0.0), (10.0, 200.0), (float("nan"), 3.0)])
def test_no_place_for_impossible_or_empty_positions(point):
    assert place_of(*point) is None


def test_a_point_at_sea_names_the_nearest_land():
    place = place_of(30.0, -40.0)  # mid-Atlantic: the nearest islands (Azores)
    assert place is not None and place.country_code == "PT"


def test_reach_grows_with_population_and_has_a_floor():
    assert reach_km(0) == 1.5
    assert reach_km(2_000_000) > reach_km(100_000) > 1.5
