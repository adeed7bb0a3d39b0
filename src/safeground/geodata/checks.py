"""Geometry checks for register records, after the GICHD geocheck rules for IMSMA, and more.

:func:`check_geometries` takes ``(record_id, geometry)`` pairs in WGS84 longitude/latitude
and returns :class:`Finding` values; :func:`repair` fixes the few problems that can be
fixed without a person deciding anything. Nothing here does I/O.

The rules, by their stable names (:class:`Rule`):

=========================  ========  ===========================================================
rule                       severity  what it finds
=========================  ========  ===========================================================
empty-geometry             error     no geometry, or an empty one
coordinates-out-of-range   error     a coordinate not finite, or outside lon -180..180 / lat -90..90
swapped-lat-lon            warning   coordinates that make sense only as (lat, lon): out of range
                                     as they are but in range swapped, or (given an expected
                                     extent) outside it as they are but inside it swapped
coordinate-sign-error      warning   a record outside the admin unit it claims (or, with no admin
                                     units given, outside the expected extent) that lies inside
                                     it with its longitude, its latitude or both negated
invalid-polygon            error     a polygon that is not valid, with shapely's reason
too-few-vertices           error     a polygon ring with fewer than 3 distinct vertices
duplicate-vertices         warning   the same vertex twice in a row (fixable)
long-edge                  warning   consecutive vertices further apart than ``long_edge_m``
                                     (geodesic metres): a typo in one coordinate, usually
duplicate-geometry         error     records with identical geometry (same shape whatever the
                                     start vertex or ring direction)
overlap                    warning   polygons whose interiors overlap by more than
                                     ``area_tolerance_m2``
outside-admin-unit         error or  a record not inside the admin unit it claims: error when
                           warning   wholly outside, warning when partly (a polygon's spill
                                     counts only above ``area_tolerance_m2``)
outside-all-admin-units    error     a record that touches none of the admin units given
unknown-admin-unit         error     a record claiming an admin code that is not given
=========================  ========  ===========================================================

An *error* means the geometry cannot be right as recorded; a *warning* that it may be right
but needs a person to look. ``fixable`` is True exactly when :func:`repair` would fix the
record. Distances are geodesic metres on the WGS84 ellipsoid (:class:`pyproj.Geod`); areas
are square metres in the UTM zone of the piece measured; nothing is measured in degrees.

Records whose coordinates are out of range are reported for that and skipped by the rules
that measure; invalid polygons are skipped by the overlap, admin-unit and sign rules (GEOS
overlays are not defined on them).

"Inside" a unit or extent means what outside-admin-unit accepts: covered by it, or, for an
area, spilling over it by at most ``area_tolerance_m2``. coordinate-sign-error looks only at
records already outside (those outside-admin-unit reports, or those outside the extent),
tries the longitude negated, then the latitude, then both, and reports the first that lands
inside; a record swapped-lat-lon flags is left to that rule. Admin unit names may be matched
loosely (:func:`admin_key`: case, accents, spaces and punctuation ignored), as the names
records give seldom match the boundary layer's letter for letter.
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeAlias

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from safeground.geometry import WGS84, GeometryError, check_lonlat, to_metric, utm_epsg

Array = np.ndarray[Any, Any]


class Rule(StrEnum):
    """The stable names of the checks, in the order findings are listed for a record."""

    EMPTY_GEOMETRY = "empty-geometry"
    COORDINATES_OUT_OF_RANGE = "coordinates-out-of-range"
    SWAPPED_LAT_LON = "swapped-lat-lon"
    SIGN_ERROR = "coordinate-sign-error"
    INVALID_POLYGON = "invalid-polygon"
    TOO_FEW_VERTICES = "too-few-vertices"
    DUPLICATE_VERTICES = "duplicate-vertices"
    LONG_EDGE = "long-edge"
    DUPLICATE_GEOMETRY = "duplicate-geometry"
    OVERLAP = "overlap"
    OUTSIDE_ADMIN_UNIT = "outside-admin-unit"
    OUTSIDE_ALL_ADMIN_UNITS = "outside-all-admin-units"
    UNKNOWN_ADMIN_UNIT = "unknown-admin-unit"


class Severity(StrEnum):
    ERROR = "error"  # the geometry cannot be right as recorded
    WARNING = "warning"  # it may be right, but a person should look


@dataclass(frozen=True)
class Finding:
    """One problem of one record.

    ``related_ids`` names the other records involved (the duplicate, the overlapping area);
    ``measure`` is the number the rule judged, in the unit its message states (metres for
    edges, square metres for overlaps and spills), or None.
    """

    record_id: str
    rule: Rule
    severity: Severity
    message: str
    fixable: bool = False
    related_ids: tuple[str, ...] = ()
    measure: float | None = None


#: Default longest plausible edge between consecutive vertices, in metres. Hazard areas
#: are hundreds of metres across; an edge of kilometres is nearly always one mistyped digit.
DEFAULT_LONG_EDGE_M = 5_000.0
#: Default area below which an overlap or a spill over an admin boundary is ignored, in m²:
#: digitising slips along a shared boundary, smaller than land is ever released in.
DEFAULT_AREA_TOLERANCE_M2 = 1.0
#: Default largest relative change of area :func:`repair` accepts from ``make_valid``: 0.1 %,
#: 10 m² on a one-hectare area, well inside the uncertainty of a GNSS-walked boundary
#: (a 3 m error round a 400 m perimeter is about 1,200 m²).
DEFAULT_MAX_AREA_CHANGE = 0.001

_GEOD = Geod(ellps="WGS84")
_RULE_ORDER = {rule: i for i, rule in enumerate(Rule)}
_ADMIN_RULES = frozenset(
    {Rule.OUTSIDE_ADMIN_UNIT, Rule.OUTSIDE_ALL_ADMIN_UNITS, Rule.UNKNOWN_ADMIN_UNIT}
)
# shapely type ids
_LINESTRING, _LINEARRING, _POLYGON = 1, 2, 3
_MULTIPOLYGON = 6

Extent: TypeAlias = tuple[float, float, float, float] | BaseGeometry
# The sign flips coordinate-sign-error tries, in this order: (x factor, y factor, what).
_FLIPS = (
    (-1.0, 1.0, "longitude sign looks wrong"),
    (1.0, -1.0, "latitude sign looks wrong"),
    (-1.0, -1.0, "longitude and latitude signs look wrong"),
)


def admin_key(name: str) -> str:
    """``name`` reduced for matching admin unit names spelt differently: upper case,
    accents dropped (Unicode NFKD), every character that is not a letter or digit removed.

    >>> admin_key("Bogotá D.C."), admin_key("BOGOTA DC"), admin_key("NARIÑO")
    ('BOGOTADC', 'BOGOTADC', 'NARINO')
    """
    return "".join(c for c in unicodedata.normalize("NFKD", name).upper() if c.isalnum())


@lru_cache(maxsize=64)
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def _utm_epsgs(lon: Array, lat: Array) -> Array:
    """Vectorised :func:`safeground.geometry.utm_epsg` (same zones, same rule at 180°)."""
    zone = np.minimum(np.floor((lon + 180.0) / 6.0).astype(np.int64) + 1, 60)
    return np.where(lat >= 0, 32600, 32700) + zone


def _areas_m2(geoms: Array) -> Array:
    """Area in m² of each geometry, each in the UTM zone of its own centroid."""
    out = np.zeros(len(geoms))
    if len(geoms) == 0:
        return out
    centroids = shapely.centroid(geoms)
    lon, lat = shapely.get_x(centroids), shapely.get_y(centroids)
    ok = ~shapely.is_empty(geoms) & np.isfinite(lon) & np.isfinite(lat)
    epsgs = np.zeros(len(geoms), dtype=np.int64)
    epsgs[ok] = _utm_epsgs(lon[ok], lat[ok])
    for epsg in np.unique(epsgs[ok]):
        sel = ok & (epsgs == epsg)
        tr = _transformer(WGS84, int(epsg))

        def _to_utm(coords: Array, tr: Transformer = tr) -> Array:
            x, y = tr.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        out[sel] = shapely.area(shapely.transform(geoms[sel], _to_utm))
    return out


def _swap_xy(coords: Array) -> Array:
    return np.ascontiguousarray(coords[:, ::-1])


@dataclass(frozen=True)
class _Batch:
    """The records as arrays, with the masks every rule starts from."""

    ids: tuple[str, ...]
    geoms: Array  # object array; None where a record has no geometry
    present: Array  # a non-empty geometry
    in_range: Array  # present, every coordinate finite and in lon/lat range
    polygonal: Array  # Polygon or MultiPolygon
    valid: Array  # in range and shapely-valid


def _batch(records: Iterable[tuple[str, BaseGeometry | None]]) -> _Batch:
    ids: list[str] = []
    items: list[BaseGeometry | None] = []
    for record_id, geom in records:
        ids.append(str(record_id))
        items.append(geom)
    geoms = np.empty(len(items), dtype=object)
    geoms[:] = items
    not_geometry = ~shapely.is_valid_input(geoms)
    if not_geometry.any():
        bad = [ids[i] for i in np.flatnonzero(not_geometry)[:5]]
        raise TypeError(f"not shapely geometries (records {', '.join(bad)})")
    present = shapely.is_geometry(geoms) & ~shapely.is_empty(geoms)
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    with np.errstate(invalid="ignore"):
        bad_coord = ~np.isfinite(coords).all(axis=1) | (np.abs(coords[:, 0]) > 180.0)
        bad_coord |= np.abs(coords[:, 1]) > 90.0
    in_range = present.copy()
    in_range[np.unique(index[bad_coord])] = False
    type_ids = shapely.get_type_id(geoms)
    polygonal = (type_ids == _POLYGON) | (type_ids == _MULTIPOLYGON)
    valid = np.zeros(len(geoms), dtype=bool)
    valid[in_range] = shapely.is_valid(geoms[in_range])
    return _Batch(tuple(ids), geoms, present, in_range, polygonal, valid)


_Found = list[tuple[int, Finding]]


def _empty(b: _Batch) -> _Found:
    return [
        (int(i), Finding(b.ids[i], Rule.EMPTY_GEOMETRY, Severity.ERROR, "no geometry"))
        for i in np.flatnonzero(~b.present)
    ]


def _out_of_range(b: _Batch) -> _Found:
    found: _Found = []
    for i in np.flatnonzero(b.present & ~b.in_range):
        coords = shapely.get_coordinates(b.geoms[i])
        bad = ~np.isfinite(coords).all(axis=1)
        with np.errstate(invalid="ignore"):
            bad |= (np.abs(coords[:, 0]) > 180.0) | (np.abs(coords[:, 1]) > 90.0)
        x, y = coords[bad][0]
        message = (
            f"{int(bad.sum())} coordinate(s) outside longitude -180..180 / latitude "
            f"-90..90 or not finite, first ({x}, {y})"
        )
        found.append(
            (int(i), Finding(b.ids[i], Rule.COORDINATES_OUT_OF_RANGE, Severity.ERROR, message))
        )
    return found


def _extent_geometry(extent: Extent) -> BaseGeometry:
    if isinstance(extent, BaseGeometry):
        if extent.is_empty or not extent.is_valid:
            raise GeometryError("the expected extent must be a valid, non-empty geometry")
        return extent
    minx, miny, maxx, maxy = (float(v) for v in extent)
    if not (minx < maxx and miny < maxy):
        raise GeometryError(f"expected extent {extent} is not (min_lon, min_lat, max_lon, max_lat)")
    return shapely.box(minx, miny, maxx, maxy)


def _swap_explains(geoms: Array, swapped: Array, region: BaseGeometry) -> Array:
    """Outside ``region`` as recorded, wholly inside it once x and y are swapped."""
    shapely.prepare(region)
    explained: Array = ~shapely.intersects(region, geoms) & shapely.covers(region, swapped)
    return explained


def _swapped(b: _Batch, extent: Extent | None) -> _Found:
    candidates = np.flatnonzero(b.present)
    if len(candidates) == 0:
        return []
    geoms = b.geoms[candidates]
    swapped = shapely.transform(geoms, _swap_xy)
    # Out of range as recorded, in range once swapped.
    coords, index = shapely.get_coordinates(swapped, return_index=True)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(coords).all(axis=1) | (np.abs(coords[:, 0]) > 180.0)
        bad |= np.abs(coords[:, 1]) > 90.0
    swapped_ok = np.ones(len(candidates), dtype=bool)
    swapped_ok[np.unique(index[bad])] = False
    range_hint = swapped_ok & ~b.in_range[candidates]
    # Outside the expected extent as recorded, wholly inside it once swapped.
    extent_hint = np.zeros(len(candidates), dtype=bool)
    if extent is not None:
        extent_hint = _swap_explains(geoms, swapped, _extent_geometry(extent))
    found: _Found = []
    for k in np.flatnonzero(range_hint | extent_hint):
        i = int(candidates[k])
        why = (
            "outside the expected extent as recorded but inside it"
            if extent_hint[k]
            else "out of longitude/latitude range as recorded but in range"
        )
        message = f"coordinates look like (latitude, longitude): {why} with x and y swapped"
        found.append((i, Finding(b.ids[i], Rule.SWAPPED_LAT_LON, Severity.WARNING, message)))
    return found


def _repairable(geom: BaseGeometry, max_area_change: float) -> bool:
    try:
        repair(geom, max_area_change=max_area_change)
    except GeometryError:
        return False
    return True


def _invalid(b: _Batch, max_area_change: float) -> _Found:
    idx = np.flatnonzero(b.in_range & b.polygonal & ~b.valid)
    if len(idx) == 0:
        return []
    reasons = shapely.is_valid_reason(b.geoms[idx])
    return [
        (
            int(i),
            Finding(
                b.ids[i],
                Rule.INVALID_POLYGON,
                Severity.ERROR,
                f"invalid polygon: {reason}",
                fixable=_repairable(b.geoms[i], max_area_change),
            ),
        )
        for i, reason in zip(idx, reasons, strict=True)
    ]


@dataclass(frozen=True)
class _Paths:
    """Every ring and line of the measurable records, flattened to coordinates."""

    coords: Array  # (n, 2) lon/lat
    path: Array  # which path each coordinate belongs to
    path_record: Array  # the record index of each path
    ring_paths: Array  # indices of the paths that are polygon rings
    rings: Array  # those rings, as geometries


def _paths(b: _Batch) -> _Paths:
    records = np.flatnonzero(b.in_range)
    parts, part_of = shapely.get_parts(b.geoms[records], return_index=True)
    part_record = records[part_of]
    types = shapely.get_type_id(parts)
    while (types >= 4).any():  # a collection holding multi-part geometries: open them too
        parts, part_of = shapely.get_parts(parts, return_index=True)
        part_record = part_record[part_of]
        types = shapely.get_type_id(parts)
    is_poly = types == _POLYGON
    rings, ring_of = shapely.get_rings(parts[is_poly], return_index=True)
    is_line = (types == _LINESTRING) | (types == _LINEARRING)
    paths = np.concatenate([rings, parts[is_line]])
    path_record = np.concatenate([part_record[is_poly][ring_of], part_record[is_line]])
    coords, path = shapely.get_coordinates(paths, return_index=True)
    return _Paths(coords, path, path_record, np.arange(len(rings)), rings)


def _edges(p: _Paths) -> tuple[Array, Array]:
    """(start index into coords, record index) of every edge."""
    start = np.flatnonzero(p.path[1:] == p.path[:-1])
    return start, p.path_record[p.path[start]]


#: On the WGS84 ellipsoid a geodesic is within 0.6 % of the great circle between the same
#: points on a sphere of the mean radius; an edge 1 % shorter on the sphere is short.
_SPHERE_M = 6_371_008.8
_SPHERE_SLACK = 0.99


def _geodesic_over(coords: Array, start: Array, limit_m: float) -> tuple[Array, Array]:
    """The edges (indices into ``start``) longer than ``limit_m`` on the ellipsoid, and
    their geodesic lengths: only edges near or over the limit on the sphere are measured
    on the ellipsoid."""
    lon1, lat1 = np.radians(coords[start, 0]), np.radians(coords[start, 1])
    lon2, lat2 = np.radians(coords[start + 1, 0]), np.radians(coords[start + 1, 1])
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    sphere = 2 * _SPHERE_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    near = np.flatnonzero(sphere > limit_m * _SPHERE_SLACK)
    a, z = coords[start[near]], coords[start[near] + 1]
    _, _, length = _GEOD.inv(a[:, 0], a[:, 1], z[:, 0], z[:, 1])
    length = np.asarray(length, dtype=float)
    over = length > limit_m
    return near[over], length[over]


def _too_few_vertices(b: _Batch, p: _Paths) -> _Found:
    if len(p.rings) == 0:
        return []
    # A ring with fewer than 3 distinct vertices encloses no area, so only rings of zero
    # area need their distinct vertices counted.
    flat = np.flatnonzero(shapely.area(shapely.polygons(p.rings)) == 0.0)
    if len(flat) == 0:
        return []
    coords, ring_of = shapely.get_coordinates(p.rings[flat], return_index=True)
    unique_rows = np.unique(np.column_stack([ring_of, coords]), axis=0)
    distinct = np.bincount(unique_rows[:, 0].astype(np.int64), minlength=len(flat))
    worst: dict[int, int] = {}
    for k in np.flatnonzero(distinct < 3):
        record = int(p.path_record[p.ring_paths[flat[k]]])
        worst[record] = min(worst.get(record, 3), int(distinct[k]))
    return [
        (
            i,
            Finding(
                b.ids[i],
                Rule.TOO_FEW_VERTICES,
                Severity.ERROR,
                f"a ring has {n} distinct vertices; a polygon ring needs at least 3",
                measure=float(n),
            ),
        )
        for i, n in sorted(worst.items())
    ]


def _duplicate_vertices(
    b: _Batch, p: _Paths, edges: tuple[Array, Array], max_area_change: float
) -> _Found:
    start, record = edges
    if len(start) == 0:
        return []
    dup = (p.coords[start] == p.coords[start + 1]).all(axis=1)
    counts: dict[int, int] = defaultdict(int)
    first: dict[int, Array] = {}
    for k in np.flatnonzero(dup):
        i = int(record[k])
        counts[i] += 1
        first.setdefault(i, p.coords[start[k]])
    found: _Found = []
    for i, n in sorted(counts.items()):
        # Dropping exact repeats never changes the topology of a valid geometry, so only
        # an invalid one needs a trial repair to know.
        fixable = bool(b.valid[i]) or _repairable(b.geoms[i], max_area_change)
        x, y = first[i]
        message = f"{n} vertex/vertices repeating the one before, first at ({x:.6f}, {y:.6f})"
        found.append(
            (
                i,
                Finding(
                    b.ids[i],
                    Rule.DUPLICATE_VERTICES,
                    Severity.WARNING,
                    message,
                    fixable=fixable,
                    measure=float(n),
                ),
            )
        )
    return found


def _long_edges(b: _Batch, p: _Paths, edges: tuple[Array, Array], limit_m: float) -> _Found:
    start, record = edges
    long_, lengths = _geodesic_over(p.coords, start, limit_m)
    worst: dict[int, tuple[float, int, int]] = {}  # record -> (longest, count, coord index)
    for k, length in zip(long_.tolist(), lengths.tolist(), strict=True):
        i = int(record[k])
        longest, count, at = worst.get(i, (0.0, 0, 0))
        if length > longest:
            longest, at = length, int(start[k])
        worst[i] = (longest, count + 1, at)
    found: _Found = []
    for i, (longest, count, at) in sorted(worst.items()):
        (x1, y1), (x2, y2) = p.coords[at], p.coords[at + 1]
        message = (
            f"{count} edge(s) longer than {limit_m:,.0f} m; the longest, {longest:,.0f} m, "
            f"runs from ({x1:.6f}, {y1:.6f}) to ({x2:.6f}, {y2:.6f})"
        )
        found.append(
            (i, Finding(b.ids[i], Rule.LONG_EDGE, Severity.WARNING, message, measure=longest))
        )
    return found


def _duplicate_groups(b: _Batch) -> tuple[dict[int, tuple[int, ...]], Array]:
    """Identical geometries: record index -> the indices of its group (itself included),
    for records in a group of two or more; and a group number for every record."""
    idx = np.flatnonzero(b.present)
    # normalize() fixes the start vertex, ring direction and part order, so one WKB per shape.
    keys = shapely.to_wkb(shapely.normalize(b.geoms[idx]))
    by_key: dict[bytes, list[int]] = defaultdict(list)
    for i, key in zip(idx, keys, strict=True):
        by_key[key].append(int(i))
    group_of = np.arange(len(b.geoms))
    groups: dict[int, tuple[int, ...]] = {}
    for members in by_key.values():
        if len(members) > 1:
            group_of[members] = members[0]
            groups.update({i: tuple(members) for i in members})
    return groups, group_of


def _duplicate_geometry(b: _Batch, groups: Mapping[int, tuple[int, ...]]) -> _Found:
    found: _Found = []
    for i, group in sorted(groups.items()):
        others = tuple(b.ids[j] for j in group if j != i)
        message = f"geometry identical to record(s) {', '.join(others)}"
        found.append(
            (
                i,
                Finding(
                    b.ids[i],
                    Rule.DUPLICATE_GEOMETRY,
                    Severity.ERROR,
                    message,
                    related_ids=others,
                ),
            )
        )
    return found


def _overlaps(b: _Batch, group_of: Array, tolerance_m2: float) -> _Found:
    idx = np.flatnonzero(b.polygonal & b.valid)
    if len(idx) < 2:
        return []
    geoms = b.geoms[idx]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    # Identical geometries are reported as duplicates, not as overlaps too.
    dup = group_of[idx[left]] == group_of[idx[right]]
    left, right = left[~dup], right[~dup]
    # Interiors meet (not just boundaries touching): DE-9IM interior/interior is non-empty.
    inner = shapely.relate_pattern(geoms[left], geoms[right], "T********")
    left, right = left[inner], right[inner]
    areas = _areas_m2(shapely.intersection(geoms[left], geoms[right]))
    found: _Found = []
    for q, r, area in zip(left, right, areas, strict=True):
        if area <= tolerance_m2:
            continue
        a, z = int(idx[q]), int(idx[r])
        for this, other in ((a, z), (z, a)):
            message = f"overlaps record {b.ids[other]} by {area:,.1f} m²"
            found.append(
                (
                    this,
                    Finding(
                        b.ids[this],
                        Rule.OVERLAP,
                        Severity.WARNING,
                        message,
                        related_ids=(b.ids[other],),
                        measure=float(area),
                    ),
                )
            )
    return found


@dataclass(frozen=True)
class _Containment:
    """How each geometry lies against its own region (the arrays are aligned)."""

    outside: Array  # not covered by the region
    touching: Array  # intersects the region
    areal: Array  # outside, and an area
    spill: Array  # for the areal ones, m² outside the region (0 elsewhere)
    beyond: Array  # outside, and not an area spilling over by at most the tolerance


def _containment(geoms: Array, regions: Array, tolerance_m2: float) -> _Containment:
    # regions first: a prepared region makes the predicate cheap for every geometry in it.
    outside = ~shapely.covers(regions, geoms)
    touching = ~outside
    touching[outside] = shapely.intersects(regions[outside], geoms[outside])
    areal = outside & (shapely.get_dimensions(geoms) == 2)
    spill = np.zeros(len(geoms))
    spill[areal] = _areas_m2(shapely.difference(geoms[areal], regions[areal]))
    beyond = outside & ~(areal & touching & (spill <= tolerance_m2))
    return _Containment(outside, touching, areal, spill, beyond)


@dataclass(frozen=True)
class _Claims:
    """The records claiming an admin unit that is given, and how they lie against it."""

    records: Array  # record indices
    claims: tuple[str, ...]  # the claim as recorded
    units: Array  # the geometry of the unit claimed
    where: _Containment


def _admin(
    b: _Batch,
    admin_units: Mapping[str, BaseGeometry],
    claimed: Mapping[str, str | None],
    tolerance_m2: float,
    rules: set[Rule],
    match_names: bool,
) -> tuple[_Found, _Claims]:
    codes = list(admin_units)
    units = np.empty(len(codes), dtype=object)
    units[:] = [admin_units[c] for c in codes]
    usable_units = shapely.is_geometry(units) & ~shapely.is_empty(units)
    usable_units[usable_units] = shapely.is_valid(units[usable_units])
    if not usable_units.all():
        bad = [codes[i] for i in np.flatnonzero(~usable_units)]
        raise GeometryError(f"admin unit geometries empty or invalid: {', '.join(bad)}")
    shapely.prepare(units)
    key: Callable[[str], str] = admin_key if match_names else (lambda name: name)
    unit_of: dict[str, int] = {}  # key -> index into codes
    for u, name in enumerate(codes):
        name_key = key(name)
        if name_key in unit_of:
            raise ValueError(
                f"admin unit names {codes[unit_of[name_key]]!r} and {name!r} are the same "
                f"once matched by admin_key ({name_key!r})"
            )
        unit_of[name_key] = u
    idx = np.flatnonzero(b.in_range & (b.valid | ~b.polygonal))
    found: _Found = []

    lies_in: dict[int, list[str]] = defaultdict(list)
    if rules & {Rule.OUTSIDE_ALL_ADMIN_UNITS, Rule.OUTSIDE_ADMIN_UNIT}:
        # The records in the tree, each unit (prepared) the query: a few large polygons
        # against many small geometries.
        unit_hit, rec_hit = shapely.STRtree(b.geoms[idx]).query(units, predicate="intersects")
        order = np.lexsort((unit_hit, rec_hit))
        for q, u in zip(rec_hit[order], unit_hit[order], strict=True):
            lies_in[int(idx[q])].append(codes[u])
        if Rule.OUTSIDE_ALL_ADMIN_UNITS in rules:
            hit = np.zeros(len(idx), dtype=bool)
            hit[rec_hit] = True
            for i in idx[~hit]:
                message = f"inside none of the {len(codes)} admin units given"
                found.append(
                    (
                        int(i),
                        Finding(b.ids[i], Rule.OUTSIDE_ALL_ADMIN_UNITS, Severity.ERROR, message),
                    )
                )

    known: list[tuple[int, str, int]] = []  # record index, claim as recorded, unit index
    for i in idx:
        claim = claimed.get(b.ids[i])
        if not claim:
            continue
        unit = unit_of.get(key(claim))
        if unit is not None:
            known.append((int(i), claim, unit))
        elif Rule.UNKNOWN_ADMIN_UNIT in rules:
            message = f"claims admin unit {claim!r}, which is not among those given"
            found.append(
                (int(i), Finding(b.ids[i], Rule.UNKNOWN_ADMIN_UNIT, Severity.ERROR, message))
            )

    if not rules & {Rule.OUTSIDE_ADMIN_UNIT, Rule.SIGN_ERROR}:
        known = []
    rec_idx = np.array([i for i, _, _ in known], dtype=np.int64)
    claimed_units = units[np.array([u for _, _, u in known], dtype=np.int64)]
    mine = b.geoms[rec_idx]
    where = _containment(mine, claimed_units, tolerance_m2)
    claims = _Claims(rec_idx, tuple(code for _, code, _ in known), claimed_units, where)

    if Rule.OUTSIDE_ADMIN_UNIT in rules:
        shared = where.beyond & where.areal & where.touching
        totals = np.zeros(len(known))
        totals[shared] = _areas_m2(mine[shared])
        for k in map(int, np.flatnonzero(where.beyond)):
            i, code, u = known[k]
            elsewhere = [c for c in lies_in.get(i, []) if c != codes[u]]
            where_else = f"; it lies in {', '.join(elsewhere)}" if elsewhere else ""
            if shared[k]:
                spill = where.spill[k]
                share = 100.0 * spill / totals[k] if totals[k] else 100.0
                message = (
                    f"{spill:,.1f} m² ({share:.1f} %) outside its admin unit {code!r}{where_else}"
                )
                severity = Severity.WARNING
            else:
                what = "partly" if where.touching[k] else "wholly"
                message = f"{what} outside its admin unit {code!r}{where_else}"
                severity = Severity.WARNING if where.touching[k] else Severity.ERROR
            measure = float(where.spill[k]) if where.areal[k] else None
            found.append(
                (
                    i,
                    Finding(
                        b.ids[i],
                        Rule.OUTSIDE_ADMIN_UNIT,
                        severity,
                        message,
                        related_ids=tuple(elsewhere),
                        measure=measure,
                    ),
                )
            )
    return found, claims


def _sign_errors(
    b: _Batch,
    records: Array,
    regions: Array,
    places: Sequence[str],
    tolerance_m2: float,
    extent: BaseGeometry | None,
) -> _Found:
    """coordinate-sign-error for ``records`` (indices), each outside its own region in
    ``regions`` (named in messages by ``places``); ``extent`` is the expected extent, for
    leaving to swapped-lat-lon the records it explains."""
    if len(records) == 0:
        return []
    geoms = b.geoms[records]
    pending = np.ones(len(records), dtype=bool)
    if extent is not None:
        pending = ~_swap_explains(geoms, shapely.transform(geoms, _swap_xy), extent)
    flip = np.full(len(records), -1)
    for f, (sx, sy, _) in enumerate(_FLIPS):
        sel = np.flatnonzero(pending)
        if len(sel) == 0:
            break
        factor = np.array([sx, sy])
        flipped = shapely.transform(geoms[sel], lambda coords, factor=factor: coords * factor)
        lands = sel[~_containment(flipped, regions[sel], tolerance_m2).beyond]
        flip[lands] = f
        pending[lands] = False
    hits = np.flatnonzero(flip >= 0)
    anchors = shapely.point_on_surface(geoms[hits])
    points = shapely.get_type_id(geoms[hits]) == 0
    found: _Found = []
    for k, x, y, point in zip(
        map(int, hits), shapely.get_x(anchors), shapely.get_y(anchors), points, strict=True
    ):
        i = int(records[k])
        sx, sy, what = _FLIPS[flip[k]]
        fx, fy = sx * x + 0.0, sy * y + 0.0  # + 0.0: no "-0.0000"
        if point:
            message = (
                f"{what}: ({x:.4f}, {y:.4f}) is outside {places[k]}; "
                f"({fx:.4f}, {fy:.4f}) is inside it"
            )
        else:
            message = (
                f"{what}: the {b.geoms[i].geom_type} at ({x:.4f}, {y:.4f}) is outside "
                f"{places[k]}; at ({fx:.4f}, {fy:.4f}) it is inside it"
            )
        found.append((i, Finding(b.ids[i], Rule.SIGN_ERROR, Severity.WARNING, message)))
    return found


def _outside_extent(b: _Batch, region: BaseGeometry, tolerance_m2: float) -> tuple[Array, Array]:
    """The records outside ``region`` (indices), and ``region`` once for each of them."""
    idx = np.flatnonzero(b.in_range & (b.valid | ~b.polygonal))
    shapely.prepare(region)
    regions = np.empty(len(idx), dtype=object)
    regions.fill(region)
    beyond = _containment(b.geoms[idx], regions, tolerance_m2).beyond
    return idx[beyond], regions[beyond]


def check_geometries(
    records: Iterable[tuple[str, BaseGeometry | None]],
    *,
    rules: Collection[Rule | str] | None = None,
    expected_extent: Extent | None = None,
    long_edge_m: float = DEFAULT_LONG_EDGE_M,
    area_tolerance_m2: float = DEFAULT_AREA_TOLERANCE_M2,
    max_area_change: float = DEFAULT_MAX_AREA_CHANGE,
    admin_units: Mapping[str, BaseGeometry] | None = None,
    claimed_admin_units: Mapping[str, str | None] | None = None,
    match_admin_names: bool = False,
) -> list[Finding]:
    """Every finding of the chosen rules on ``records``, ordered by record then rule.

    ``records`` are ``(record_id, geometry)`` pairs, geometry in WGS84 lon/lat or None.
    ``rules`` picks rules by name (default: all; the admin-unit rules run only when
    ``admin_units`` is given, coordinate-sign-error only when ``admin_units`` or
    ``expected_extent`` is). ``expected_extent`` is a (min_lon, min_lat, max_lon,
    max_lat) box or a polygon of where records should be (e.g. the country), used by
    swapped-lat-lon, and by coordinate-sign-error when no admin units are given.
    ``long_edge_m`` is the long-edge limit in metres;
    ``area_tolerance_m2`` the overlap or admin-boundary spill ignored, in m²;
    ``max_area_change`` is passed to :func:`repair` to decide ``fixable``.
    ``admin_units`` maps admin code to polygon (WGS84), ``claimed_admin_units`` record id
    to the code the record claims (records not in it claim nothing). With
    ``match_admin_names`` the claims and the admin codes are compared through
    :func:`admin_key`, so 'BOGOTA DC' claims 'Bogotá D.C.'; findings still quote the names
    as given.

    The work is done with shapely 2 array functions and an STRtree, so 100,000 polygons
    are checked in seconds; Python loops run only over records that have a finding.

    Raises ValueError for an unknown rule name or for two admin codes that
    ``match_admin_names`` cannot tell apart, TypeError if a geometry is not a shapely
    geometry or None, GeometryError for an unusable expected extent or admin unit polygon.
    """
    chosen = set(Rule) if rules is None else {Rule(r) for r in rules}
    for name, value in (
        ("long_edge_m", long_edge_m),
        ("area_tolerance_m2", area_tolerance_m2),
        ("max_area_change", max_area_change),
    ):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    b = _batch(records)
    found: _Found = []
    simple: Sequence[tuple[Rule, Callable[[], _Found]]] = (
        (Rule.EMPTY_GEOMETRY, lambda: _empty(b)),
        (Rule.COORDINATES_OUT_OF_RANGE, lambda: _out_of_range(b)),
        (Rule.SWAPPED_LAT_LON, lambda: _swapped(b, expected_extent)),
        (Rule.INVALID_POLYGON, lambda: _invalid(b, max_area_change)),
    )
    for rule, run in simple:
        if rule in chosen:
            found += run()
    if chosen & {Rule.TOO_FEW_VERTICES, Rule.DUPLICATE_VERTICES, Rule.LONG_EDGE}:
        paths = _paths(b)
        if Rule.TOO_FEW_VERTICES in chosen:
            found += _too_few_vertices(b, paths)
        if chosen & {Rule.DUPLICATE_VERTICES, Rule.LONG_EDGE}:
            edges = _edges(paths)
            if Rule.DUPLICATE_VERTICES in chosen:
                found += _duplicate_vertices(b, paths, edges, max_area_change)
            if Rule.LONG_EDGE in chosen:
                found += _long_edges(b, paths, edges, long_edge_m)
    if chosen & {Rule.DUPLICATE_GEOMETRY, Rule.OVERLAP}:
        groups, group_of = _duplicate_groups(b)
        if Rule.DUPLICATE_GEOMETRY in chosen:
            found += _duplicate_geometry(b, groups)
        if Rule.OVERLAP in chosen:
            found += _overlaps(b, group_of, area_tolerance_m2)
    extent = None
    if expected_extent is not None and Rule.SIGN_ERROR in chosen:
        extent = _extent_geometry(expected_extent)
    if admin_units is not None and chosen & (_ADMIN_RULES | {Rule.SIGN_ERROR}):
        admin_found, claims = _admin(
            b,
            admin_units,
            claimed_admin_units or {},
            area_tolerance_m2,
            chosen,
            match_admin_names,
        )
        found += admin_found
        if Rule.SIGN_ERROR in chosen:
            beyond = np.flatnonzero(claims.where.beyond)
            places = [f"its admin unit {claims.claims[int(k)]!r}" for k in beyond]
            found += _sign_errors(
                b, claims.records[beyond], claims.units[beyond], places, area_tolerance_m2, extent
            )
    elif extent is not None and Rule.SIGN_ERROR in chosen:
        outside, regions = _outside_extent(b, extent, area_tolerance_m2)
        places = ["the expected extent"] * len(outside)
        found += _sign_errors(b, outside, regions, places, area_tolerance_m2, extent)
    found.sort(key=lambda pair: (pair[0], _RULE_ORDER[pair[1].rule]))
    return [finding for _, finding in found]


def _metric_area(geom: BaseGeometry) -> float:
    # The envelope's centre picks the zone: an invalid polygon's centroid can be anywhere.
    minx, miny, maxx, maxy = geom.bounds
    return float(to_metric(geom, utm_epsg((minx + maxx) / 2, (miny + maxy) / 2)).area)


def _polygonal_only(geom: BaseGeometry) -> Polygon | MultiPolygon | None:
    """``geom`` as a Polygon or MultiPolygon, or None if it has any non-polygonal part."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    if isinstance(geom, GeometryCollection):
        parts = [p for p in shapely.get_parts(geom) if not p.is_empty]
        polygons: list[Polygon] = []
        for part in parts:
            if isinstance(part, Polygon):
                polygons.append(part)
            elif isinstance(part, MultiPolygon):
                polygons.extend(part.geoms)
            else:
                return None
        return MultiPolygon(polygons) if polygons else None
    return None


