"""Geometry and projection maths, in Python (shapely, pyproj), never in a database.

Geometries are stored in WGS84 longitude/latitude (EPSG:4326). Every measurement in
metres or square metres is made in the UTM zone of the geometry's centroid, so that
an area is never computed in degrees.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
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
    tr = _transformer(src, dst)

    def _apply(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, _apply)


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


def rectangle(lon: float, lat: float, width_m: float, height_m: float) -> Polygon:
    """A WGS84 rectangle of about ``width_m`` x ``height_m`` with its south-west corner at
    (lon, lat); a convenience for examples, benchmarks and tests."""
    dlat = height_m / 111_320.0
    dlon = width_m / (111_320.0 * math.cos(math.radians(lat)))
    return Polygon([(lon, lat), (lon + dlon, lat), (lon + dlon, lat + dlat), (lon, lat + dlat)])
