"""Scored grid cells to hazard areas: the riskiest cell inside, else the nearest near enough."""

from __future__ import annotations

import math

import numpy as np
import pytest

from safeground.risk.areas import area_risks
from tests.conftest import ORIGIN, box


def _cells(points_m: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    lon0, lat0 = ORIGIN
    east = np.array([p[0] for p in points_m])
    north = np.array([p[1] for p in points_m])
    lon = lon0 + east / (111_320.0 * math.cos(math.radians(lat0)))
    lat = lat0 + north / 111_320.0
    return lon, lat


AREAS = [
    ("big", box(0, 0, 2000, 2000)),  # holds three cell centres
    ("small", box(5000, 0, 50, 50)),  # holds none; a cell 400 m east of it
    ("remote", box(20_000, 0, 50, 50)),  # nothing within a kilometre
]
CELLS = [(500, 500), (1500, 500), (1500, 1500), (5450, 25), (9000, 9000)]
RISK = np.array([0.2, 0.7, 0.4, 0.3, 0.9])


def test_an_area_takes_its_riskiest_cell_and_a_small_one_the_nearest() -> None:
    lon, lat = _cells(CELLS)
    found = {a.area_id: a for a in area_risks(AREAS, lon, lat, RISK, max_distance_m=1000)}
    assert found["big"].risk == 0.7 and found["big"].cells == 3
    assert found["small"].risk == 0.3 and found["small"].cells == 0
    assert found["small"].nearest_m == pytest.approx(400, abs=5)
    assert "remote" not in found  # unknown, never given a risk of 0


def test_a_nearer_limit_leaves_the_small_area_unknown() -> None:
    lon, lat = _cells(CELLS)
    found = area_risks(AREAS, lon, lat, RISK, max_distance_m=300)
    assert [a.area_id for a in found] == ["big"]


def test_risks_that_are_not_probabilities_are_refused() -> None:
    lon, lat = _cells(CELLS)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        area_risks(AREAS, lon, lat, RISK * 2)
