"""Field coordinates (MGRS, UTM, benchmark and traverse) to WGS84 polygons."""

from __future__ import annotations

import math

import mgrs
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from safeground.geodata.fieldcoords import (
    CSV_COLUMNS,
    FieldCoordsError,
    parse_mgrs,
    polygon_from_traverse,
    polygons_from_rows,
    read_field_polygons,
    utm_to_lonlat,
)
from safeground.geometry import GeometryError, area_m2

GEOD = Geod(ellps="WGS84")
SQUARE = [(90.0, 100.0), (0.0, 100.0), (270.0, 100.0), (180.0, 100.0)]


def geodesic_area_m2(polygon: shapely.Polygon) -> float:
    area, _ = GEOD.geometry_area_perimeter(polygon)
    return abs(float(area))


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def vertices(polygon: shapely.Polygon) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in polygon.exterior.coords[:-1]]


# --- MGRS and UTM -------------------------------------------------------------------------


def test_mgrs_reference_gives_the_centre_of_its_one_metre_square() -> None:
    # 33TUG: zone 33, column U = 300 km east, row G = 600 km (mod 2,000 km) north, and
    # latitude band T puts it at 4,600 km: UTM 33N E 300,000 N 4,600,000.
    lon, lat = parse_mgrs("33TUG0000000000")
    easting, northing = Transformer.from_crs(4326, 32633, always_xy=True).transform(lon, lat)
    assert easting == pytest.approx(300_000.5, abs=0.01)
    assert northing == pytest.approx(4_600_000.5, abs=0.01)


def test_known_position_round_trips_through_mgrs_within_a_metre() -> None:
    reference = mgrs.MGRS().toMGRS(42.77, 13.29, MGRSPrecision=5)
    assert reference == "33TUH6010036692"
    assert distance_m(parse_mgrs(reference), (13.29, 42.77)) < 1.0


def test_mgrs_reference_ignores_case_and_spaces() -> None:
    assert parse_mgrs("33t uh 60100 36692") == parse_mgrs("33TUH6010036692")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("hello", "not an MGRS reference"),
        ("33TUG123", "same number of digits"),
        ("61TUG0000000000", "zone 61"),
        ("ZAA0000000000", "not an MGRS reference"),  # polar (UPS)
        ("33IUG0000", "not an MGRS reference"),  # I is not a latitude band
    ],
)
def test_malformed_mgrs_reference_is_refused_naming_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(GeometryError, match=fragment):
        parse_mgrs(text)


def test_utm_33n_coordinate_converts_near_13_29e_42_77n() -> None:
    # 33TUH 60100 36692 is the MGRS reference of 13.29E 42.77N (GEOTRANS, via the mgrs
    # package, not PROJ): UTM 33N E 360,100 N 4,736,692, the south-west corner of the
    # 1 m square holding the point.
    lon, lat = utm_to_lonlat(33, "N", 360_100.0, 4_736_692.0)
    assert distance_m((lon, lat), (13.29, 42.77)) < 1.5
    assert lon < 13.29 and lat < 42.77  # south-west of the point, as the corner must be


def test_utm_southern_northing_counts_down_from_the_false_northing() -> None:
    # On the central meridian the UTM northing is the meridian arc times 0.9996.
    lon, lat = utm_to_lonlat(33, "S", 500_000.0, 8_000_000.0)
    assert lon == pytest.approx(15.0, abs=1e-9)
    assert lat < 0
    assert distance_m((15.0, 0.0), (lon, lat)) == pytest.approx(2_000_000 / 0.9996, abs=0.01)


