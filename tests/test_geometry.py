"""GeoJSON in: the fast path for plain polygons agrees with GEOS's reader, and refuses
what that reader refuses. The array forms of measuring and writing GeoJSON agree with the
one-geometry forms."""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from safeground import geometry as geo
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


_coordinate = st.one_of(st.floats(-200, 200), st.sampled_from([math.nan, math.inf, -math.inf]))


def _ring(corners: list[tuple[float, float]]) -> shapely.Polygon | None:
    with warnings.catch_warnings():  # GEOS warns of the NaN corners that the test wants
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return shapely.Polygon(corners)
        except shapely.errors.GEOSException:  # a NaN first corner: GEOS cannot close it
            return None


_shapes = st.one_of(
    st.none(),
    st.just(shapely.Polygon()),
    st.builds(lambda x, y: shapely.Point(x, y), _coordinate, _coordinate),
    # rings of 3 to 6 corners anywhere on (or off) the globe: valid, bow-ties, degenerate
    st.lists(st.tuples(_coordinate, _coordinate), min_size=3, max_size=6).map(_ring),
    st.builds(
        lambda lon, lat, w, h: geo.rectangle(lon, lat, w, h),
        st.floats(-179.9, 179.0),
        st.floats(-89.0, 89.0),
        st.floats(1, 5_000),
        st.floats(1, 5_000),
    ),
    st.builds(
        lambda lon, lat: shapely.MultiPolygon(
            [geo.rectangle(lon, lat, 100, 100), geo.rectangle(lon + 0.01, lat, 100, 100)]
        ),
        st.floats(-179.0, 179.0),
        st.floats(-85.0, 85.0),
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_shapes, max_size=12))
def test_measuring_many_gives_what_measuring_each_gives(shapes: list[Any]) -> None:
    many = geo.measure_many(shapes)
    assert len(many) == len(shapes)
    for shape, got in zip(shapes, many, strict=True):
        try:
            expected: geo.Measured | str = geo.measure(shape)
        except geo.GeometryError as exc:
            expected = str(exc)
        if isinstance(expected, str):
            assert isinstance(got, geo.GeometryError) and str(got) == expected
        else:
            assert isinstance(got, geo.Measured)
            assert got.geometry.equals_exact(expected.geometry, 0)
            assert got.geometry.geom_type == "MultiPolygon"
            assert (got.epsg, got.area_m2) == (expected.epsg, expected.area_m2)


@settings(max_examples=100, deadline=None)
@given(st.lists(_shapes.filter(lambda g: g is not None), max_size=8))
def test_geojson_written_at_once_reads_back_to_the_same_coordinates(shapes: list[Any]) -> None:
    for shape, written in zip(shapes, geo.to_geojson_many(shapes), strict=True):
        one = json.loads(json.dumps(geo.to_geojson(shape)))
        assert written == one
        if not shape.is_empty and np.isfinite(shapely.get_coordinates(shape)).all():
            assert shapely.from_geojson(json.dumps(written)).equals_exact(shape, 0)
