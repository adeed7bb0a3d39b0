"""A small seeded region planned two ways: the heuristics' plan (shifted left) and the
solver's (which holds some tasks back), shared by the forecast tests."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import pytest

from safeground.domain.model import AssetKind, DamageGrade
from safeground.planning.fieldwork import (
    AreaWork,
    AssetWork,
    FieldProblem,
    build_problem,
    default_rates,
)
from safeground.planning.heuristics import serial_sgs
from safeground.planning.model import Schedule
from safeground.planning.solve import solve

CAPACITIES = {
    "manual_clearance": 8,
    "mechanical": 1,
    "mine_detection_dogs": 2,
    "technical_survey": 2,
    "eod": 1,
    "construction": 3,
}


@dataclass(frozen=True)
class Region:
    areas: list[AreaWork]
    field: FieldProblem
    plan: Schedule


def small_region(
    n_areas: int = 40, n_assets: int = 15, seed: int = 3
) -> tuple[list[AreaWork], FieldProblem]:
    """A region like benchmarks/region_plan.py's, small enough for the solver to settle."""
    rng = random.Random(seed)
    areas = [
        AreaWork(
            f"HA-{i:03d}",
            min(rng.lognormvariate(math.log(8_000), 0.8), 60_000),
            rng.choice(("agriculture", "forest", "residential")),
            needs_survey=rng.random() < 0.4,
            weight=float(rng.randint(1, 5)),
        )
        for i in range(n_areas)
    ]
    assets = []
    for j in range(n_assets):
        near = int(j * n_areas / n_assets)
        blocking = {areas[min(n_areas - 1, near + rng.randint(0, 3))].area_id}
        grade = rng.choice(list(DamageGrade)[:4])
        assets.append(
            AssetWork(f"AS-{j:03d}", AssetKind.BUILDING, grade, tuple(sorted(blocking)), 2.0)
        )
    return areas, build_problem(areas, assets, CAPACITIES, default_rates())


@pytest.fixture(scope="session")
def heuristic_region() -> Region:
    areas, field = small_region()
    plan = serial_sgs(field.problem)
    assert plan is not None
    return Region(areas, field, plan)


@pytest.fixture(scope="session")
def solved_region() -> Region:
    areas, field = small_region()
    result = solve(field.problem, time_limit=3.0, workers=1, seed=1)
    assert result.schedule is not None
    return Region(areas, field, result.schedule)