@pytest.mark.parametrize(
    ("zone", "hemisphere", "easting", "northing", "fragment"),
    [
        (0, "N", 500_000.0, 4_000_000.0, "zone"),
        (61, "N", 500_000.0, 4_000_000.0, "zone"),
        (33, "T", 500_000.0, 4_000_000.0, "hemisphere"),
        (33, "N", 4_736_692.0, 360_100.0, "swapped"),
        (33, "N", 360_100.0, -5.0, "northing"),
        (33, "N", math.nan, 4_000_000.0, "finite"),
    ],
)
def test_bad_utm_coordinate_is_refused_naming_the_problem(
    zone: int, hemisphere: str, easting: float, northing: float, fragment: str
) -> None:
    with pytest.raises(GeometryError, match=fragment):
        utm_to_lonlat(zone, hemisphere, easting, northing)


# --- traverses ----------------------------------------------------------------------------


def test_traverse_square_closes_within_tolerance() -> None:
    result = polygon_from_traverse(13.29, 42.77, SQUARE)
    assert result.misclosure_m is not None and result.misclosure_m < 0.01
    assert len(vertices(result.polygon)) == 4
    assert vertices(result.polygon)[0] == (13.29, 42.77)
    # Measured in UTM (grid metres: ground area times the scale factor squared, 0.9997 here).
    assert area_m2(result.polygon) == pytest.approx(10_000.0, rel=0.001)
    # On the ground (the ellipsoid) it is the 100 m square the team walked.
    assert geodesic_area_m2(result.polygon) == pytest.approx(10_000.0, abs=0.1)


def test_grid_traverse_scales_ground_distances_to_the_grid() -> None:
    # At 17.9E, 2.9 degrees from zone 33's central meridian, the UTM scale factor is about
    # 1.0008: 100 m on the ground is 100.08 m on the grid. Unscaled, the legs would be
    # 8 cm short on the ground.
    result = polygon_from_traverse(17.9, 0.5, SQUARE)
    _, perimeter = GEOD.geometry_area_perimeter(result.polygon)
    assert perimeter == pytest.approx(400.0, abs=0.005)


def test_grid_north_leg_points_east_of_true_north_east_of_the_central_meridian() -> None:
    # Meridian convergence is about (lon - central meridian) * sin(lat): 2.9 * sin(42.77)
    # = 1.97 degrees, grid north lying east of true north in the northern hemisphere.
    result = polygon_from_traverse(
        17.9, 42.77, [(0.0, 1000.0), (90.0, 1000.0)], returns_to_start=False
    )
    start, north_end = vertices(result.polygon)[:2]
    azimuth = GEOD.inv(*start, *north_end)[0]
    assert azimuth == pytest.approx(2.9 * math.sin(math.radians(42.77)), abs=0.02)


def test_true_north_traverse_lays_legs_out_as_geodesics() -> None:
    result = polygon_from_traverse(
        13.29, 42.77, [(45.0, 250.0), (135.0, 100.0)], returns_to_start=False, north="true"
    )
    first, second, third = vertices(result.polygon)
    azimuth, _, length = GEOD.inv(*first, *second)
    assert azimuth == pytest.approx(45.0, abs=1e-6)
    assert length == pytest.approx(250.0, abs=1e-6)
    assert distance_m(second, third) == pytest.approx(100.0, abs=1e-6)


def test_traverse_reports_a_misclosure_within_tolerance() -> None:
    legs = [*SQUARE[:3], (180.0, 98.0)]  # the last leg stops 2 m short of the start
    result = polygon_from_traverse(13.29, 42.77, legs, close_tolerance_m=5.0)
    assert result.misclosure_m == pytest.approx(2.0, abs=0.01)
    assert len(vertices(result.polygon)) == 4


def test_traverse_refuses_a_misclosure_over_tolerance() -> None:
    legs = [*SQUARE[:3], (180.0, 90.0)]
    with pytest.raises(GeometryError, match=r"does not close.*10\.00 m"):
        polygon_from_traverse(13.29, 42.77, legs, close_tolerance_m=5.0)


