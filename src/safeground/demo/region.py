"""A seeded synthetic border region: hazard areas along a former front line, villages with
damaged buildings and roads between them. Pure: numpy and shapely, no I/O.

The orders of magnitude follow published figures, stated where they are used:

- hazard areas cluster within a few kilometres of the former line of contact, densest
  near it (contamination follows the fighting); sizes are log-normal with a median of
  30,000 m² and a long tail up to 60 ha, the range of suspected hazardous areas reported in
  land-release surveys;
- about two thirds are suspected (SHA), one third confirmed (CHA);
- land use is mostly farmland, then forest and pasture, as in the rural border oblasts of
  eastern Ukraine;
- villages sit every few kilometres along the line; the nearer a village is to the line,
  the heavier its damage (the damage grades of the Copernicus EMS scale);
- roads join neighbouring villages, their damage following the villages'.

Everything is drawn from one ``numpy.random.Generator`` seeded by ``seed``: the same seed
gives the same region. Coordinates are illustrative, not a real place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from safeground.geometry import to_geojson
from safeground.planning.synthetic import PROGRAMME_TEAMS

#: The former line of contact: from (36.0, 48.8) to (38.4, 50.2), WGS84.
LINE = ((36.0, 48.8), (38.4, 50.2))
LAND_USE = (("agriculture", 0.6), ("forest", 0.2), ("pasture", 0.15), ("residential", 0.05))
GRADES = ("destroyed", "highly_damaged", "moderately_damaged", "slightly_damaged", "not_affected")


@dataclass(frozen=True)
class Region:
    """GeoJSON FeatureCollections ready for ``safeground import`` (kinds hazard-areas and
    assets), and the teams to register."""

    hazard_areas: dict[str, Any]
    assets: dict[str, Any]
    teams: dict[str, int]  # team type -> teams


def _metres(lat: float) -> tuple[float, float]:
    """Degrees per metre east and north at ``lat``."""
    return 1 / (111_320.0 * math.cos(math.radians(lat))), 1 / 111_320.0


def _blob(rng: np.random.Generator, lon: float, lat: float, area_m2: float) -> Polygon:
    """An irregular star-shaped polygon of about ``area_m2`` around (lon, lat)."""
    n = int(rng.integers(7, 15))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radius = math.sqrt(area_m2 / math.pi)
    radii = radius * rng.uniform(0.75, 1.2, n)
    dx, dy = _metres(lat)
    ring = np.column_stack([lon + radii * np.cos(angles) * dx, lat + radii * np.sin(angles) * dy])
    polygon = Polygon(ring)
    return polygon if polygon.is_valid else shapely.convex_hull(polygon)


def _feature(geom: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": to_geojson(geom)}


def generate(
    *, areas: int = 1_200, villages: int = 24, seed: int = 2025, teams_scale: float = 1.0
) -> Region:
    """A region of ``areas`` hazard areas and ``villages`` villages (see the module
    docstring); ``teams_scale`` multiplies the registered teams (the base is a programme of
    about 6,000 people)."""
    if areas < 1 or villages < 2:
        raise ValueError("a region needs at least 1 hazard area and 2 villages")
    rng = np.random.default_rng(seed)
    (x0, y0), (x1, y1) = LINE
    along = rng.uniform(0, 1, areas)
    # distance from the line in km: most within 2 km, a tail to 10 km
    across_km = rng.normal(0, 1, areas) * rng.choice([1.0, 3.5], areas, p=[0.75, 0.25])
    normal = np.array([-(y1 - y0), x1 - x0]) / math.hypot(x1 - x0, y1 - y0)
    sizes = np.minimum(rng.lognormal(math.log(30_000), 1.1, areas), 600_000)
    uses = [use for use, _ in LAND_USE]
    land_use = rng.choice(uses, areas, p=[share for _, share in LAND_USE])
    hazard = rng.choice(["SHA", "CHA"], areas, p=[2 / 3, 1 / 3])
    features = []
    for i in range(areas):
        lon = x0 + along[i] * (x1 - x0) + normal[0] * across_km[i] / 75.0
        lat = y0 + along[i] * (y1 - y0) + normal[1] * across_km[i] / 111.0
        geom = _blob(rng, lon, lat, float(sizes[i]))
        features.append(
            _feature(
                geom,
                name=f"Area {i + 1}",
                hazard_type=str(hazard[i]),
                land_use=str(land_use[i]),
                admin_unit=f"Hromada {1 + int(along[i] * 12)}",
                evidence="community report" if hazard[i] == "SHA" else "mine found",
            )
        )
    assets = []
    centres = []
    for v in range(villages):
        t = (v + 0.5) / villages
        offset_km = float(rng.uniform(-6, 6))
        lon = x0 + t * (x1 - x0) + normal[0] * offset_km / 75.0
        lat = y0 + t * (y1 - y0) + normal[1] * offset_km / 111.0
        centres.append((lon, lat))
        heavy = math.exp(-abs(offset_km) / 3.0)  # damage falls away from the line
        p = np.array([0.25 * heavy, 0.2 * heavy, 0.15, 0.2, 0.4 - 0.2 * heavy])
        p = np.clip(p, 0.01, None)
        dx, dy = _metres(lat)
        for b in range(int(rng.integers(10, 40))):
            bx = lon + rng.normal(0, 250) * dx
            by = lat + rng.normal(0, 250) * dy
            side = float(rng.uniform(8, 20))
            footprint = shapely.box(bx, by, bx + side * dx, by + side * dy)
            assets.append(
                _feature(
                    footprint,
                    name=f"Village {v + 1} building {b + 1}",
                    kind="building",
                    damage_grade=str(rng.choice(GRADES, p=p / p.sum())),
                    admin_unit=f"Hromada {1 + int(t * 12)}",
                )
            )
    for v in range(villages - 1):
        road = LineString([centres[v], centres[v + 1]])
        assets.append(
            _feature(
                road,
                name=f"Road {v + 1}-{v + 2}",
                kind="road",
                damage_grade=str(rng.choice(GRADES[:4])),
                admin_unit=f"Hromada {1 + int((v + 1) / villages * 12)}",
            )
        )
    teams = {k: max(1, round(n * teams_scale)) for k, n in PROGRAMME_TEAMS.items()}
    return Region(
        {"type": "FeatureCollection", "features": features},
        {"type": "FeatureCollection", "features": assets},
        teams,
    )
