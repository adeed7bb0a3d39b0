"""GeoJSON in: the fast path for plain polygons agrees with GEOS's reader, and refuses
what that reader refuses."""

from __future__ import annotations

import json

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from safeground.geometry import GeometryError, from_geojson

position = st.tuples(st.floats(-180, 180), st.floats(-90, 90)).map(list)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(position, min_size=3, max_size=12), min_size=1, max_size=3))
def test_closed_polygons_read_exactly_as_geos_reads_them(rings: list[list[list[float]]]) -> None:
    obj = {"type": "Polygon", "coordinates": [[*ring, ring[0]] for ring in rings]}
    ours = from_geojson(obj)
    theirs = shapely.from_geojson(json.dumps(obj))
    assert shapely.equals_exact(ours, theirs, tolerance=0)
    assert ours.geom_type == "Polygon"


@pytest.mark.parametrize(
    "ring",
    [
        [[0, 0], [1, 0], [1, 1]],  # not closed: never closed quietly
        [[0, 0], [1, 0], [1, "1"], [0, 0]],  # a string where a number belongs
        [[0, 0], [1.5, 0], [1, True], [0, 0]],  # a boolean where a number belongs
        [[0, 0], [1, 0], [1], [0, 0]],  # a position without latitude
    ],
)
def test_malformed_rings_are_refused_not_repaired(ring: list[list[object]]) -> None:
    with pytest.raises(GeometryError):
        from_geojson({"type": "Polygon", "coordinates": [ring]})


def test_a_polygon_with_heights_keeps_them() -> None:
    ring = [[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 0, 5]]
    assert from_geojson({"type": "Polygon", "coordinates": [ring]}).has_z