def test_open_traverse_is_closed_by_a_straight_edge_without_misclosure() -> None:
    result = polygon_from_traverse(13.29, 42.77, SQUARE[:3], returns_to_start=False)
    assert result.misclosure_m is None
    assert len(vertices(result.polygon)) == 4
    assert geodesic_area_m2(result.polygon) == pytest.approx(10_000.0, abs=0.1)


@pytest.mark.parametrize(
    ("leg", "fragment"),
    [
        ((-1.0, 100.0), "leg 2: bearing -1.0 is outside 0..360"),
        ((360.5, 100.0), "leg 2: bearing 360.5 is outside 0..360"),
        ((math.nan, 100.0), "leg 2: bearing is not a finite number"),
        ((0.0, -3.0), "leg 2: distance -3.0 m is negative"),
        ((0.0, math.inf), "leg 2: distance is not a finite number"),
    ],
)
def test_traverse_refuses_bad_legs_naming_the_leg(leg: tuple[float, float], fragment: str) -> None:
    with pytest.raises(GeometryError, match=fragment):
        polygon_from_traverse(13.29, 42.77, [SQUARE[0], leg, *SQUARE[2:]])


def test_bearing_of_360_is_north() -> None:
    a = polygon_from_traverse(
        13.29, 42.77, [(90.0, 100.0), (360.0, 100.0), (270.0, 100.0)], returns_to_start=False
    )
    b = polygon_from_traverse(
        13.29, 42.77, [(90.0, 100.0), (0.0, 100.0), (270.0, 100.0)], returns_to_start=False
    )
    assert shapely.equals_exact(a.polygon, b.polygon, tolerance=1e-12)


def test_traverse_refuses_fewer_than_three_distinct_turning_points() -> None:
    # Out and back along one line, with zero-length legs adding no vertex.
    legs = [(90.0, 100.0), (0.0, 0.0), (270.0, 100.0)]
    with pytest.raises(GeometryError, match="only 2 distinct turning point"):
        polygon_from_traverse(13.29, 42.77, legs)


def test_zero_length_leg_adds_no_vertex() -> None:
    legs = [(90.0, 100.0), (0.0, 0.0), *SQUARE[1:]]
    assert len(vertices(polygon_from_traverse(13.29, 42.77, legs).polygon)) == 4


def test_collinear_turning_points_are_refused_as_enclosing_no_area() -> None:
    legs = [(90.0, 100.0), (90.0, 100.0), (270.0, 200.0)]
    with pytest.raises(GeometryError, match=r"no area|invalid polygon"):
        polygon_from_traverse(13.29, 42.77, legs, returns_to_start=False)


def test_bowtie_traverse_is_refused_with_shapely_reason() -> None:
    # Corner to corner, down, corner to corner: the two diagonals cross mid-square.
    legs = [(45.0, 141.421356), (180.0, 100.0), (315.0, 141.421356)]
    with pytest.raises(GeometryError, match=r"invalid polygon: .*Self-intersection"):
        polygon_from_traverse(13.29, 42.77, legs, returns_to_start=False)


