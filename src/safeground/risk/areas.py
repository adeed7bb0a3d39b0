"""From scored grid cells to the register's hazard areas: each area's predicted risk.

An area is as likely to hold mines as its most likely part, so an area takes the highest
risk of the cells whose centre lies in it. An area too small to hold a cell centre takes the
nearest cell's risk when that centre is within ``max_distance_m`` (about one grid spacing);
an area with no cell that near gets no value: its risk is unknown, never 0. Distances are
measured in the UTM zone of the areas' extent (:func:`safeground.geometry.metric_epsg`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from safeground.geometry import WGS84, metric_epsg, transform_many


@dataclass(frozen=True)
class AreaRisk:
    """An area's predicted risk, and what it rests on: the number of cell centres inside
    the area, or (when there are none) the distance to the nearest cell centre used."""

    area_id: str
    risk: float
    cells: int
    nearest_m: float | None = None


def area_risks(
    areas: Sequence[tuple[str, BaseGeometry]],
    lon: np.ndarray,
    lat: np.ndarray,
    risk: np.ndarray,
    *,
    max_distance_m: float = 1000.0,
) -> list[AreaRisk]:
    """The predicted risk of each of ``areas`` (id, lon/lat geometry) that has a scored
    cell (centre ``lon``, ``lat``; probability ``risk``) inside or within
    ``max_distance_m``, in the order of ``areas`` (see the module docstring).

    Raises ValueError when the cell arrays differ in length or a risk is not in [0, 1].
    """
    if not len(lon) == len(lat) == len(risk):
        raise ValueError("cell longitudes, latitudes and risks differ in length")
    if len(risk) and not ((risk >= 0.0) & (risk <= 1.0)).all():
        raise ValueError("every cell risk must be a probability in [0, 1]")
    if not areas or not len(risk):
        return []
    shapes = np.array([geom for _, geom in areas], dtype=object)
    epsg = metric_epsg(shapely.union_all([g.envelope for g in shapes]))
    shapes = transform_many(shapes, WGS84, epsg)
    cells = transform_many(shapely.points(lon, lat), WGS84, epsg)
    tree = shapely.STRtree(cells)
    area_of, cell_of = tree.query(shapes, predicate="intersects")
    best = np.full(len(areas), -1.0)
    np.maximum.at(best, area_of, risk[cell_of])
    count = np.bincount(area_of, minlength=len(areas))
    out: dict[int, AreaRisk] = {
        int(i): AreaRisk(areas[i][0], float(best[i]), int(count[i])) for i in np.unique(area_of)
    }
    bare = np.flatnonzero(count == 0)
    if len(bare):
        pairs, dist = tree.query_nearest(
            shapes[bare], max_distance=max_distance_m, return_distance=True, all_matches=True
        )
        for (j, cell), d in zip(pairs.T, dist, strict=True):
            i = int(bare[j])
            if i not in out or risk[cell] > out[i].risk:
                out[i] = AreaRisk(areas[i][0], float(risk[cell]), 0, float(d))
    return [out[i] for i in sorted(out)]
