"""Raw facts from geometry: distances in metres, never degrees."""

from __future__ import annotations

import math

from shapely.geometry import Point

from safeground.priority.criteria import Distances
from safeground.priority.facts import AreaInput, Surroundings, area_facts
from tests.conftest import ORIGIN, box


def _east(metres: float) -> Point:
    lon, lat = ORIGIN
    return Point(lon + metres / (111_320.0 * math.cos(math.radians(lat))), lat + 50 / 111_320.0)


def test_buildings_count_within_the_distance_in_metres_east_west_as_north_south() -> None:
    # At 50 N a degree of longitude is ~71 km: a distance measured in degrees would
    # count the building 1,300 m east as nearer than the one 1,100 m north.
    area = AreaInput("HA-1", box(0, 0, 100, 100), "SHA", "forest")
    lon, lat = ORIGIN
    north_1100 = Point(lon + 50 / (111_320.0 * math.cos(math.radians(lat))), lat + 1200 / 111_320.0)
    around = Surroundings(buildings=[_east(1000), _east(1300), north_1100])
    facts = area_facts([area], around, Distances(people_m=1000.0))[0]
    assert facts.values["people"] == 1.0  # only the one 900 m east of the area's edge


def test_facts_hold_blockages_assets_waiting_incidents_and_attributes() -> None:
    area = AreaInput("HA-1", box(0, 0, 100, 100), "CHA", "agriculture", "road to school; well")
    around = Surroundings(
        infrastructure=[box(150, 0, 300, 10)],  # 50 m away
        waiting=[box(90, 90, 20, 20), box(5_000, 0, 10, 10)],
        incidents=[_east(1_500), _east(10_000)],
    )
    v = area_facts([area], around, Distances(accidents_m=2000, infrastructure_m=100))[0].values
    assert v["infrastructure"] == 3.0  # two recorded blockages + one road within 100 m
    assert v["reconstruction"] == 1.0
    assert v["accidents"] == 1.0
    assert v["agriculture"] == "agriculture" and v["evidence"] == "CHA"
    assert v["predicted_risk"] is None