def repair(
    geom: BaseGeometry, *, max_area_change: float = DEFAULT_MAX_AREA_CHANGE
) -> tuple[BaseGeometry, list[str]]:
    """``geom`` with its safely repairable problems fixed, and what was done.

    Safe repairs are exactly two: dropping a vertex that repeats the one before it, and
    making an invalid polygon valid with ``shapely.make_valid`` when the result is wholly
    polygonal and its area (m², in UTM) differs from the original's by at most
    ``max_area_change`` (relative). A geometry with nothing to repair comes back as it was
    with an empty list.

    Raises GeometryError, with the reason, when the geometry cannot be repaired safely: it
    is empty; a coordinate is out of range; dropping repeats collapses a ring; make_valid
    would leave lines or points (a spike, a collapsed ring) or change the area by more than
    the tolerance (a bowtie, a hole outside its shell, overlapping parts).
    """
    if geom is None or geom.is_empty:
        raise GeometryError("geometry is empty: nothing to repair")
    check_lonlat(geom)
    repairs: list[str] = []
    before = int(shapely.get_num_coordinates(geom))
    try:
        out = shapely.remove_repeated_points(geom, tolerance=0.0)
    except shapely.errors.GEOSException as exc:
        raise GeometryError(f"not repairable: removing repeated vertices fails: {exc}") from exc
    removed = before - int(shapely.get_num_coordinates(out))
    if removed:
        repairs.append(f"removed {removed} vertex/vertices repeating the one before")
    if out.is_valid:
        return (out if removed else geom), repairs
    reason = shapely.is_valid_reason(out)
    if not isinstance(out, Polygon | MultiPolygon):
        raise GeometryError(f"not repairable: invalid {out.geom_type}: {reason}")
    fixed = _polygonal_only(shapely.make_valid(out))
    if fixed is None:
        raise GeometryError(
            f"not repairable ({reason}): make_valid leaves lines or points "
            "(a spike or a collapsed ring), which only a person can resolve"
        )
    old_area, new_area = _metric_area(out), _metric_area(fixed)
    if new_area <= 0.0:
        raise GeometryError(f"not repairable ({reason}): make_valid leaves no area")
    change = abs(new_area - old_area) / max(old_area, new_area)
    if change > max_area_change:
        raise GeometryError(
            f"not repairable ({reason}): make_valid changes the area from {old_area:,.1f} m² "
            f"to {new_area:,.1f} m² ({100 * change:.2f} %, more than "
            f"{100 * max_area_change:g} %)"
        )
    repairs.append(f"made valid ({reason}); area changed by {100 * change:.4f} %")
    return fixed, repairs
