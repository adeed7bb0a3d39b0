"""Geometry checks (geocheck-style rules) and safe repair."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from safeground.geodata import checks
from safeground.geodata.checks import (
    Finding,
    Rule,
    Severity,
    admin_key,
    check_geometries,
    repair,
)
from safeground.geometry import GeometryError, area_m2, rectangle

LON, LAT = 69.2, 34.5  # Afghanistan
AFGHANISTAN = (60.5, 29.4, 74.9, 38.5)
GOOD = rectangle(LON, LAT, 100, 100)


def near(shape: Polygon, scale: float = 0.001) -> Polygon:
    """A shape drawn in unit coordinates, scaled to ``scale`` degrees and placed at LON, LAT."""
    return affinity.translate(affinity.scale(shape, scale, scale, origin=(0, 0)), LON, LAT)


def by_rule(findings: list[Finding], rule: Rule) -> list[Finding]:
    return [f for f in findings if f.rule is rule]


def check_one(geom: object, **options: object) -> list[Finding]:
    return check_geometries([("R1", geom)], **options)  # type: ignore[arg-type]


def test_good_polygon_has_no_findings() -> None:
    assert check_geometries([("R1", GOOD)], expected_extent=AFGHANISTAN) == []


@pytest.mark.parametrize("geom", [None, Polygon(), Point()])
def test_missing_or_empty_geometry_is_reported(geom: object) -> None:
    [finding] = check_one(geom)
    assert (finding.rule, finding.severity, finding.fixable) == (
        Rule.EMPTY_GEOMETRY,
        Severity.ERROR,
        False,
    )


def test_coordinates_out_of_range_are_reported_with_the_first_bad_one() -> None:
    findings = check_one(Polygon([(LON, LAT), (LON + 0.01, LAT), (LON, 95.0)]))
    [finding] = by_rule(findings, Rule.COORDINATES_OUT_OF_RANGE)
    assert finding.severity is Severity.ERROR
    assert f"({LON}, 95.0)" in finding.message
    assert by_rule(check_one(GOOD), Rule.COORDINATES_OUT_OF_RANGE) == []


def test_non_finite_coordinates_are_out_of_range() -> None:
    findings = check_one(Point(math.nan, LAT))
    assert [f.rule for f in findings] == [Rule.COORDINATES_OUT_OF_RANGE]


def test_swapped_lat_lon_is_suspected_inside_the_expected_extent() -> None:
    swapped = Point(LAT, LON)  # (34.5, 69.2): a valid lon/lat, in Kazakhstan
    [finding] = check_one(swapped, expected_extent=AFGHANISTAN)
    assert finding.rule is Rule.SWAPPED_LAT_LON
    assert finding.severity is Severity.WARNING
    assert "expected extent" in finding.message
    assert check_one(Point(LON, LAT), expected_extent=AFGHANISTAN) == []


def test_swapped_lat_lon_is_suspected_when_only_the_swap_is_in_range() -> None:
    findings = check_one(Point(LAT, 101.5))  # latitude 101.5 cannot be; longitude can
    assert [f.rule for f in findings] == [Rule.COORDINATES_OUT_OF_RANGE, Rule.SWAPPED_LAT_LON]


def test_expected_extent_may_be_a_polygon() -> None:
    region = shapely.box(*AFGHANISTAN).buffer(-1.0)
    polygon = shapely.transform(GOOD, lambda c: c[:, ::-1])
    [finding] = check_one(polygon, expected_extent=region)
    assert finding.rule is Rule.SWAPPED_LAT_LON


def test_bowtie_polygon_is_reported_with_reason() -> None:
    bowtie = near(Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]))
    [finding] = by_rule(check_one(bowtie), Rule.INVALID_POLYGON)
    assert finding.severity is Severity.ERROR
    assert "Self-intersection" in finding.message
    assert finding.fixable is False  # make_valid would double its (zero) area


def test_self_touching_ring_is_invalid_but_fixable() -> None:
    # The shell touches itself at (2, 4), enclosing a triangle: make_valid turns it into a
    # hole without changing the area.
    touching = near(Polygon([(0, 0), (4, 0), (4, 4), (2, 4), (3, 2), (1, 2), (2, 4), (0, 4)]))
    [finding] = by_rule(check_one(touching), Rule.INVALID_POLYGON)
    assert "Ring Self-intersection" in finding.message
    assert finding.fixable is True


def test_ring_of_two_distinct_vertices_has_too_few_vertices() -> None:
    sliver = near(Polygon([(0, 0), (1, 1), (1, 1), (0, 0)]))
    [finding] = by_rule(check_one(sliver), Rule.TOO_FEW_VERTICES)
    assert finding.measure == 2
    assert finding.fixable is False


def test_ring_going_back_and_forth_has_too_few_vertices() -> None:
    # Five coordinates, no two consecutive ones equal, but only two distinct vertices.
    zigzag = near(Polygon([(0, 0), (1, 1), (0, 0), (1, 1), (0, 0)]))
    assert [f.measure for f in by_rule(check_one(zigzag), Rule.TOO_FEW_VERTICES)] == [2]
    assert by_rule(check_one(GOOD), Rule.TOO_FEW_VERTICES) == []


def test_hole_with_too_few_vertices_is_found() -> None:
    hole = [(0.2, 0.2), (0.4, 0.4), (0.2, 0.2), (0.4, 0.4)]
    polygon = near(Polygon([(0, 0), (1, 0), (1, 1), (0, 1)], [hole]))
    assert len(by_rule(check_one(polygon), Rule.TOO_FEW_VERTICES)) == 1


def test_consecutive_duplicate_vertices_are_reported_as_fixable() -> None:
    dup = near(Polygon([(0, 0), (1, 0), (1, 0), (1, 1), (1, 1), (0, 1)]))
    [finding] = check_one(dup)
    assert finding.rule is Rule.DUPLICATE_VERTICES
    assert finding.measure == 2
    assert finding.fixable is True
    assert by_rule(check_one(GOOD), Rule.DUPLICATE_VERTICES) == []


def test_duplicate_vertices_of_an_unrepairable_polygon_are_not_fixable() -> None:
    # repair() fixes a geometry whole or not at all: dropping the repeat leaves a bowtie.
    bowtie = near(Polygon([(0, 0), (1, 1), (1, 1), (1, 0), (0, 1)]))
    findings = check_one(bowtie)
    assert [(f.rule, f.fixable) for f in findings] == [
        (Rule.INVALID_POLYGON, False),
        (Rule.DUPLICATE_VERTICES, False),
    ]


def test_duplicate_vertices_in_lines_are_found_too() -> None:
    line = LineString([(LON, LAT), (LON, LAT), (LON + 0.001, LAT)])
    assert [f.rule for f in check_one(line)] == [Rule.DUPLICATE_VERTICES]


def test_long_edge_is_measured_in_metres_not_degrees() -> None:
    # 0.06 degrees of longitude: 6.7 km at the equator, 3.3 km at 60N.
    def strip(lat: float) -> Polygon:
        return Polygon([(30.0, lat), (30.06, lat), (30.06, lat + 0.001), (30.0, lat + 0.001)])

    [finding] = check_one(strip(0.0))
    assert finding.rule is Rule.LONG_EDGE
    assert finding.measure == pytest.approx(6_679.2, abs=1.0)
    assert "2 edge(s) longer than 5,000 m" in finding.message
    assert check_one(strip(60.0)) == []
    assert [f.rule for f in check_one(strip(60.0), long_edge_m=3_000)] == [Rule.LONG_EDGE]


def test_mistyped_vertex_makes_long_edges() -> None:
    typo = Polygon([(LON, LAT), (LON + 0.001, LAT), (LON + 0.001, LAT + 0.1), (LON, LAT + 0.001)])
    [finding] = check_one(typo)
    assert finding.rule is Rule.LONG_EDGE
    assert finding.measure is not None and 11_000 < finding.measure < 11_200


def test_identical_polygons_are_duplicates_whatever_their_start_vertex_and_direction() -> None:
    a = Polygon([(LON, LAT), (LON + 0.001, LAT), (LON + 0.001, LAT + 0.001), (LON, LAT + 0.001)])
    b = Polygon([(LON + 0.001, LAT + 0.001), (LON + 0.001, LAT), (LON, LAT), (LON, LAT + 0.001)])
    shifted = affinity.translate(a, 0.002, 0.0)
    findings = check_geometries([("A", a), ("B", b), ("C", shifted)])
    assert [(f.record_id, f.rule, f.related_ids) for f in findings] == [
        ("A", Rule.DUPLICATE_GEOMETRY, ("B",)),
        ("B", Rule.DUPLICATE_GEOMETRY, ("A",)),
    ]


def test_overlapping_areas_are_reported_with_the_overlap_in_square_metres() -> None:
    a = rectangle(LON, LAT, 100, 100)
    b = rectangle(LON, LAT, 100, 100)
    b = affinity.translate(b, (a.bounds[2] - a.bounds[0]) / 2, 0)  # half-way east
    findings = check_geometries([("A", a), ("B", b)])
    assert [(f.record_id, f.rule, f.related_ids) for f in findings] == [
        ("A", Rule.OVERLAP, ("B",)),
        ("B", Rule.OVERLAP, ("A",)),
    ]
    assert findings[0].measure == pytest.approx(area_m2(a.intersection(b)), rel=1e-9)
    assert findings[0].measure == pytest.approx(5_000.0, rel=0.01)


def test_areas_sharing_an_edge_do_not_overlap() -> None:
    a = Polygon([(LON, LAT), (LON + 0.001, LAT), (LON + 0.001, LAT + 0.001), (LON, LAT + 0.001)])
    b = affinity.translate(a, 0.001, 0)
    assert check_geometries([("A", a), ("B", b)]) == []


def test_area_nested_in_another_overlaps_it() -> None:
    outer = rectangle(LON, LAT, 300, 300)
    inner = rectangle(LON + 0.0005, LAT + 0.0005, 50, 50)
    findings = check_geometries([("OUT", outer), ("IN", inner)])
    assert {(f.record_id, f.rule) for f in findings} == {
        ("OUT", Rule.OVERLAP),
        ("IN", Rule.OVERLAP),
    }


def test_overlap_below_the_tolerance_is_ignored() -> None:
    a = rectangle(LON, LAT, 100, 100)
    # Overlapping by 5 mm along a 100 m edge: 0.5 m², a digitising slip.
    sliver = affinity.translate(a, (a.bounds[2] - a.bounds[0]) * 0.99995, 0)
    assert check_geometries([("A", a), ("B", sliver)]) == []
    tight = check_geometries([("A", a), ("B", sliver)], area_tolerance_m2=0.1)
    assert [f.rule for f in tight] == [Rule.OVERLAP, Rule.OVERLAP]
    assert tight[0].measure == pytest.approx(0.5, rel=0.01)


ADMIN = {
    "WEST": shapely.box(LON - 1, LAT - 1, LON, LAT + 1),
    "EAST": shapely.box(LON, LAT - 1, LON + 1, LAT + 1),
}


def admin_check(geom: object, claim: str | None) -> list[Finding]:
    return check_geometries(
        [("R1", geom)],  # type: ignore[list-item]
        rules=[Rule.OUTSIDE_ADMIN_UNIT, Rule.OUTSIDE_ALL_ADMIN_UNITS, Rule.UNKNOWN_ADMIN_UNIT],
        admin_units=ADMIN,
        claimed_admin_units={"R1": claim},
    )


def test_point_inside_its_claimed_admin_unit_passes() -> None:
    assert admin_check(Point(LON + 0.5, LAT), "EAST") == []


def test_point_in_another_admin_unit_is_reported_naming_where_it_lies() -> None:
    [finding] = admin_check(Point(LON + 0.5, LAT), "WEST")
    assert (finding.rule, finding.severity) == (Rule.OUTSIDE_ADMIN_UNIT, Severity.ERROR)
    assert finding.related_ids == ("EAST",)
    assert "wholly outside its admin unit 'WEST'; it lies in EAST" in finding.message


def test_polygon_spilling_over_its_admin_boundary_reports_the_spill_in_square_metres() -> None:
    straddling = rectangle(LON - 0.0005, LAT, 100, 100)  # about half in each unit
    [finding] = admin_check(straddling, "WEST")
    assert (finding.rule, finding.severity) == (Rule.OUTSIDE_ADMIN_UNIT, Severity.WARNING)
    expected = area_m2(straddling.intersection(ADMIN["EAST"]))
    assert finding.measure == pytest.approx(expected, rel=1e-9)
    assert 4_000 < expected < 6_000


def test_point_outside_every_admin_unit_is_reported() -> None:
    [finding] = admin_check(Point(LON + 2, LAT), None)
    assert finding.rule is Rule.OUTSIDE_ALL_ADMIN_UNITS


def test_claimed_admin_code_that_does_not_exist_is_reported() -> None:
    [finding] = admin_check(Point(LON + 0.5, LAT), "NORTH")
    assert finding.rule is Rule.UNKNOWN_ADMIN_UNIT


def test_admin_rules_refuse_invalid_admin_polygons() -> None:
    bad = {"X": Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])}
    with pytest.raises(GeometryError, match="admin unit geometries empty or invalid: X"):
        check_geometries([("R1", GOOD)], admin_units=bad)


# --- coordinate-sign-error ---------------------------------------------------------------

ADMIN_RULES_AND_SIGN = [
    Rule.OUTSIDE_ADMIN_UNIT,
    Rule.OUTSIDE_ALL_ADMIN_UNITS,
    Rule.UNKNOWN_ADMIN_UNIT,
    Rule.SIGN_ERROR,
]


@pytest.mark.parametrize(
    ("sx", "sy", "what"),
    [
        (-1, 1, "longitude sign looks wrong"),
        (1, -1, "latitude sign looks wrong"),
        (-1, -1, "longitude and latitude signs look wrong"),
    ],
)
def test_point_with_a_flipped_sign_is_a_sign_error_against_its_claimed_admin_unit(
    sx: int, sy: int, what: str
) -> None:
    flipped = Point(sx * (LON + 0.5), sy * LAT)  # belongs in EAST
    findings = check_geometries(
        [("R1", flipped)],
        rules=ADMIN_RULES_AND_SIGN,
        admin_units=ADMIN,
        claimed_admin_units={"R1": "EAST"},
    )
    # Outside all units and outside its own, as recorded; the sign error says why.
    assert [f.rule for f in findings] == [
        Rule.SIGN_ERROR,
        Rule.OUTSIDE_ADMIN_UNIT,
        Rule.OUTSIDE_ALL_ADMIN_UNITS,
    ]
    sign = findings[0]
    assert sign.severity is Severity.WARNING
    assert sign.message == (
        f"{what}: ({sx * 69.7:.4f}, {sy * 34.5:.4f}) is outside its admin unit 'EAST'; "
        "(69.7000, 34.5000) is inside it"
    )


def test_sign_error_needs_the_flip_to_land_in_the_claimed_unit_not_just_any() -> None:
    # Negated, the point lands in EAST, but the record claims WEST: a sign error would not
    # explain it, so only the admin findings are made.
    findings = check_geometries(
        [("R1", Point(-(LON + 0.5), LAT))],
        rules=ADMIN_RULES_AND_SIGN,
        admin_units=ADMIN,
        claimed_admin_units={"R1": "WEST"},
    )
    assert Rule.SIGN_ERROR not in {f.rule for f in findings}


def test_sign_error_is_found_against_the_expected_extent_without_admin_units() -> None:
    flipped = shapely.transform(GOOD, lambda c: c * (-1.0, 1.0))
    [finding] = check_geometries([("R1", flipped)], expected_extent=AFGHANISTAN)
    assert (finding.rule, finding.severity) == (Rule.SIGN_ERROR, Severity.WARNING)
    assert finding.message.startswith("longitude sign looks wrong: the Polygon at (-69.2")
    assert "is outside the expected extent; at (69.2" in finding.message
    # Without an extent or admin units there is nothing to be outside of.
    assert check_geometries([("R1", flipped)]) == []


def test_polygon_flipped_back_must_lie_in_the_extent_up_to_the_area_tolerance() -> None:
    # The true area straddles the extent's west edge, about 5,000 m² of it outside; recorded
    # with the longitude negated, flipping it back leaves that spill: not a sign error...
    true_area = rectangle(AFGHANISTAN[0] - 0.0005, LAT, 100, 100)
    spill = area_m2(true_area.difference(shapely.box(*AFGHANISTAN)))
    assert 4_000 < spill < 6_000
    recorded = shapely.transform(true_area, lambda c: c * (-1.0, 1.0))
    assert check_geometries([("R1", recorded)], expected_extent=AFGHANISTAN) == []
    # ...unless the spill is within the area tolerance.
    [finding] = check_geometries(
        [("R1", recorded)], expected_extent=AFGHANISTAN, area_tolerance_m2=10_000.0
    )
    assert finding.rule is Rule.SIGN_ERROR


def test_far_away_point_that_no_sign_flip_brings_home_is_not_a_sign_error() -> None:
    far = Point(LON + 20, LAT)  # in China: a typo, not a sign
    findings = check_geometries(
        [("R1", far)],
        rules=ADMIN_RULES_AND_SIGN,
        admin_units=ADMIN,
        claimed_admin_units={"R1": "EAST"},
    )
    assert [f.rule for f in findings] == [Rule.OUTSIDE_ADMIN_UNIT, Rule.OUTSIDE_ALL_ADMIN_UNITS]
    assert check_geometries([("R1", far)], expected_extent=AFGHANISTAN) == []


def test_record_explained_by_swapped_lat_lon_is_not_also_reported_as_a_sign_error() -> None:
    # An extent in two pieces, around (20, 30) and (-30, 20): the point (30, 20) lands in
    # one swapped and in the other with its longitude negated. Swapping is reported alone.
    extent = shapely.union(shapely.box(19, 29, 21, 31), shapely.box(-31, 19, -29, 21))
    point = Point(30, 20)
    assert shapely.covers(extent, Point(-30, 20))  # a sign error would explain it too
    assert [f.rule for f in check_one(point, expected_extent=extent)] == [Rule.SWAPPED_LAT_LON]
    assert check_one(point, expected_extent=extent, rules=[Rule.SIGN_ERROR]) == []
    # The same point with nothing swapping explains is a sign error.
    sign_only = shapely.box(-31, 19, -29, 21)
    assert [f.rule for f in check_one(point, expected_extent=sign_only)] == [Rule.SIGN_ERROR]


def test_swapped_lat_lon_point_is_reported_once() -> None:
    findings = check_one(Point(LAT, LON), expected_extent=AFGHANISTAN)
    assert [f.rule for f in findings] == [Rule.SWAPPED_LAT_LON]


# --- admin unit names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("BOGOTA DC", "BOGOTADC"),
        ("Bogotá D.C.", "BOGOTADC"),
        ("NARIÑO", "NARINO"),
        ("NARINO", "NARINO"),
        ("Norte de Santander", "NORTEDESANTANDER"),
        ("San Andrés, Providencia y Santa Catalina", "SANANDRESPROVIDENCIAYSANTACATALINA"),
        ("Nangarhār  (East)", "NANGARHAREAST"),
        ("District 7", "DISTRICT7"),
    ],
)
def test_admin_key_ignores_case_accents_spaces_and_punctuation(name: str, key: str) -> None:
    assert admin_key(name) == key


BOGOTA_UNITS = {
    "Bogotá D.C.": shapely.box(LON - 1, LAT - 1, LON, LAT + 1),
    "NARIÑO": shapely.box(LON, LAT - 1, LON + 1, LAT + 1),
}
ALL_ADMIN_RULES = [Rule.OUTSIDE_ADMIN_UNIT, Rule.OUTSIDE_ALL_ADMIN_UNITS, Rule.UNKNOWN_ADMIN_UNIT]


def test_admin_names_are_matched_exactly_by_default() -> None:
    [finding] = check_geometries(
        [("R1", Point(LON - 0.5, LAT))],
        rules=ALL_ADMIN_RULES,
        admin_units=BOGOTA_UNITS,
        claimed_admin_units={"R1": "BOGOTA DC"},
    )
    assert finding.rule is Rule.UNKNOWN_ADMIN_UNIT


def test_match_admin_names_lets_bogota_dc_claim_bogota_d_c() -> None:
    records = [("IN", Point(LON - 0.5, LAT)), ("OUT", Point(LON + 0.5, LAT))]
    findings = check_geometries(
        records,
        rules=ALL_ADMIN_RULES,
        admin_units=BOGOTA_UNITS,
        claimed_admin_units={"IN": "BOGOTA DC", "OUT": "bogota d.c"},
        match_admin_names=True,
    )
    # The names are printed as given: the claim as recorded, the unit as the layer has it.
    [finding] = findings
    assert (finding.record_id, finding.rule) == ("OUT", Rule.OUTSIDE_ADMIN_UNIT)
    assert finding.message == "wholly outside its admin unit 'bogota d.c'; it lies in NARIÑO"
    assert finding.related_ids == ("NARIÑO",)


def test_match_admin_names_refuses_units_it_cannot_tell_apart() -> None:
    units = {"Nariño": BOGOTA_UNITS["NARIÑO"], "NARINO": BOGOTA_UNITS["Bogotá D.C."]}
    with pytest.raises(ValueError, match="'Nariño' and 'NARINO'"):
        check_geometries([("R1", GOOD)], admin_units=units, match_admin_names=True)
    check_geometries([("R1", GOOD)], admin_units=units)  # exact names are distinct


def test_findings_are_ordered_by_record_then_rule() -> None:
    dup = near(Polygon([(0, 0), (1, 0), (1, 0), (1, 1), (0, 1)]))
    bowtie = near(Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]))
    findings = check_geometries([("A", None), ("B", bowtie), ("C", dup), ("D", bowtie)])
    assert [(f.record_id, f.rule) for f in findings] == [
        ("A", Rule.EMPTY_GEOMETRY),
        ("B", Rule.INVALID_POLYGON),
        ("B", Rule.DUPLICATE_GEOMETRY),
        ("C", Rule.DUPLICATE_VERTICES),
        ("D", Rule.INVALID_POLYGON),
        ("D", Rule.DUPLICATE_GEOMETRY),
    ]


def test_rules_can_be_chosen_by_name() -> None:
    dup = near(Polygon([(0, 0), (1, 0), (1, 0), (1, 1), (0, 1)]))
    findings = check_geometries([("A", None), ("B", dup)], rules=["duplicate-vertices"])
    assert [f.rule for f in findings] == [Rule.DUPLICATE_VERTICES]
    with pytest.raises(ValueError, match="not-a-rule"):
        check_geometries([("A", None)], rules=["not-a-rule"])


def test_a_non_geometry_is_refused() -> None:
    with pytest.raises(TypeError, match="records R1"):
        check_geometries([("R1", "POINT (1 2)")])  # type: ignore[list-item]


# --- repair -------------------------------------------------------------------------------


def test_repair_drops_duplicate_vertices_of_a_ring() -> None:
    dup = near(Polygon([(0, 0), (1, 0), (1, 0), (1, 1), (0, 1), (0, 1)]))
    fixed, repairs = repair(dup)
    assert shapely.equals_exact(fixed, near(Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])), 0)
    assert repairs == ["removed 2 vertex/vertices repeating the one before"]
    assert check_one(fixed) == []


def test_repair_leaves_a_good_polygon_alone() -> None:
    fixed, repairs = repair(GOOD)
    assert fixed is GOOD and repairs == []


def test_repair_makes_a_self_touching_ring_valid_keeping_its_area() -> None:
    touching = near(Polygon([(0, 0), (4, 0), (4, 4), (2, 4), (3, 2), (1, 2), (2, 4), (0, 4)]))
    fixed, repairs = repair(touching)
    assert fixed.is_valid and fixed.geom_type in ("Polygon", "MultiPolygon")
    assert area_m2(fixed) == pytest.approx(area_m2(touching), rel=1e-9)
    assert repairs[0].startswith("made valid (Ring Self-intersection")


def test_repair_refuses_a_bowtie_whose_make_valid_changes_the_area() -> None:
    bowtie = near(Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]))
    with pytest.raises(GeometryError, match=r"changes the area from 0\.0 m²"):
        repair(bowtie)


def test_repair_refuses_a_figure_eight_with_a_small_loop_over_the_tolerance() -> None:
    # A 4 x 4 square whose last corner is dragged across the first edge makes a small
    # loop: make_valid counts the loop's area instead of subtracting it, a 1.5 % change.
    loop = near(Polygon([(0, 0), (4, 0), (4, 4), (0, 4), (0.5, -0.5)]))
    with pytest.raises(GeometryError, match=r"more than 0\.1 %"):
        repair(loop)
    fixed, _ = repair(loop, max_area_change=0.05)
    assert fixed.is_valid


def test_repair_refuses_a_spike_that_make_valid_would_cut_off_as_a_line() -> None:
    spike = near(Polygon([(0, 0), (2, 0), (2, 1), (3, 1), (2, 1), (2, 2), (0, 2)]))
    with pytest.raises(GeometryError, match="leaves lines or points"):
        repair(spike)
    [finding] = by_rule(check_one(spike), Rule.INVALID_POLYGON)
    assert finding.fixable is False


@pytest.mark.parametrize(
    ("geom", "fragment"),
    [(Polygon(), "empty"), (Point(200.0, 0.0), "outside longitude")],
)
def test_repair_refuses_what_it_cannot_know_how_to_fix(geom: object, fragment: str) -> None:
    with pytest.raises(GeometryError, match=fragment):
        repair(geom)


@st.composite
def convex_polygons_with_repeats(draw: st.DrawFn) -> tuple[Polygon, Polygon]:
    """A convex polygon near LON, LAT, and the same polygon with vertices repeated."""
    angles = sorted(draw(st.lists(st.integers(0, 359), min_size=3, max_size=16, unique=True)))
    radius = draw(st.floats(0.0002, 0.02))
    ring = [
        (LON + radius * math.cos(math.radians(a)), LAT + radius * math.sin(math.radians(a)))
        for a in angles
    ]
    repeats = draw(st.lists(st.integers(0, len(ring) - 1), max_size=5))
    with_repeats = [p for i, p in enumerate(ring) for _ in range(1 + repeats.count(i))]
    return Polygon(ring), Polygon(with_repeats)


@settings(max_examples=60, deadline=None)
@given(convex_polygons_with_repeats())
def test_repair_never_changes_the_shape_of_a_valid_polygon(pair: tuple[Polygon, Polygon]) -> None:
    original, with_repeats = pair
    fixed, repairs = repair(with_repeats)
    assert shapely.equals_exact(fixed, original, tolerance=0)
    assert area_m2(fixed) == area_m2(original)
    assert bool(repairs) == (with_repeats.wkb != original.wkb)
    flagged = check_geometries([("R", with_repeats)], rules=[Rule.DUPLICATE_VERTICES])
    assert [f.fixable for f in flagged] == ([True] if repairs else [])


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(LON, LON + 0.05), st.floats(LAT, LAT + 0.05), st.floats(20, 300)),
        min_size=1,
        max_size=12,
    )
)
def test_overlap_is_reported_exactly_for_pairs_overlapping_by_more_than_the_tolerance(
    boxes: list[tuple[float, float, float]],
) -> None:
    polygons = [rectangle(lon, lat, size, size) for lon, lat, size in boxes]
    findings = check_geometries(
        [(str(i), p) for i, p in enumerate(polygons)], rules=[Rule.OVERLAP, Rule.DUPLICATE_GEOMETRY]
    )
    reported = {
        frozenset((f.record_id, *f.related_ids)) for f in findings if f.rule is Rule.OVERLAP
    }
    duplicates = {
        frozenset((f.record_id, *f.related_ids))
        for f in findings
        if f.rule is Rule.DUPLICATE_GEOMETRY
    }
    expected = {
        frozenset((str(i), str(j)))
        for i in range(len(polygons))
        for j in range(i + 1, len(polygons))
        if area_m2(polygons[i].intersection(polygons[j])) > 1.0
    }
    # Identical areas are reported as duplicates, not as overlapping.
    assert reported == {pair for pair in expected if not any(pair <= d for d in duplicates)}


def test_parts_inside_a_geometry_collection_are_checked() -> None:
    dup = near(Polygon([(0, 0), (1, 0), (1, 0), (1, 1), (0, 1)]))
    collection = shapely.GeometryCollection([Point(LON, LAT), MultiPolygon([dup])])
    assert [f.rule for f in check_one(collection)] == [Rule.DUPLICATE_VERTICES]


def test_multipolygon_parts_are_checked_each() -> None:
    far = Polygon([(LON + 0.1, LAT), (LON + 0.1001, LAT), (LON + 0.1, LAT + 0.0001)])
    dup_part = affinity.translate(near(Polygon([(0, 0), (1, 0), (1, 0), (1, 1)])), 0.01, 0)
    findings = check_one(MultiPolygon([GOOD, far, dup_part]))
    assert [f.rule for f in findings] == [Rule.DUPLICATE_VERTICES]


# --- real data: Colombia's mine events 1990-2019 ------------------------------------------

COLOMBIA = Path(__file__).resolve().parents[3] / "shared" / "data" / "colombia_mine_events"


@pytest.mark.skipif(not COLOMBIA.is_dir(), reason=f"Colombia mine events not found at {COLOMBIA}")
def test_colombia_mine_events_against_department_boundaries() -> None:
    records: list[tuple[str, Point]] = []
    claims: dict[str, str | None] = {}
    for path in sorted(COLOMBIA.glob("[12][09][0-9][0-9].json")):
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
        for n, feature in enumerate(features):
            props = feature["properties"]
            record_id = f"{props['AÑO']}-{n}"
            records.append((record_id, shapely.geometry.shape(feature["geometry"])))
            claims[record_id] = props["DEPARTAMENTO"]
    boundaries = COLOMBIA / "boundaries" / "colombia_departamentos.geojson"
    departments = {
        f["properties"]["NOMBRE_DPT"]: shapely.geometry.shape(f["geometry"])
        for f in json.loads(boundaries.read_text(encoding="utf-8"))["features"]
    }
    assert (len(records), len(departments)) == (36_527, 33)

    findings = check_geometries(
        records,
        rules=ADMIN_RULES_AND_SIGN,
        admin_units=departments,
        claimed_admin_units=claims,
        match_admin_names=True,
    )

    by = {rule: by_rule(findings, rule) for rule in ADMIN_RULES_AND_SIGN}
    # 'BOGOTA DC' and the rest all match a department once names are keys.
    assert by[Rule.UNKNOWN_ADMIN_UNIT] == []
    # SOURCE.txt: 370 outside all polygons, 1,313 in a neighbouring department.
    assert len(by[Rule.OUTSIDE_ALL_ADMIN_UNITS]) == 370
    outside_own = by[Rule.OUTSIDE_ADMIN_UNIT]
    assert len(outside_own) == 370 + 1_313
    assert sum(1 for f in outside_own if f.related_ids) == 1_313
    # The known sign error: Bogotá, 2004, recorded at longitude +74.23.
    where = dict(records)
    signs = {
        (f.record_id[:4], claims[f.record_id], where[f.record_id].x, where[f.record_id].y): f
        for f in by[Rule.SIGN_ERROR]
    }
    bogota = signs[("2004", "BOGOTA DC", 74.23416667, 4.197777778)]
    assert bogota.message == (
        "longitude sign looks wrong: (74.2342, 4.1978) is outside its admin unit "
        "'BOGOTA DC'; (-74.2342, 4.1978) is inside it"
    )
    # The one other: 7 km north of the equator in Caquetá, 7 km south of it in Putumayo.
    assert set(signs) == {
        ("2004", "BOGOTA DC", 74.23416667, 4.197777778),
        ("2009", "PUTUMAYO", -74.69388889, 0.063611111),
    }


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-180, 180), st.floats(-89.9, 89.9), st.floats(-0.2, 0.2), st.floats(-0.2, 0.2)
        ),
        min_size=1,
        max_size=40,
    ),
    st.floats(100, 20_000),
)
def test_long_edges_are_those_longer_than_the_limit_on_the_ellipsoid(
    edges: list[tuple[float, float, float, float]], limit_m: float
) -> None:
    coords = np.array([[x, y] for x, y, dx, dy in edges for x, y in ((x, y), (x + dx, y + dy))])
    start = np.arange(0, len(coords), 2)
    _, _, every = Geod(ellps="WGS84").inv(
        coords[start, 0], coords[start, 1], coords[start + 1, 0], coords[start + 1, 1]
    )
    found, lengths = checks._geodesic_over(coords, start, limit_m)
    assert found.tolist() == np.flatnonzero(np.asarray(every) > limit_m).tolist()
    assert np.allclose(lengths, np.asarray(every)[found], rtol=0, atol=1e-6)
