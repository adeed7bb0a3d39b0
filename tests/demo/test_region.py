"""The demo region: repeatable, valid, and shaped as documented."""

from __future__ import annotations

import collections

import shapely
from shapely.geometry import shape

from safeground.demo.region import LINE, generate


def test_the_same_seed_gives_the_same_region_and_another_seed_another() -> None:
    a, b, c = generate(areas=50, seed=1), generate(areas=50, seed=1), generate(areas=50, seed=2)
    assert a == b
    assert a.hazard_areas != c.hazard_areas


def test_hazard_areas_are_valid_and_cluster_along_the_former_line() -> None:
    region = generate(areas=400, seed=3)
    geoms = [shape(f["geometry"]) for f in region.hazard_areas["features"]]
    assert all(g.is_valid and not g.is_empty for g in geoms)
    line = shapely.LineString(LINE)
    km = [g.centroid.distance(line) * 100 for g in geoms]  # about 100 km per degree here
    assert sorted(km)[len(km) // 2] < 3  # half within a few kilometres
    kinds = collections.Counter(
        f["properties"]["hazard_type"] for f in region.hazard_areas["features"]
    )
    assert 0.55 < kinds["SHA"] / 400 < 0.78


def test_villages_nearer_the_line_are_more_damaged() -> None:
    region = generate(areas=10, villages=40, seed=4)
    line = shapely.LineString(LINE)
    near, far = [], []
    for f in region.assets["features"]:
        if f["properties"]["kind"] != "building":
            continue
        heavy = f["properties"]["damage_grade"] in ("destroyed", "highly_damaged")
        (near if shape(f["geometry"]).distance(line) < 0.02 else far).append(heavy)
    assert sum(near) / len(near) > sum(far) / len(far)
