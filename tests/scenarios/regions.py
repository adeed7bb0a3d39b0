"""Small seeded regions for the scenario tests."""

from __future__ import annotations

from safeground.domain.model import AssetKind, DamageGrade
from safeground.planning.fieldwork import AreaWork, AssetWork
from safeground.planning.synthetic import fieldwork_region

region = fieldwork_region


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
