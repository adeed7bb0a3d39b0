"""The report's map layers as GeoJSON, from a register's rows: hazard areas by status and
priority, land released by method, assets by damage grade and state; and the Natural Earth
outlines under them (vendored in ``safeground/static/basemap``).

``public`` generalises every hazard area still open to the centre of its
:data:`PUBLIC_GRID` cell (one point per cell, with the count of areas and the land left
there), leaves out the polygons of land released inside areas still open (they would draw
the hazard's edge) and the names of assets. Pure: no store, no I/O but the basemap file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence, Set
from functools import cache
from importlib import resources
from typing import Any

import shapely
from shapely.geometry import box, mapping
from shapely.geometry.base import BaseGeometry

from safeground.domain.model import OutcomeType
from safeground.reports.document import MapLayer

#: Degrees: ``public`` reports show hazards not yet released only as centres of cells
#: this wide (0.01° is about 1.1 km north-south, less east-west away from the equator).
PUBLIC_GRID = 0.01
#: A layer's rows (column -> value) and shapes, as ``Layer.records()`` and ``.shapes()``.
LayerRows = tuple[Sequence[Mapping[str, Any]], Sequence[BaseGeometry | None]]

HAZARD_COLOURS = {
    "open, priority (an asset waits for it)": "#b2182b",
    "open": "#f4a582",
    "closed (released)": "#878787",
}
PUBLIC_HAZARD = f"open: hazard areas in a {PUBLIC_GRID:g}° cell"
RELEASE_COLOURS = {
    "cancelled (non-technical survey)": "#a6d96a",
    "reduced (technical survey)": "#66bd63",
    "cleared (clearance)": "#1a9850",
}
DAMAGE_COLOURS = {
    "destroyed": "#40004b",
    "highly_damaged": "#762a83",
    "moderately_damaged": "#9970ab",
    "slightly_damaged": "#c2a5cf",
    "not_affected": "#e7d4e8",
    "unknown": "#bababa",
}


def _round(geom: BaseGeometry, digits: int = 6) -> dict[str, Any]:
    """GeoJSON of ``geom`` with coordinates rounded (6 decimals: about 0.1 m)."""
    rounded = shapely.set_precision(geom, 10**-digits, mode="pointwise")
    out: dict[str, Any] = json.loads(json.dumps(mapping(rounded)))
    return out


def _feature(
    geom: BaseGeometry, style: str, info: Mapping[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": _round(geom),
        "properties": {"style": style, "info": dict(info), **extra},
    }


def _snap(value: float) -> float:
    """``value`` on the public grid, printed with no more digits than the grid has."""
    digits = max(0, -math.floor(math.log10(PUBLIC_GRID)))
    return round(round(value / PUBLIC_GRID) * PUBLIC_GRID, digits)


def map_layers(
    areas: LayerRows, releases: LayerRows, assets: LayerRows, priority: Set[str], *, public: bool
) -> list[MapLayer]:
    """The map's three layers from the stored rows and shapes of the ``hazard_areas``,
    ``land_release`` and ``assets`` layers; ``priority`` names the open areas an asset
    waits for. ``public``: see the module."""
    hazards: list[dict[str, Any]] = []
    cells: dict[tuple[float, float], list[float]] = {}
    still_open: set[str] = set()
    for row, geom in zip(*areas, strict=True):
        if geom is None or geom.is_empty:
            continue
        area_id = str(row["area_id"])
        is_open = row["status"] == "open"
        if is_open:
            still_open.add(area_id)
        if is_open and public:
            c = geom.centroid
            cell = cells.setdefault((_snap(c.x), _snap(c.y)), [0, 0.0])
            cell[0] += 1
            cell[1] += float(row["remaining_m2"] or 0.0)
            continue
        if is_open:
            style = next(iter(HAZARD_COLOURS)) if area_id in priority else "open"
        else:
            style = "closed (released)"
        info = {
            "hazard area": area_id,
            "name": row["name"],
            "type": row["hazard_type"],
            "status": row["status"],
            "admin unit": row["admin_unit"],
            "recorded m²": f"{float(row['area_m2'] or 0):,.0f}",
            "remaining m²": f"{float(row['remaining_m2'] or 0):,.0f}",
        }
        hazards.append(_feature(geom, style, info))
    for (x, y), (n, left) in sorted(cells.items()):
        hazards.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [x, y]},
                "properties": {
                    "style": PUBLIC_HAZARD,
                    "info": {
                        f"{PUBLIC_GRID:g}° cell centred on": f"{y:.2f}, {x:.2f}",
                        "open hazard areas": n,
                        "remaining m²": f"{left:,.0f}",
                    },
                    "radius": 4 + 2 * math.sqrt(n),
                },
            }
        )
    hazard_legend = dict(HAZARD_COLOURS)
    if public:
        hazard_legend = {
            PUBLIC_HAZARD: "#b2182b",
            "closed (released)": HAZARD_COLOURS["closed (released)"],
        }
    released = []
    labels = dict(zip(OutcomeType, RELEASE_COLOURS, strict=True))
    for row, geom in zip(*releases, strict=True):
        if geom is None or (public and str(row["area_id"]) in still_open):
            continue
        info = {
            "hazard area": row["area_id"],
            "outcome": row["outcome"],
            "method": row["method"],
            "date": row["date"],
            "released m²": f"{float(row['released_m2'] or 0):,.0f}",
        }
        released.append(_feature(geom, labels[OutcomeType(str(row["outcome"]))], info))
    built = []
    for row, geom in zip(*assets, strict=True):
        if geom is None:
            continue
        info = {
            "asset": row["asset_id"],
            **({} if public else {"name": row["name"]}),
            "kind": row["kind"],
            "damage grade": row["damage_grade"],
            "state": row["state"],
        }
        grade = str(row["damage_grade"]) if row["damage_grade"] in DAMAGE_COLOURS else "unknown"
        built.append(_feature(geom, grade, info, faded=row["state"] == "rebuilt"))
    return [
        MapLayer("hazards", "Hazard areas", hazards, hazard_legend),
        MapLayer("released", "Land released", released, RELEASE_COLOURS),
        MapLayer("assets", "Assets to rebuild", built, DAMAGE_COLOURS),
    ]


def bounds(layers: Sequence[MapLayer]) -> tuple[float, float, float, float] | None:
    geoms = [shapely.geometry.shape(f["geometry"]) for layer in layers for f in layer.features]
    if not geoms:
        return None
    w, s, e, n = shapely.GeometryCollection(geoms).bounds
    pad = max(e - w, n - s, 0.01) * 0.05
    return (w - pad, s - pad, e + pad, n + pad)


@cache
def _countries() -> tuple[tuple[str, BaseGeometry], ...]:
    path = resources.files("safeground") / "static" / "basemap" / "countries-50m.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        (str(f["properties"].get("name", "")), shapely.geometry.shape(f["geometry"]))
        for f in data["features"]
    )


def basemap(bounds: tuple[float, float, float, float]) -> dict[str, Any]:
    """The Natural Earth country outlines around ``bounds`` (clipped, to keep the report
    small), as a GeoJSON FeatureCollection."""
    w, s, e, n = bounds
    pad = max(e - w, n - s) * 2 + 1.0
    window = box(w - pad, s - pad, e + pad, n + pad)
    features = []
    for name, geom in _countries():
        if not geom.intersects(window):
            continue
        clipped = shapely.clip_by_rect(geom, *window.bounds)
        if not clipped.is_empty:
            features.append(
                {"type": "Feature", "geometry": _round(clipped, 4), "properties": {"name": name}}
            )
    return {"type": "FeatureCollection", "features": features}