def _ground_legs(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(bearing, distance) legs through planar (east, north) points and back to the first."""
    legs = []
    for (e1, n1), (e2, n2) in zip(points, [*points[1:], points[0]], strict=True):
        de, dn = e2 - e1, n2 - n1
        legs.append((math.degrees(math.atan2(de, dn)) % 360.0, math.hypot(de, dn)))
    return legs


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.0, 360.0), st.floats(1.0, 300.0)),
        min_size=2,
        max_size=7,
    )
)
def test_closed_traverse_of_random_legs_is_refused_or_a_valid_polygon_of_one_vertex_per_leg(
    open_legs: list[tuple[float, float]],
) -> None:
    # The closing leg is worked out in the plane from the other legs, as a team would.
    east = sum(d * math.sin(math.radians(b)) for b, d in open_legs)
    north = sum(d * math.cos(math.radians(b)) for b, d in open_legs)
    assume(math.hypot(east, north) > 0.01)
    legs = [*open_legs, (math.degrees(math.atan2(-east, -north)) % 360.0, math.hypot(east, north))]
    try:
        result = polygon_from_traverse(13.29, 42.77, legs)
    except GeometryError as exc:
        assert "does not close" not in str(exc)  # every such traverse closes
        return
    assert result.polygon.is_valid
    assert len(vertices(result.polygon)) == len(legs)
    assert result.misclosure_m is not None and result.misclosure_m < 0.01


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 359), min_size=3, max_size=12, unique=True),
    st.floats(20.0, 800.0),
)
def test_convex_traverse_gives_the_area_walked(angles: list[int], radius: float) -> None:
    # Turning points on a circle, in order round it, make a convex polygon.
    points = [
        (radius * math.sin(math.radians(a)), radius * math.cos(math.radians(a)))
        for a in sorted(angles)
    ]
    planar = 0.5 * abs(
        sum(
            e1 * n2 - e2 * n1
            for (e1, n1), (e2, n2) in zip(points, [*points[1:], points[0]], strict=True)
        )
    )
    assume(planar > 1.0)
    result = polygon_from_traverse(17.5, -12.0, _ground_legs(points))
    assert result.polygon.is_valid
    assert len(vertices(result.polygon)) == len(points)
    assert geodesic_area_m2(result.polygon) == pytest.approx(planar, rel=1e-4, abs=0.05)


# --- CSV rows -----------------------------------------------------------------------------


def row(
    polygon_id: str, point_type: str, seq: int, coord_system: str, **cells: object
) -> dict[str, str]:
    out = {column: "" for column in CSV_COLUMNS}
    out.update(polygon_id=polygon_id, point_type=point_type, seq=str(seq))
    out["coord_system"] = coord_system
    out.update({k: str(v) for k, v in cells.items()})
    return out


def square_rows(polygon_id: str) -> list[dict[str, str]]:
    return [
        row(polygon_id, "benchmark", 0, "lonlat", x=13.29, y=42.77),
        row(polygon_id, "turning_point", 1, "traverse", bearing_deg=0, distance_m=50),
        row(polygon_id, "turning_point", 2, "traverse", bearing_deg=90, distance_m=100),
        row(polygon_id, "turning_point", 3, "traverse", bearing_deg=0, distance_m=100),
        row(polygon_id, "turning_point", 4, "traverse", bearing_deg=270, distance_m=100),
        row(polygon_id, "closing_point", 5, "traverse", bearing_deg=180, distance_m=100),
    ]


def test_rows_lay_out_a_polygon_from_a_benchmark_and_a_closed_traverse() -> None:
    [polygon] = polygons_from_rows(square_rows("HA-1"))
    assert polygon.polygon_id == "HA-1"
    assert polygon.benchmark == (13.29, 42.77)
    assert polygon.source_rows == (2, 3, 4, 5, 6, 7)
    assert polygon.misclosure_m is not None and polygon.misclosure_m < 0.01
    corners = vertices(polygon.geometry)
    assert len(corners) == 4  # the benchmark is not a vertex, nor the closing point
    assert distance_m((13.29, 42.77), corners[0]) == pytest.approx(50.0, abs=1e-3)
    assert geodesic_area_m2(polygon.geometry) == pytest.approx(10_000.0, abs=0.1)


def test_rows_mix_lonlat_utm_and_mgrs_turning_points_in_seq_order() -> None:
    # A 100 m square near 13.29E 42.77N, corners given four ways, rows out of order.
    rows = [
        row("HA-2", "turning_point", 40, "mgrs", mgrs="33TUH 60200 36692"),  # south-east
        row("HA-2", "turning_point", 10, "lonlat", x=13.29, y=42.77),  # south-west
        row("HA-2", "turning_point", 30, "utm", zone=33, hemisphere="N", x=360200, y=4736792),
        row("HA-2", "turning_point", 20, "utm", zone=33, hemisphere="n", x=360100, y=4736792),
    ]
    [polygon] = polygons_from_rows(rows)
    assert polygon.misclosure_m is None and polygon.benchmark is None
    assert polygon.source_rows == (3, 5, 4, 2)
    corners = vertices(polygon.geometry)
    assert corners == [
        (13.29, 42.77),
        utm_to_lonlat(33, "N", 360100, 4736792),
        utm_to_lonlat(33, "N", 360200, 4736792),
        parse_mgrs("33TUH6020036692"),
    ]
    assert geodesic_area_m2(polygon.geometry) == pytest.approx(10_000.0, rel=0.01)


def test_bad_rows_are_reported_per_polygon_with_row_numbers() -> None:
    rows = [
        *square_rows("GOOD"),  # rows 2-7
        row("BAD-ROWS", "turning_point", 1, "lonlat", x=42.77, y=113.29),  # row 8
        row("BAD-ROWS", "turning_point", 2, "utm", zone="33T", x=1, y=2),  # row 9
        row("BAD-ROWS", "turning_point", 3, "lonlat", x=13.3, y=42.8),  # row 10
        row("NO-BENCH", "turning_point", 1, "traverse", bearing_deg=0, distance_m=10),  # 11
        row("NO-BENCH", "turning_point", 2, "traverse", bearing_deg=90, distance_m=10),  # 12
        row("", "turning_point", 1, "lonlat", x=13.3, y=42.8),  # 13
    ]
    polygons, problems = read_field_polygons(rows)
    assert [p.polygon_id for p in polygons] == ["GOOD"]
    assert [(p.polygon_id, p.rows) for p in problems] == [
        ("BAD-ROWS", (8, 9, 10)),
        ("NO-BENCH", (11, 12)),
        ("", (13,)),
    ]
    assert "row 8:" in problems[0].message and "swapped" in problems[0].message
    assert "row 9: zone '33T'" in problems[0].message
    assert "row 11: the first turning point" in problems[1].message
    with pytest.raises(FieldCoordsError) as raised:
        polygons_from_rows(rows)
    assert [p.polygon_id for p in raised.value.problems] == ["BAD-ROWS", "NO-BENCH", ""]
    assert "polygon 'NO-BENCH' (rows 11, 12)" in str(raised.value)
    assert "rows without polygon_id (rows 13): row 13: polygon_id is missing" in str(raised.value)


def test_rows_refuse_a_traverse_that_does_not_close() -> None:
    rows = square_rows("HA-3")
    rows[-1]["distance_m"] = "90"
    with pytest.raises(FieldCoordsError, match=r"'HA-3'.*does not close.*10\.00 m"):
        polygons_from_rows(rows)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"seq": "3"}, "seq repeats within the polygon: seq 3 in rows 5, 7"),
        (
            {"point_type": "benchmark", "coord_system": "lonlat", "x": "13.3", "y": "42.8"},
            "2 benchmarks",
        ),
        ({"seq": "-1"}, "closing point must have the highest seq"),
        ({"point_type": "corner"}, "point_type 'corner'"),
        ({"coord_system": "gps"}, "coord_system 'gps'"),
        ({"north": "magnetic"}, "north 'magnetic'"),
        ({"distance_m": "1,5"}, "distance_m '1,5' is not a number"),
    ],
)
def test_rows_refuse_inconsistent_points_naming_the_rule(
    change: dict[str, str], fragment: str
) -> None:
    rows = square_rows("HA-4")
    rows[-1].update(change)  # the closing point's row
    with pytest.raises(FieldCoordsError, match=fragment):
        polygons_from_rows(rows)


def test_row_numbers_start_where_the_caller_says() -> None:
    rows = square_rows("HA-5")
    rows[2]["bearing_deg"] = "400"
    _, [problem] = read_field_polygons(rows, first_row_number=1)
    assert problem.message.startswith("row 3: bearing 400.0 is outside 0..360")
