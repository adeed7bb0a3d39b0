"""Geometry and projection maths, in Python (shapely, pyproj), never in a database.

Geometries are stored in WGS84 longitude/latitude (EPSG:4326). Every measurement in
metres or square metres is made in the UTM zone of the geometry's centroid, so that
an area is never computed in degrees.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry

WGS84 = 4326


class GeometryError(ValueError):
    """A geometry that cannot be used as it is, with the reason."""


def utm_epsg(lon: float, lat: float) -> int:
    """The EPSG code of the WGS84 UTM zone holding (lon, lat)."""
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise GeometryError(f"coordinates out of range: lon={lon}, lat={lat}")
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def metric_epsg(geom: BaseGeometry) -> int:
    """The projected CRS in which ``geom`` is measured: the UTM zone of its centroid."""
    c = geom.centroid
    return utm_epsg(c.x, c.y)


@lru_cache(maxsize=64)
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def transform(geom: BaseGeometry, src: int, dst: int) -> BaseGeometry:
    """``geom`` reprojected from EPSG ``src`` to EPSG ``dst`` (x = easting/longitude)."""
    if src == dst:
        return geom
    return shapely.transform(geom, _projector(src, dst))


def _projector(src: int, dst: int) -> Callable[[np.ndarray], np.ndarray]:
    tr = _transformer(src, dst)

    def _apply(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return _apply


def to_metric(geom: BaseGeometry, epsg: int) -> BaseGeometry:
    return transform(geom, WGS84, epsg)


def area_m2(geom: BaseGeometry, epsg: int | None = None) -> float:
    """Area of a WGS84 geometry in square metres, in ``epsg`` (default: its UTM zone)."""
    if geom.is_empty:
        return 0.0
    return float(to_metric(geom, epsg or metric_epsg(geom)).area)


def check_lonlat(geom: BaseGeometry) -> None:
    """Refuse coordinates that are not finite WGS84 longitude/latitude."""
    coords = shapely.get_coordinates(geom)
    if coords.size == 0:
        return
    if not np.isfinite(coords).all():
        raise GeometryError("coordinates are not finite numbers (NaN or infinite)")
    lon, lat = coords[:, 0], coords[:, 1]
    if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
        bad = coords[(np.abs(lon) > 180) | (np.abs(lat) > 90)][0]
        raise GeometryError(
            f"coordinate ({bad[0]}, {bad[1]}) is outside longitude -180..180 / latitude -90..90"
        )


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """A valid, non-empty polygonal geometry as a MultiPolygon, or GeometryError.

    A Polygon becomes a one-part MultiPolygon; coordinates are not changed. Invalid
    geometries are refused with shapely's reason, never repaired silently.
    """
    if geom is None or geom.is_empty:
        raise GeometryError("geometry is empty")
    if not isinstance(geom, Polygon | MultiPolygon):
        raise GeometryError(f"expected a Polygon or MultiPolygon, got {geom.geom_type}")
    check_lonlat(geom)
    if not geom.is_valid:
        raise GeometryError(f"invalid polygon: {shapely.is_valid_reason(geom)}")
    if isinstance(geom, Polygon):
        return shapely.multipolygons([geom])
    return geom


@dataclass(frozen=True)
class Measured:
    """A polygonal geometry as a hazard area keeps it: a valid MultiPolygon, the UTM
    zone it is measured in, and its area there."""

    geometry: MultiPolygon
    epsg: int
    area_m2: float


def measure(geom: BaseGeometry | None) -> Measured:
    """``geom`` checked by :func:`as_multipolygon` and measured in its UTM zone."""
    polygons = as_multipolygon(geom)
    epsg = metric_epsg(polygons)
    with np.errstate(invalid="ignore", over="ignore"):
        area = area_m2(polygons, epsg)
    if not math.isfinite(area):
        raise GeometryError(_TOO_WIDE)
    return Measured(polygons, epsg, area)


_TOO_WIDE = (
    "the polygon reaches too far from its centroid's UTM zone to be measured "
    "(its area is not a finite number); is it in longitude/latitude?"
)


def measure_many(geoms: Sequence[BaseGeometry | None]) -> list[Measured | GeometryError]:
    """:func:`measure` of each geometry, in array operations: the same values (a test
    checks), with each refusal as the GeometryError that :func:`measure` raises.

    Only geometries that pass every check at once (polygonal, not empty, finite
    coordinates in range, valid) take the array path; any other goes through
    :func:`measure` one by one, so that its refusal names the first rule it breaks.
    """
    array = np.empty(len(geoms), dtype=object)
    array[:] = list(geoms)
    out: list[Measured | GeometryError | None] = [None] * len(array)
    fast = np.isin(shapely.get_type_id(array), (3, 6)) & ~shapely.is_empty(array)
    candidates = np.flatnonzero(fast)
    coords, owner = shapely.get_coordinates(array[candidates], return_index=True)
    outside = ~np.isfinite(coords).all(axis=1)
    with np.errstate(invalid="ignore"):
        outside |= (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
    has_bad = np.bincount(owner[outside], minlength=len(candidates)) > 0
    candidates = candidates[~has_bad]
    candidates = candidates[shapely.is_valid(array[candidates])]
    chosen = np.zeros(len(array), dtype=bool)
    chosen[candidates] = True
    for i in np.flatnonzero(~chosen):
        try:
            out[i] = measure(array[i])
        except GeometryError as exc:
            out[i] = exc
    geoms_ok = array[candidates]
    single = shapely.get_type_id(geoms_ok) == 3
    multi = geoms_ok.copy()
    multi[single] = shapely.multipolygons(geoms_ok[single], indices=np.arange(single.sum()))
    centroids = shapely.centroid(multi)
    lon, lat = shapely.get_x(centroids), shapely.get_y(centroids)
    zone = np.minimum((lon + 180.0) // 6.0 + 1, 60).astype(int)
    epsgs = np.where(lat >= 0, 32600, 32700) + zone
    areas = np.empty(len(multi))
    with np.errstate(invalid="ignore", over="ignore"):
        for epsg in np.unique(epsgs):
            group = epsgs == epsg
            areas[group] = shapely.area(transform_many(multi[group], WGS84, int(epsg)))
    for i, geom, epsg, area in zip(candidates, multi, epsgs, areas, strict=True):
        finite = math.isfinite(area)
        out[i] = Measured(geom, int(epsg), float(area)) if finite else GeometryError(_TOO_WIDE)
    return out  # type: ignore[return-value]


def transform_many(geoms: np.ndarray, src: int, dst: int) -> np.ndarray:
    """:func:`transform` of an array of geometries, in one call to PROJ."""
    if src == dst:
        return geoms
    return shapely.transform(geoms, _projector(src, dst))  # type: ignore[no-any-return]


def as_point(geom: BaseGeometry) -> Point:
    if geom is None or geom.is_empty:
        raise GeometryError("geometry is empty")
    if not isinstance(geom, Point):
        raise GeometryError(f"expected a Point, got {geom.geom_type}")
    check_lonlat(geom)
    return geom


def from_geojson(obj: Any) -> BaseGeometry:
    """A shapely geometry from a GeoJSON geometry object (or a Feature holding one)."""
    if not isinstance(obj, Mapping):
        raise GeometryError("geometry must be a GeoJSON object")
    if obj.get("type") == "Feature":
        obj = obj.get("geometry")
        if not isinstance(obj, Mapping):
            raise GeometryError("the feature has no geometry")
    if obj.get("type") == "Polygon":
        polygon = _polygon(obj.get("coordinates"))
        if polygon is not None:
            return polygon
    try:
        # GEOS's own reader: strict about the structure, and names what is wrong
        geom = shapely.from_geojson(json.dumps(obj, allow_nan=True))
    except (TypeError, ValueError, shapely.errors.GEOSException) as exc:
        raise GeometryError(f"not a GeoJSON geometry: {exc}") from exc
    if geom is None:
        raise GeometryError("geometry is null")
    return geom


def _polygon(rings: Any) -> Polygon | None:
    """The fast path of :func:`from_geojson` for the common case: a polygon whose rings
    are closed lists of 2-D positions. None for anything else, which GEOS's reader then
    parses or refuses with its own message; nothing is ever closed or altered here."""
    if not isinstance(rings, list | tuple) or not rings:
        return None
    arrays = []
    for ring in rings:
        try:
            array = np.asarray(ring)
        except (TypeError, ValueError):
            return None
        # numbers only: numpy would quietly read "1.5" or true as a coordinate
        if array.dtype.kind not in "fi" or array.ndim != 2 or array.shape[1] != 2:
            return None
        if array.shape[0] < 4 or any(type(v) is bool for position in ring for v in position):
            return None
        array = array.astype(float, copy=False)
        if not (array[0] == array[-1]).all():
            return None
        arrays.append(array)
    if len(arrays) == 1:
        return shapely.polygons(arrays[0])
    holes = np.empty(len(arrays) - 1, dtype=object)
    holes[:] = [shapely.linearrings(a) for a in arrays[1:]]
    return shapely.polygons(arrays[0], holes=holes)


def to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    return dict(mapping(geom))


def to_geojson_many(geoms: Sequence[BaseGeometry]) -> list[dict[str, Any]]:
    """:func:`to_geojson` of each geometry, as JSON reads it back (lists for tuples; a
    test checks). Flat, finite, non-empty polygons and multipolygons are written from one
    coordinate array; any other geometry goes one by one."""
    array = np.empty(len(geoms), dtype=object)
    array[:] = list(geoms)
    types = shapely.get_type_id(array)
    flat = np.isin(types, (3, 6)) & ~shapely.is_empty(array) & ~shapely.has_z(array)
    flat[flat] = _finite(array[flat])
    parts, part_owner = shapely.get_parts(array[flat], return_index=True)
    # an empty polygon inside a multipolygon has no rings: that geometry goes one by one
    flat[np.flatnonzero(flat)[np.unique(part_owner[shapely.is_empty(parts)])]] = False
    chosen = np.flatnonzero(flat)
    parts, part_owner = shapely.get_parts(array[chosen], return_index=True)
    rings, ring_owner = shapely.get_rings(parts, return_index=True)
    coords, coord_owner = shapely.get_coordinates(rings, return_index=True)
    ring_list = _cut(coords.tolist(), coord_owner, len(rings))
    polygons = _cut(ring_list, ring_owner, len(parts))
    out: list[dict[str, Any]] = [
        {} if f else json.loads(json.dumps(to_geojson(g))) for g, f in zip(array, flat, strict=True)
    ]
    for i, own in zip(chosen.tolist(), _cut(polygons, part_owner, len(chosen)), strict=True):
        if types[i] == 3:
            out[i] = {"type": "Polygon", "coordinates": own[0]}
        else:
            out[i] = {"type": "MultiPolygon", "coordinates": own}
    return out


def _cut(items: list[Any], owner: np.ndarray, owners: int) -> list[list[Any]]:
    """``items`` (ordered by ``owner``) as one list per owner 0 .. ``owners`` - 1."""
    ends = np.cumsum(np.bincount(owner, minlength=owners)).tolist()
    return [items[start:end] for start, end in zip([0, *ends][:-1], ends, strict=True)]


def _finite(array: np.ndarray) -> np.ndarray:
    """Per geometry: whether all its coordinates (z too) are finite numbers."""
    bad = np.zeros(len(array), dtype=bool)
    everything = np.arange(len(array))
    with_z = np.flatnonzero(shapely.has_z(array))
    for rows, include_z in ((everything, False), (with_z, True)):
        coords, owner = shapely.get_coordinates(array[rows], include_z=include_z, return_index=True)
        bad[rows[np.unique(owner[~np.isfinite(coords).all(axis=1)])]] = True
    return ~bad


def rectangle(lon: float, lat: float, width_m: float, height_m: float) -> Polygon:
    """A WGS84 rectangle of about ``width_m`` x ``height_m`` with its south-west corner at
    (lon, lat); a convenience for examples, benchmarks and tests."""
    dlat = height_m / 111_320.0
    dlon = width_m / (111_320.0 * math.cos(math.radians(lat)))
    return Polygon([(lon, lat), (lon + dlon, lat), (lon + dlon, lat + dlat), (lon, lat + dlat)])
