"""Small seeded regions for the scenario tests (the generator of
``benchmarks/region_plan.py``, kept here so the tests do not import the benchmarks)."""

from __future__ import annotations

import math
import random

from safeground.domain.model import AssetKind, DamageGrade
from safeground.planning.fieldwork import AreaWork, AssetWork

LAND_USE = ("agriculture", "pasture", "forest", "residential", "road verge", "wetland")
GRADES = (
    (DamageGrade.DESTROYED, 0.15),
    (DamageGrade.HIGHLY_DAMAGED, 0.15),
    (DamageGrade.MODERATELY_DAMAGED, 0.3),
    (DamageGrade.SLIGHTLY_DAMAGED, 0.4),
)


def region(n_areas: int, n_assets: int, seed: int) -> tuple[list[AreaWork], list[AssetWork]]:
    """Areas log-normal in size (median 20,000 m², at most 20 ha) on mixed terrain, a third
    suspected; assets each blocked by 1-3 nearby areas."""
    rng = random.Random(seed)
    areas = [
        AreaWork(
            f"HA-{i:06d}",
            min(rng.lognormvariate(math.log(20_000), 1.0), 200_000),
            rng.choice(LAND_USE),
            needs_survey=rng.random() < 1 / 3,
            weight=float(rng.randint(1, 5)),
        )
        for i in range(n_areas)
    ]
    assets = []
    for j in range(n_assets):
        near = int(j * n_areas / max(n_assets, 1))
        blocking = {
            areas[min(n_areas - 1, max(0, near + rng.randint(-20, 20)))].area_id
            for _ in range(rng.randint(1, 3))
        }
        grade = rng.choices([g for g, _ in GRADES], [w for _, w in GRADES])[0]
        kind = rng.choices([AssetKind.BUILDING, AssetKind.ROAD, AssetKind.BRIDGE], [8, 3, 1])[0]
        assets.append(
            AssetWork(f"AS-{j:06d}", kind, grade, tuple(sorted(blocking)), float(rng.randint(1, 5)))
        )
    return areas, assets


def bottleneck_region() -> tuple[list[AreaWork], list[AssetWork]]:
    """One huge priority area (4 km² of forest: at most 4 manual teams work one area) with
    the assets behind it, and small areas around: the critical path binds."""
    big = AreaWork("HA-BIG", 4_000_000.0, "forest", weight=5.0)
    small = [AreaWork(f"HA-{i:03d}", 5_000.0, "pasture", weight=5.0) for i in range(12)]
    assets = [
        AssetWork(f"AS-{j:03d}", AssetKind.BUILDING, DamageGrade.MODERATELY_DAMAGED, ("HA-BIG",))
        for j in range(4)
    ]
    return [big, *small], assets
