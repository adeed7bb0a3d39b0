"""The raw facts behind each criterion, from geometry: pure shapely and pyproj, no I/O.

Everything is projected to one metric CRS, the UTM zone of the centre of the hazard areas,
before any distance is measured: distances are in metres, never in degrees. Inputs are
WGS84 geometries with the few attributes each criterion needs; the service reads them from
the register.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from safeground.geometry import WGS84, metric_epsg, transform
from safeground.priority.criteria import Distances, Raw
from safeground.priority.scoring import AreaFacts


@dataclass(frozen=True)
class AreaInput:
    """A hazard area as the criteria see it."""

    area_id: str
    geometry: BaseGeometry  # WGS84
    hazard_type: str = ""
    land_use: str = ""
    blockages: str = ""  # recorded blocked roads or infrastructure, as text


@dataclass(frozen=True)
class Surroundings:
    """What lies around the areas (WGS84 geometries).

    ``buildings``: every building footprint, damaged or not (a proxy for people living or
    working there); ``infrastructure``: roads, bridges and utilities; ``waiting``: damaged
    assets not yet rebuilt (reconstruction waits on the areas they touch); ``incidents``:
    accidents and ordnance events (finds, suspected minefields), as points.
    """

    buildings: Sequence[BaseGeometry] = ()
    infrastructure: Sequence[BaseGeometry] = ()
    waiting: Sequence[BaseGeometry] = ()
    incidents: Sequence[BaseGeometry] = ()


def _blockage_count(text: str) -> int:
    """Recorded blockages: one per item of a comma, semicolon or newline separated list."""
    return len([part for part in re.split(r"[;,\n]", text or "") if part.strip()])


def _counts(
    areas: Sequence[BaseGeometry], others: Sequence[BaseGeometry], distance_m: float
) -> list[int]:
    if not others or not areas:
        return [0] * len(areas)
    tree = shapely.STRtree(list(others))
    if distance_m > 0:
        pairs = tree.query(list(areas), predicate="dwithin", distance=distance_m)
    else:
        pairs = tree.query(list(areas), predicate="intersects")
    counts = [0] * len(areas)
    for i in pairs[0]:
        counts[int(i)] += 1
    return counts


def area_facts(
    areas: Sequence[AreaInput],
    around: Surroundings,
    distances: Distances,
    *,
    predicted_risk: Mapping[str, float] | None = None,
) -> list[AreaFacts]:
    """The raw value of each criterion of ``priority.toml`` for each area.

    ``predicted_risk`` (area id -> probability) fills the optional predicted-risk criterion;
    areas without an entry have no value for it.
    """
    if not areas:
        return []
    epsg = metric_epsg(shapely.union_all([a.geometry.envelope for a in areas]))

    def metric(geoms: Sequence[BaseGeometry]) -> list[BaseGeometry]:
        return [transform(g, WGS84, epsg) for g in geoms if g is not None and not g.is_empty]

    shapes = metric([a.geometry for a in areas])
    if len(shapes) != len(areas):
        raise ValueError("every hazard area needs a geometry to be given a priority")
    people = _counts(shapes, metric(around.buildings), distances.people_m)
    incidents = _counts(shapes, metric(around.incidents), distances.accidents_m)
    roads = _counts(shapes, metric(around.infrastructure), distances.infrastructure_m)
    waiting = _counts(shapes, metric(around.waiting), 0.0)
    risk = predicted_risk or {}
    out = []
    for i, a in enumerate(areas):
        values: dict[str, Raw] = {
            "people": float(people[i]),
            "accidents": float(incidents[i]),
            "reconstruction": float(waiting[i]),
            "infrastructure": float(roads[i] + _blockage_count(a.blockages)),
            "agriculture": a.land_use or None,
            "evidence": a.hazard_type or None,
            "predicted_risk": risk.get(a.area_id),
        }
        out.append(AreaFacts(a.area_id, values))
    return out
