"""The reading layer of an import: a geodata file -> features in WGS84, with exact errors.

:func:`read_source` reads GeoJSON, GeoPackage, shapefiles, zips of shapefiles or
GeoPackages (such as a Copernicus EMS vector package), KML/KMZ and CSV (point or WKT
columns, or the mine-action *field coordinates* layout of
:mod:`safeground.geodata.fieldcoords`). It never repairs, closes, drops or guesses:

* a problem of the file as a whole (unreadable, truncated, no CRS, a CRS that contradicts
  the one passed, a shapefile without its ``.dbf``) raises :class:`SourceError`, whose
  message says what is wrong and what to do;
* a problem of one feature (null, empty or unparseable geometry, non-finite or
  out-of-range coordinates, an invalid polygon, a ring with fewer than 3 distinct
  vertices, a CSV row with the wrong number of cells, a missing or repeated id) is that
  feature's ``error``, and the reading goes on.

Geometries come out in WGS84 longitude/latitude, reprojected from the layer's CRS with
x = easting/longitude. A feature whose geometry could be read but failed a check keeps
that geometry (in WGS84, so that it can be shown) together with its ``error``; a feature
with an ``error`` must not be imported. Every attribute is kept, JSON-safe.

GeoJSON and CSV are parsed here (``json`` and ``csv``) so that their errors are exact;
the other formats are read through GDAL (pyogrio). Reading is vectorized (shapely and
pyproj on whole arrays); per-feature Python work is spent only on features with problems.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import math
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pyogrio
import pyogrio.errors
import pyogrio.raw
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError
from shapely.geometry.base import BaseGeometry

from safeground.gc_pause import no_gc_pauses
from safeground.geodata.fieldcoords import CSV_COLUMNS, read_field_polygons
from safeground.geometry import GeometryError, check_lonlat, from_geojson

__all__ = [
    "FORMATS",
    "Source",
    "SourceError",
    "SourceFeature",
    "SourceLayer",
    "list_layers",
    "read_source",
]

#: File extensions (lower case) and the format each is read as.
FORMATS: dict[str, str] = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".shp": "shapefile",
    ".zip": "zip",
    ".kml": "kml",
    ".kmz": "kml",
    ".csv": "csv",
}

_WGS84 = CRS.from_epsg(4326)
_GEOJSON_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)
_UTF8 = frozenset({"utf8", "utf-8", "utf_8", "utf-8-sig", "utf_8_sig", "utf8-sig"})
# CSV coordinate columns found without being named, case-insensitive, in this order.
_CSV_PAIRS: tuple[tuple[str, str], ...] = (
    ("lon", "lat"),
    ("longitude", "latitude"),
    ("x", "y"),
    ("easting", "northing"),
)
_CSV_DELIMITERS = (",", ";", "\t", "|")


class SourceError(Exception):
    """The file as a whole cannot be read; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class SourceFeature:
    """One feature of a layer.

    ``index`` is its 0-based position in the layer; ``line`` its 1-based file line for
    CSV (the first data row is line 2; for field coordinates, the polygon's first row),
    else None; ``fid`` its own id (GeoJSON ``"id"``, the ``id_field`` attribute, or a
    field-coordinates ``polygon_id``), else None; ``properties`` every attribute,
    JSON-safe; ``geometry`` WGS84 longitude/latitude, or None when there is none or it
    could not be read; ``error`` why the feature is unusable, else None.
    """

    index: int
    line: int | None
    fid: str | None
    properties: dict[str, Any]
    geometry: BaseGeometry | None
    error: str | None


@dataclass(frozen=True, slots=True)
class SourceLayer:
    """A layer: its name, the CRS it declares ('EPSG:nnnn' when it has an EPSG code,
    else WKT/PROJ text; 'EPSG:4326' for GeoJSON and KML), its geometry type (as GDAL
    reports it; for GeoJSON and CSV the single type of its geometries, or 'Mixed'), and
    its features in file order."""

    name: str
    crs: str
    geometry_type: str | None
    features: list[SourceFeature]


@dataclass(frozen=True, slots=True)
class Source:
    """A read file: its path, the SHA-256 of its bytes, its format ('geojson', 'gpkg',
    'shapefile', 'zip', 'kml', 'csv' or 'field-csv') and the layers read."""

    path: Path
    sha256: str
    format: str
    layers: list[SourceLayer]


# --- the file ----------------------------------------------------------------------


def _format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(sorted(FORMATS))
        raise SourceError(
            f"{path.name}: {path.suffix or 'no extension'!s} is not a supported format; "
            f"supported: {supported} (GeoJSON, GeoPackage, shapefile, a zip of shapefiles "
            "or GeoPackages, KML/KMZ, CSV)"
        )
    return fmt


def _check_file(path: Path) -> tuple[str, str, bytes | None]:
    """The format and SHA-256 of ``path``, and its bytes when they are parsed here
    (GeoJSON, CSV: so that the hash is of exactly what was read); SourceError if the file
    is missing, of an unsupported format, or empty."""
    fmt = _format(path)
    if not path.exists():
        raise SourceError(f"{path} does not exist")
    if not path.is_file():
        raise SourceError(f"{path} is not a file")
    digest = hashlib.sha256()
    blank = True
    kept: list[bytes] | None = [] if fmt in ("geojson", "csv") else None
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            if kept is not None:
                kept.append(chunk)
            if blank and chunk.strip():
                blank = False
    if blank:
        raise SourceError(f"{path.name} is empty (no data, or only whitespace)")
    return fmt, digest.hexdigest(), None if kept is None else b"".join(kept)


def _decode(path: Path, data: bytes, encoding: str | None, default: str, what: str) -> str:
    try:
        return data.decode(encoding or default)
    except LookupError:
        raise SourceError(f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start : exc.end].hex(" ")
        if encoding:
            raise SourceError(
                f"{path.name} is not valid {encoding} text: byte(s) {bad} at line {line}, "
                f"column {column}; pass the file's encoding"
            ) from None
        raise SourceError(
            f"{path.name} is not valid UTF-8: byte(s) {bad} at line {line}, column {column}; "
            f"{what}pass encoding= with the file's encoding (e.g. encoding='latin-1' or "
            "'cp1252') to read it as it is"
        ) from None


# --- CRS ---------------------------------------------------------------------------


def _parse_crs(text: str, where: str) -> CRS:
    try:
        return CRS.from_user_input(text)
    except CRSError as exc:
        raise SourceError(f"unknown CRS {text!r} ({where}): {exc}") from None


def _crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=100)
    if epsg is not None:
        return f"EPSG:{epsg}"
    authority = crs.to_authority(min_confidence=100)
    if authority is not None:
        return f"{authority[0]}:{authority[1]}"
    return str(crs.to_wkt())


def _same_crs(a: CRS, b: CRS) -> bool:
    if a.equals(b, ignore_axis_order=True):
        return True
    code = a.to_epsg(min_confidence=100)
    return code is not None and code == b.to_epsg(min_confidence=100)


def _check_declared(declared: CRS, given: CRS | None, where: str) -> None:
    if given is not None and not _same_crs(declared, given):
        raise SourceError(
            f"{where} declares the CRS {_crs_label(declared)}, but crs={_crs_label(given)!r} "
            "was passed; crs is only for files that declare none (drop it, or fix the file)"
        )


@lru_cache(maxsize=32)
def _to_wgs84(crs: CRS) -> Transformer | None:
    """The transformer from ``crs`` to WGS84 lon/lat, or None when none is needed."""
    if _same_crs(crs, _WGS84):
        return None
    return Transformer.from_crs(crs, _WGS84, always_xy=True)


# --- geometry checks (vectorized) --------------------------------------------------


def _add(errors: list[str | None], i: int, message: str) -> None:
    errors[i] = message if errors[i] is None else f"{errors[i]}; {message}"


_REPROJECTION_ERRORS = (shapely.errors.GEOSException, ValueError, ProjError)


def _reproject(geoms: np.ndarray, tr: Transformer) -> np.ndarray:
    def apply(coords: np.ndarray) -> np.ndarray:
        if coords.shape[1] == 3:
            x, y, z = tr.transform(coords[:, 0], coords[:, 1], coords[:, 2])
            return np.column_stack([x, y, z])
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return np.asarray(shapely.transform(geoms, apply, include_z=None), dtype=object)


def _ring_report(geom: BaseGeometry) -> str | None:
    """The first ring of a polygonal ``geom`` with fewer than 3 distinct vertices."""
    parts = list(getattr(geom, "geoms", [geom]))
    for p, part in enumerate(parts, start=1):
        rings = [part.exterior, *part.interiors]
        for r, ring in enumerate(rings):
            distinct = len({(x, y) for x, y in shapely.get_coordinates(ring).tolist()})
            if distinct < 3:
                which = "exterior ring" if r == 0 else f"hole {r}"
                where = f"polygon {p}, {which}" if len(parts) > 1 else which
                return (
                    f"geometry: {where} has {distinct} distinct vertices; a polygon needs "
                    "at least 3"
                )
    return None


def _check_geometries(
    geoms: np.ndarray,
    errors: list[str | None],
    tr: Transformer | None,
    *,
    unread: np.ndarray | None = None,
    hint: str = "",
) -> np.ndarray:
    """Reproject ``geoms`` (an object array of shapely geometries or None) to WGS84 and
    record in ``errors`` each one that is null, empty, not finite, out of lon/lat range,
    invalid, or a polygon with a ring of fewer than 3 distinct vertices. ``unread`` marks
    the features whose geometry is None for a reason already in ``errors`` (it could not
    be read). ``hint`` is added to an out-of-range message. Returns the new array."""
    n = len(geoms)
    if n == 0:
        return geoms
    null = shapely.is_missing(geoms)
    reported = unread if unread is not None else np.zeros(n, dtype=bool)
    for i in np.flatnonzero(null & ~reported):
        _add(errors, int(i), "geometry is null")
    empty = np.zeros(n, dtype=bool)
    empty[~null] = shapely.is_empty(geoms[~null])
    for i in np.flatnonzero(empty):
        _add(errors, int(i), "geometry is empty")
    ok = ~null & ~empty
    if tr is not None and ok.any():
        out = geoms.copy()
        try:
            out[ok] = _reproject(geoms[ok], tr)
        except _REPROJECTION_ERRORS:  # one geometry that cannot be rebuilt: find it
            for i in np.flatnonzero(ok):
                try:
                    out[i] = _reproject(geoms[i : i + 1], tr)[0]
                except _REPROJECTION_ERRORS as exc:
                    _add(errors, int(i), f"geometry: cannot be reprojected to WGS84: {exc}")
                    out[i] = None
                    ok[i] = False
        geoms = out
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return geoms
    coords, owner = shapely.get_coordinates(geoms[idx], return_index=True)
    if coords.size:
        bad_xy = ~np.isfinite(coords).all(axis=1)
        bad_xy |= np.abs(coords[:, 0]) > 180
        bad_xy |= np.abs(coords[:, 1]) > 90
        for i in idx[np.unique(owner[bad_xy])]:
            try:
                check_lonlat(geoms[i])
            except GeometryError as exc:
                _add(errors, int(i), f"geometry: {exc}{hint}")
                ok[i] = False
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return geoms
    # A ring of fewer than 3 distinct vertices is always invalid for GEOS ("Too few
    # points" or "Self-intersection"), so only invalid geometries need the count, which
    # then gives the clearer reason.
    valid = shapely.is_valid(geoms[idx])
    for i in idx[~valid]:
        geom = geoms[i]
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            message = _ring_report(geom)
            if message is None:
                message = f"geometry: invalid polygon: {shapely.is_valid_reason(geom)}"
        else:
            message = f"geometry: invalid {geom.geom_type}: {shapely.is_valid_reason(geom)}"
        _add(errors, int(i), message)
    return geoms


def _geometry_type(geoms: Iterable[BaseGeometry | None]) -> str | None:
    types = {g.geom_type for g in geoms if g is not None}
    if not types:
        return None
    return types.pop() if len(types) == 1 else "Mixed"


# --- ids ---------------------------------------------------------------------------


def _id_text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    text = str(value)
    return text if text.strip() else None


def _check_ids(fids: list[str | None], errors: list[str | None], what: str | None) -> None:
    """Ids must be unique within a layer; with ``what`` (an id_field), present too."""
    if what is not None:
        for i, fid in enumerate(fids):
            if fid is None:
                _add(errors, i, f"no id: {what} is empty")
    counts = Counter(f for f in fids if f is not None)
    repeated = {f for f, c in counts.items() if c > 1}
    if not repeated:
        return
    where: dict[str, list[int]] = {}
    for i, fid in enumerate(fids):
        if fid in repeated:
            where.setdefault(fid, []).append(i)
    for fid, positions in where.items():
        for i in positions:
            others = ", ".join(str(p) for p in positions if p != i)
            _add(errors, i, f"id {fid!r} is not unique in the layer (also feature {others})")


def _find_column(names: Sequence[str], wanted: str, what: str, where: str) -> str:
    """``wanted`` among ``names``: exactly, else case-insensitively if unambiguous."""
    if wanted in names:
        return wanted
    matches = [n for n in names if n.strip().lower() == wanted.strip().lower()]
    if len(matches) == 1:
        return matches[0]
    listing = ", ".join(repr(n) for n in names) or "none"
    raise SourceError(f"{what} {wanted!r} is not a field of {where}; the fields are: {listing}")


# --- layer selection ---------------------------------------------------------------


def _select(names: Sequence[str], wanted: Sequence[str] | None, where: str) -> list[str]:
    if wanted is None:
        return list(names)
    if isinstance(wanted, str):
        wanted = [wanted]
    chosen: list[str] = []
    listing = ", ".join(names) or "none"
    for w in wanted:
        if w in names:
            match = w
        else:
            matches = [n for n in names if w.lower() in n.lower()]
            if not matches:
                raise SourceError(f"no layer of {where} matches {w!r}; the layers are: {listing}")
            if len(matches) > 1:
                raise SourceError(
                    f"{w!r} matches {len(matches)} layers of {where} ({', '.join(matches)}); "
                    "give more of the name"
                )
            match = matches[0]
        if match not in chosen:
            chosen.append(match)
    return chosen


# --- GeoJSON -----------------------------------------------------------------------


class _ConstantError(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _ConstantError(name)


class _DupDict(dict[str, Any]):
    """A JSON object in which a key appears more than once (json keeps the last)."""

    duplicates: tuple[str, ...] = ()


def _dup_dict(pairs: list[tuple[str, Any]], obj: dict[str, Any]) -> _DupDict:
    counts = Counter(k for k, _ in pairs)
    dup = _DupDict(obj)
    dup.duplicates = tuple(k for k, c in counts.items() if c > 1)
    return dup


def _duplicates_in(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, _DupDict):
        found.extend(value.duplicates)
    if isinstance(value, dict):
        for v in value.values():
            if isinstance(v, dict | list):
                found.extend(_duplicates_in(v))
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict | list):
                found.extend(_duplicates_in(v))
    return found


def _nonfinite_in(value: dict[str, Any] | list[Any], path: str) -> str | None:
    """The path of the first infinite float in a JSON object or array, or None."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, v in items:
        kind = type(v)
        if kind is float:
            if not math.isfinite(v):
                return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}".lstrip(".")
        elif kind is dict or kind is list:
            inner = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}".lstrip(".")
            bad = _nonfinite_in(v, inner)
            if bad is not None:
                return bad
    return None


def _finite_only(value: Any) -> Any:
    """``value`` with each infinite float replaced by None (it is not JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_only(v) for v in value]
    return value


def _load_json(path: Path, text: str) -> tuple[Any, bool]:
    """The parsed JSON, and whether some object in it repeats a key."""
    seen: list[bool] = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        seen.append(True)
        return _dup_dict(pairs, obj)

    try:
        top = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=hook)
    except _ConstantError as exc:
        token = str(exc)
        where = ""
        match = re.search(rf"(?<![\w\"]){re.escape(token)}(?![\w\"])", text)
        if match is not None:
            line = text.count("\n", 0, match.start()) + 1
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            where = f" at line {line}, column {column}"
        raise SourceError(
            f"{path.name}: {token}{where} is not a JSON number (JSON and GeoJSON allow only "
            "finite numbers); fix the value in the file, or write null"
        ) from None
    except json.JSONDecodeError as exc:
        truncated = exc.pos >= len(text.rstrip())
        raise SourceError(
            f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}, column "
            f"{exc.colno}" + (" (the file ends early: is it truncated?)" if truncated else "")
        ) from None
    except RecursionError:
        raise SourceError(f"{path.name}: JSON nested too deeply to read") from None
    return top, bool(seen)


def _geojson_crs(path: Path, member: Any) -> CRS:
    text: str | None = None
    if isinstance(member, str):
        text = member
    elif isinstance(member, Mapping):
        props = member.get("properties")
        kind = member.get("type")
        if kind == "name" and isinstance(props, Mapping) and isinstance(props.get("name"), str):
            text = props["name"]
        elif kind == "EPSG" and isinstance(props, Mapping) and isinstance(props.get("code"), int):
            text = f"EPSG:{props['code']}"
    if text is None:
        raise SourceError(
            f"unknown CRS {json.dumps(member)} in {path.name}: only a named CRS is understood, "
            'e.g. {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32633"}}'
        )
    return _parse_crs(text, f"the 'crs' member of {path.name}")


def _coordinate_problem(value: Any) -> str | None:
    """What is wrong with the coordinate numbers of a GeoJSON ``coordinates`` value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, bool) or not isinstance(item, int | float):
            return f"coordinates must be numbers, found {json.dumps(item)}"
        elif isinstance(item, float) and not math.isfinite(item):
            return "coordinates are not finite numbers (NaN or infinite)"
    return None


def _ring_problem(rings: Any, where: str) -> str | None:
    if not isinstance(rings, list):
        return None
    for r, ring in enumerate(rings):
        if not isinstance(ring, list) or not ring:
            continue
        which = "exterior ring" if r == 0 else f"hole {r}"
        if ring[0] != ring[-1]:
            return (
                f"{where}{which} is not closed: it starts at {json.dumps(ring[0])} and ends at "
                f"{json.dumps(ring[-1])} (GeoJSON rings repeat the first position at the end)"
            )
        distinct = len({json.dumps(p) for p in ring})
        if distinct < 3:
            return f"{where}{which} has {distinct} distinct vertices; a polygon needs at least 3"
    return None


def _diagnose(obj: Mapping[str, Any]) -> str | None:
    """A clearer reason than GEOS's for a GeoJSON geometry it refused, if there is one."""
    coords = obj.get("coordinates")
    problem = _coordinate_problem(coords) if coords is not None else None
    if problem is not None:
        return problem
    kind = obj.get("type")
    if kind == "Polygon":
        return _ring_problem(coords, "")
    if kind == "MultiPolygon" and isinstance(coords, list):
        for p, polygon in enumerate(coords, start=1):
            problem = _ring_problem(polygon, f"polygon {p}, ")
            if problem is not None:
                return problem
    if kind == "GeometryCollection" and isinstance(obj.get("geometries"), list):
        for member in obj["geometries"]:
            if isinstance(member, Mapping):
                problem = _diagnose(member)
                if problem is not None:
                    return problem
    return None


def _geojson_geometry(obj: Any) -> tuple[BaseGeometry | None, str | None]:
    if not isinstance(obj, Mapping):
        return None, f"geometry: not a GeoJSON geometry object: {json.dumps(obj)[:80]}"
    kind = obj.get("type")
    if kind not in _GEOJSON_TYPES:
        return None, f"geometry: {kind!r} is not a GeoJSON geometry type"
    try:
        return from_geojson(obj), None
    except GeometryError as exc:
        return None, f"geometry: {_diagnose(obj) or exc}"


def _read_geojson(
    path: Path,
    data: bytes,
    *,
    layers: Sequence[str] | None,
    crs: CRS | None,
    encoding: str | None,
    id_field: str | None,
) -> list[SourceLayer]:
    name = path.stem
    if not _select([name], layers, path.name):
        return []
    text = _decode(path, data, encoding, "utf-8-sig", "GeoJSON must be UTF-8; ")
    top, repeats = _load_json(path, text)
    if not isinstance(top, dict):
        raise SourceError(
            f"{path.name}: the top level is a JSON {type(top).__name__}, not a GeoJSON object "
            "(FeatureCollection, Feature or geometry)"
        )
    dup = []
    if repeats:
        dup = _duplicates_in({k: v for k, v in top.items() if k not in ("features", "properties")})
        if isinstance(top, _DupDict):
            dup = [*top.duplicates, *dup]
    if dup:
        raise SourceError(
            f"{path.name}: the key {dup[0]!r} appears twice in an object (JSON would keep only "
            "the last value)"
        )
    kind = top.get("type")
    items: list[Any]
    if kind == "FeatureCollection":
        features = top.get("features")
        if not isinstance(features, list):
            raise SourceError(f"{path.name}: the FeatureCollection has no 'features' list")
        items = features
    elif kind == "Feature":
        items = [top]
    elif kind in _GEOJSON_TYPES:
        items = [{"type": "Feature", "properties": {}, "geometry": top}]
    else:
        raise SourceError(
            f"{path.name}: the top-level object is of type {kind!r}; expected a "
            "FeatureCollection, a Feature or a geometry"
        )
    declared = _geojson_crs(path, top["crs"]) if top.get("crs") is not None else None
    if declared is not None:
        _check_declared(declared, crs, path.name)
        layer_crs = declared
        label = _crs_label(declared)
        hint = ""
    else:
        # RFC 7946: GeoJSON is WGS84 longitude/latitude; a file in another CRS must say so
        _check_declared(_WGS84, crs, f"{path.name} (GeoJSON, RFC 7946)")
        layer_crs, label = _WGS84, "EPSG:4326"
        hint = (
            " (GeoJSON coordinates are WGS84 longitude/latitude; a file in another CRS "
            'needs a "crs" member naming it)'
        )

    n = len(items)
    geoms = np.empty(n, dtype=object)
    errors: list[str | None] = [None] * n
    props_list: list[dict[str, Any]] = []
    fids: list[str | None] = [None] * n
    unread = np.zeros(n, dtype=bool)  # no geometry, for a reason already in errors
    for i, item in enumerate(items):
        if not isinstance(item, dict) or item.get("type") != "Feature":
            what = item.get("type") if isinstance(item, dict) else type(item).__name__
            _add(errors, i, f"not a GeoJSON Feature (found {what!r})")
            props_list.append({})
            unread[i] = True
            continue
        if repeats and isinstance(item, _DupDict):
            _add(errors, i, f"the key {item.duplicates[0]!r} appears twice in the feature")
        props = item.get("properties")
        if props is None:
            props = {}
        elif not isinstance(props, dict):
            _add(errors, i, f"properties is not an object: {json.dumps(props)[:80]}")
            props = {}
        else:
            dup = _duplicates_in(props) if repeats else []
            if dup:
                _add(errors, i, f"properties: the key {dup[0]!r} appears twice in an object")
            bad = _nonfinite_in(props, "")
            if bad is not None:
                _add(errors, i, f"properties: {bad} is not a finite number")
                props = _finite_only(props)
        props_list.append(props)
        if "crs" in item:
            _add(errors, i, "a 'crs' member on a feature is not supported (only on the file)")
        if id_field is None:  # with an id_field, the ids are read below
            raw_id = item.get("id")
            if raw_id is not None:
                if isinstance(raw_id, str) or (
                    isinstance(raw_id, int | float) and not isinstance(raw_id, bool)
                ):
                    fids[i] = _id_text(raw_id)
                else:
                    _add(errors, i, f"id must be a string or a number, not {json.dumps(raw_id)}")
        if "geometry" not in item:
            _add(errors, i, "the feature has no 'geometry' member")
            unread[i] = True
            continue
        obj = item["geometry"]
        if obj is None:
            continue  # reported as null by the checks
        geom, problem = _geojson_geometry(obj)
        if problem is not None:
            _add(errors, i, problem)
            unread[i] = True
        elif repeats and _duplicates_in(obj):
            _add(errors, i, f"geometry: the key {_duplicates_in(obj)[0]!r} appears twice")
        geoms[i] = geom
    geoms = _check_geometries(geoms, errors, _to_wgs84(layer_crs), unread=unread, hint=hint)
    if id_field is not None:
        names = list(dict.fromkeys(k for p in props_list for k in p))
        field = _find_column(names, id_field, "id_field", path.name)
        fids = [_id_text(p.get(field)) for p in props_list]
        _check_ids(fids, errors, f"attribute {field!r}")
    else:
        _check_ids(fids, errors, None)
    features = [
        SourceFeature(i, None, fids[i], props_list[i], geoms[i], errors[i]) for i in range(n)
    ]
    return [SourceLayer(name, label, _geometry_type(geoms), features)]


# --- GDAL formats ------------------------------------------------------------------


@dataclass(frozen=True)
class _GdalLayer:
    name: str  # as shown to the user
    dataset: str  # what GDAL opens
    layer: str  # GDAL's name of the layer in the dataset
    shapefile: bool  # whether an encoding override applies


def _shapefile_parts_problem(members: Iterable[str], where: str) -> None:
    """SourceError naming the first .shp of ``members`` without its .shx or .dbf."""
    stems: dict[str, set[str]] = {}
    shown: dict[str, str] = {}
    for member in members:
        p = PurePosixPath(member)
        key = str(p.with_suffix("")).lower()
        stems.setdefault(key, set()).add(p.suffix.lower())
        if p.suffix.lower() == ".shp":
            shown[key] = member
    for key, member in sorted(shown.items()):
        for ext, what in ((".shx", "shape index"), (".dbf", "attribute table")):
            if ext not in stems[key]:
                raise SourceError(
                    f"{where}: the shapefile {member} has no {ext} ({what}) beside it; a "
                    "shapefile is .shp + .shx + .dbf (+ .prj), and without its "
                    f"{ext} it would be read {'without attributes' if ext == '.dbf' else 'wrongly'}"
                    "; add the missing file"
                )


def _gdal_layers(path: Path, fmt: str) -> list[_GdalLayer]:
    datasets: list[tuple[str, bool, str]] = []  # (GDAL path, shapefile?, prefix if needed)
    if fmt == "shapefile":
        siblings = [p.name for p in path.parent.iterdir() if p.stem.lower() == path.stem.lower()]
        _shapefile_parts_problem([*siblings, path.name], path.name)
        datasets.append((str(path), True, ""))
    elif fmt == "zip":
        try:
            with zipfile.ZipFile(path) as z:
                members = [
                    m
                    for m in z.namelist()
                    if not m.endswith("/")
                    and not m.startswith("__MACOSX/")
                    and not PurePosixPath(m).name.startswith("._")
                ]
        except (zipfile.BadZipFile, OSError) as exc:
            raise SourceError(f"{path.name} is not a readable zip file: {exc}") from None
        _shapefile_parts_problem(members, path.name)
        base = f"/vsizip/{path.resolve()}"
        shp_dirs = sorted(
            {str(PurePosixPath(m).parent) for m in members if m.lower().endswith(".shp")}
        )
        for d in shp_dirs:
            datasets.append((base if d == "." else f"{base}/{d}", True, "" if d == "." else d))
        for m in members:
            if m.lower().endswith(".gpkg"):
                datasets.append((f"{base}/{m}", False, m))
        if not datasets:
            held = ", ".join(members[:10]) + (", ..." if len(members) > 10 else "")
            raise SourceError(
                f"{path.name} holds no shapefile or GeoPackage (it holds: {held or 'nothing'})"
            )
    else:
        datasets.append((str(path), False, ""))
    found: list[tuple[str, _GdalLayer]] = []
    for dataset, shp, prefix in datasets:
        try:
            listed = pyogrio.list_layers(dataset)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise SourceError(f"{path.name} cannot be opened: {exc}") from None
        for row in listed:
            found.append((prefix, _GdalLayer(str(row[0]), dataset, str(row[0]), shp)))
    counts = Counter(layer.name for _, layer in found)
    return [
        _GdalLayer(f"{prefix}/{layer.name}", layer.dataset, layer.layer, layer.shapefile)
        if counts[layer.name] > 1 and prefix
        else layer
        for prefix, layer in found
    ]


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, np.ndarray):
        return [_json_safe(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _column(values: np.ndarray, ogr_type: str, subtype: str) -> tuple[list[Any], list[int]]:
    """A field's values as JSON-safe Python, and the rows holding infinite floats (which
    become None here: the caller makes each such row a feature error)."""
    kind = values.dtype.kind
    if kind == "f":
        out: list[Any] = values.tolist()
        missing = ~np.isfinite(values)  # NaN is GDAL's null for a number; infinity is not
        infinite = np.flatnonzero(np.isinf(values)).tolist()
        if ogr_type in ("OFTInteger", "OFTInteger64"):  # integers with nulls come as float
            cast = bool if subtype == "OFSTBoolean" else int
            out = [None if m else cast(v) for v, m in zip(out, missing.tolist(), strict=True)]
        elif missing.any():
            out = [None if m else v for v, m in zip(out, missing.tolist(), strict=True)]
        return out, infinite
    if kind in "biu":
        return values.tolist(), []
    if kind == "M":
        text = np.datetime_as_string(values)
        return [None if t == "NaT" else str(t) for t in text.tolist()], []
    out = values.tolist()
    if all(v is None or type(v) is str for v in out):
        return out, []
    infinite = [
        i for i, v in enumerate(out) if isinstance(v, float | np.floating) and not math.isfinite(v)
    ]
    return [_json_safe(v) for v in out], infinite


def _decode_wkb(wkb: np.ndarray, errors: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """The geometries of ``wkb``, and a mask of those that could not be read (each with
    its reason in ``errors``)."""
    unread = np.zeros(len(wkb), dtype=bool)
    # NaN coordinates are read as they are (numpy would warn): the checks then name them
    with np.errstate(invalid="ignore"):
        try:
            return np.asarray(shapely.from_wkb(wkb, on_invalid="raise"), dtype=object), unread
        except shapely.errors.GEOSException:  # find the bad ones, each with its own reason
            geoms = np.empty(len(wkb), dtype=object)
            for i, blob in enumerate(wkb):
                if blob is None:
                    continue
                try:
                    geoms[i] = shapely.from_wkb(blob, on_invalid="raise")
                except shapely.errors.GEOSException as exc:
                    _add(errors, i, f"geometry: cannot be read: {exc}")
                    unread[i] = True
            return geoms, unread


def _meta_encoding(layer: _GdalLayer) -> str:
    """The encoding GDAL reads ``layer``'s text in, as a phrase for a message."""
    try:
        declared = pyogrio.read_info(layer.dataset, layer=layer.layer).get("encoding")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, UnicodeError):
        declared = None
    return f"{declared} (the encoding the file declares)" if declared else "UTF-8"


def _recode(text: str, codec: str, what: str) -> str:
    try:
        return text.encode("latin-1").decode(codec)
    except UnicodeError as exc:
        raise SourceError(
            f"{what} is not valid {codec} ({exc}); pass the file's encoding"
        ) from None


def _recode_column(values: np.ndarray, codec: str, what: str) -> np.ndarray:
    if values.dtype.kind != "O":
        return values
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values.tolist()):
        if isinstance(v, str):
            out[i] = _recode(v, codec, f"{what} of feature {i}")
        elif isinstance(v, list | np.ndarray):
            out[i] = [_recode(x, codec, what) if isinstance(x, str) else x for x in v]
        else:
            out[i] = v
    return out


def _read_gdal_layer(
    path: Path,
    layer: _GdalLayer,
    *,
    crs: CRS | None,
    encoding: str | None,
    id_field: str | None,
) -> SourceLayer:
    where = f"layer {layer.name!r} of {path.name}"
    # GDAL knows encodings by its own names (it reads encoding="latin-1" as UTF-8), so a
    # shapefile's text is read byte for byte as ISO-8859-1 and decoded here with Python's
    # codec: exact, and any codec Python knows works.
    gdal_encoding: str | None = None
    recode: str | None = None
    if layer.shapefile and encoding is not None:
        codec = codecs.lookup(encoding).name
        gdal_encoding, recode = ("UTF-8", None) if codec == "utf-8" else ("ISO-8859-1", codec)
    try:
        info = pyogrio.read_info(layer.dataset, layer=layer.layer, encoding=gdal_encoding)
        meta, fids_read, wkb, field_data = pyogrio.raw.read(
            layer.dataset,
            layer=layer.layer,
            return_fids=True,
            encoding=gdal_encoding,
            datetime_as_string=True,
        )
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{where}: text attributes are not valid {encoding or _meta_encoding(layer)} "
            f"({exc.reason}); pass encoding= with the file's encoding (e.g. 'cp1252')"
        ) from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise SourceError(f"{where} cannot be read: {exc}") from None
    except (pyogrio.errors.CRSError, pyogrio.errors.FieldTypeError) as exc:
        raise SourceError(f"{where} cannot be read: {exc}") from None
    names = [str(f) for f in meta["fields"]]
    if recode is not None:
        names = [_recode(name, recode, f"{where}: the field name {name!r}") for name in names]
        field_data = [
            _recode_column(values, recode, f"{where}: attribute {name!r}")
            for name, values in zip(names, field_data, strict=True)
        ]
    n = len(fids_read)
    errors: list[str | None] = [None] * n
    columns: list[list[Any]] = []
    types = zip(meta["ogr_types"], meta["ogr_subtypes"], strict=True)
    for name, values, (ogr_type, subtype) in zip(names, field_data, types, strict=True):
        column, infinite = _column(values, ogr_type, subtype)
        columns.append(column)
        for i in infinite:
            _add(errors, i, f"attribute {name!r} is not a finite number ({values[i]})")
    fid_column = info.get("fid_column") or ""
    if fid_column:
        names.insert(0, fid_column)
        columns.insert(0, fids_read.tolist())
    properties = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
    if not names:
        properties = [{} for _ in range(n)]

    fids: list[str | None] = [None] * n
    id_column: list[Any] | None = None
    if id_field is not None:
        field = _find_column(names, id_field, "id_field", where)
        id_column = columns[names.index(field)]

    if wkb is None:  # a table without geometry
        for i in range(n):
            _add(errors, i, "the layer has no geometry column")
        if id_column is not None:
            fids = [_id_text(v) for v in id_column]
            _check_ids(fids, errors, f"attribute {field!r}")
        return SourceLayer(
            layer.name,
            "",
            None,
            [SourceFeature(i, None, fids[i], properties[i], None, errors[i]) for i in range(n)],
        )
    geoms, unread = _decode_wkb(wkb, errors)
    if meta["crs"]:
        declared = _parse_crs(meta["crs"], where)
        _check_declared(declared, crs, where)
        layer_crs, label = declared, str(meta["crs"])
        if not label.startswith("EPSG:"):
            label = _crs_label(declared)
    elif crs is not None:
        layer_crs, label = crs, _crs_label(crs)
    else:
        bounds = ""
        present = geoms[~shapely.is_missing(geoms)]
        if present.size:
            x0, y0, x1, y1 = shapely.total_bounds(present).tolist()
            bounds = f" (its coordinates span x {x0:,.6g}..{x1:,.6g}, y {y0:,.6g}..{y1:,.6g})"
        raise SourceError(
            f"{where} declares no CRS{' (no .prj file)' if layer.shapefile else ''}{bounds}; "
            'pass crs= with the CRS it was made in, e.g. crs="EPSG:32633"'
        )
    geoms = _check_geometries(geoms, errors, _to_wgs84(layer_crs), unread=unread)
    if id_column is not None:
        fids = [_id_text(v) for v in id_column]
        _check_ids(fids, errors, f"attribute {field!r}")
    features = [
        SourceFeature(i, None, fid, props, geom, error)
        for i, (fid, props, geom, error) in enumerate(
            zip(fids, properties, geoms.tolist(), errors, strict=True)
        )
    ]
    geometry_type = meta["geometry_type"]
    return SourceLayer(layer.name, label, geometry_type, features)


# --- CSV ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    line: int
    cells: list[str]


def _read_csv_rows(path: Path, text: str) -> tuple[list[str], list[_Row]]:
    first = text.split("\n", 1)[0]
    delimiter = max(_CSV_DELIMITERS, key=first.count) if first else ","
    if not first.count(delimiter):
        delimiter = ","
    previous = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)  # a WKT polygon can exceed the 128 KiB default
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header: list[str] | None = None
        rows: list[_Row] = []
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise SourceError(
                    f"{path.name}, line {start}: not readable as CSV: {exc}"
                ) from None
            if not cells or all(not c.strip() for c in cells):
                continue  # a blank line holds nothing
            if header is None:
                header = cells
            else:
                rows.append(_Row(start, cells))
    finally:
        csv.field_size_limit(previous)
    if header is None:
        raise SourceError(f"{path.name} is empty (no header row)")
    repeated = [h for h, c in Counter(header).items() if c > 1]
    if repeated:
        raise SourceError(
            f"{path.name}: the header names the column {repeated[0]!r} more than once; "
            "rename the columns so that no value is lost"
        )
    return header, rows


def _row_properties(header: Sequence[str], cells: Sequence[str]) -> dict[str, Any]:
    props: dict[str, Any] = dict(zip(header, cells, strict=False))
    for k in range(len(header), len(cells)):
        props[f"column {k + 1}"] = cells[k]
    return props


def _ragged(row: _Row, width: int) -> str | None:
    if len(row.cells) == width:
        return None
    return f"line {row.line} has {len(row.cells)} cells, the header {width}"


def _is_field_csv(header: Sequence[str]) -> bool:
    names = {h.strip().lower() for h in header}
    return {"polygon_id", "point_type", "seq", "coord_system"} <= names


def _read_field_csv(
    path: Path,
    header: list[str],
    rows: list[_Row],
    *,
    crs: CRS | None,
    id_field: str | None,
) -> SourceLayer:
    if crs is not None and not _same_crs(crs, _WGS84):
        raise SourceError(
            f"{path.name} is in the field-coordinates layout, whose rows name their own "
            "coordinate systems (lonlat, utm, mgrs, traverse); do not pass crs"
        )
    keys = [h.strip().lower() for h in header]
    if len(set(keys)) != len(keys):
        raise SourceError(f"{path.name}: the header repeats a column name (ignoring case)")
    coordinate_columns = set(CSV_COLUMNS) - {"polygon_id"}
    width = len(header)
    id_column = _find_column(header, id_field, "id_field", path.name) if id_field else None
    by_number = {k: row for k, row in enumerate(rows, start=2)}
    dict_rows = [dict(zip(keys, row.cells, strict=False)) for row in rows]
    polygons, problems = read_field_polygons(dict_rows, first_row_number=2)
    identity = all(k == row.line for k, row in by_number.items())

    def lines(message: str) -> str:
        if identity:
            return message

        def swap(match: re.Match[str]) -> str:
            numbers = [str(by_number[int(k)].line) for k in match.group(2).split(", ")]
            return f"{'line' if match.group(1) == 'row' else 'lines'} {', '.join(numbers)}"

        return re.sub(r"\b(rows?) (\d+(?:, \d+)*)", swap, message)

    ragged: dict[str, list[str]] = {}
    for row, cells in zip(rows, dict_rows, strict=True):
        short = _ragged(row, width)
        if short is not None:
            ragged.setdefault((cells.get("polygon_id") or "").strip(), []).append(short)

    entries: list[tuple[int, str, BaseGeometry | None, str | None]] = []
    for polygon in polygons:
        entries.append((min(polygon.source_rows), polygon.polygon_id, polygon.geometry, None))
    for problem in problems:
        entries.append((min(problem.rows), problem.polygon_id, None, lines(str(problem))))
    entries.sort(key=lambda e: e[0])
    n = len(entries)
    geoms = np.empty(n, dtype=object)
    errors: list[str | None] = [None] * n
    fids: list[str | None] = [None] * n
    props_list: list[dict[str, Any]] = []
    line_of: list[int] = []
    for i, (first, polygon_id, geom, error) in enumerate(entries):
        row = by_number[first]
        line_of.append(row.line)
        props = {
            h: v
            for h, k, v in zip(header, keys, row.cells, strict=False)
            if k not in coordinate_columns
        }
        props_list.append(props)
        geoms[i] = geom
        if error is not None:
            _add(errors, i, error)
        for short in ragged.get(polygon_id, []):
            _add(errors, i, short)
        if id_column is None:
            fids[i] = polygon_id or None
        else:
            fids[i] = _id_text(dict(zip(header, row.cells, strict=False)).get(id_column))
    unread = np.array([e[2] is None for e in entries], dtype=bool)
    geoms = _check_geometries(geoms, errors, None, unread=unread)
    _check_ids(fids, errors, f"column {id_column!r}" if id_column else None)
    features = [
        SourceFeature(i, line_of[i], fids[i], props_list[i], geoms[i], errors[i]) for i in range(n)
    ]
    return SourceLayer(path.stem, "EPSG:4326", _geometry_type(geoms), features)


def _number(cell: str, column: str, line: int) -> tuple[float | None, str | None]:
    text = cell.strip()
    if not text:
        return None, f"line {line}: column {column!r} is empty"
    try:
        value = float(text)
    except ValueError:
        comma = " (a decimal comma? write a point)" if re.fullmatch(r"-?\d+,\d+", text) else ""
        return None, f"line {line}: column {column!r} value {text!r} is not a number{comma}"
    if not math.isfinite(value):
        return None, f"line {line}: column {column!r} value {text!r} is not a finite number"
    return value, None


def _csv_geometry_columns(
    path: Path,
    header: list[str],
    x_field: str | None,
    y_field: str | None,
    wkt_field: str | None,
) -> tuple[str | None, tuple[str, str] | None, str]:
    """(wkt column, (x column, y column), kind) where kind is 'wkt', 'lonlat', 'xy' or
    'en' (easting/northing)."""
    if wkt_field is not None:
        if x_field is not None or y_field is not None:
            raise SourceError("pass either wkt_field or x_field/y_field, not both")
        return _find_column(header, wkt_field, "wkt_field", path.name), None, "wkt"
    if (x_field is None) != (y_field is None):
        raise SourceError("x_field and y_field go together: pass both")
    if x_field is not None and y_field is not None:
        x = _find_column(header, x_field, "x_field", path.name)
        y = _find_column(header, y_field, "y_field", path.name)
        return None, (x, y), "xy"
    lower: dict[str, list[str]] = {}
    for h in header:
        lower.setdefault(h.strip().lower(), []).append(h)
    found: list[tuple[str | None, tuple[str, str] | None, str]] = []
    for xn, yn in _CSV_PAIRS:
        if len(lower.get(xn, [])) == 1 and len(lower.get(yn, [])) == 1:
            kind = "en" if xn == "easting" else "xy" if xn == "x" else "lonlat"
            found.append((None, (lower[xn][0], lower[yn][0]), kind))
    if len(lower.get("wkt", [])) == 1:
        found.append((lower["wkt"][0], None, "wkt"))
    if not found:
        raise SourceError(
            f"{path.name}: no geometry columns found in the header ({', '.join(header)}); "
            "expected lon/lat, longitude/latitude, x/y, easting/northing or wkt columns, or "
            "pass x_field and y_field, or wkt_field"
        )
    if len(found) > 1:
        shown = [f[0] if f[0] is not None else "/".join(f[1] or ()) for f in found]
        raise SourceError(
            f"{path.name} has several sets of geometry columns ({', '.join(shown)}); pass "
            "x_field and y_field, or wkt_field, to say which to read"
        )
    return found[0]


def _read_csv(
    path: Path,
    header: list[str],
    rows: list[_Row],
    *,
    crs: CRS | None,
    id_field: str | None,
    x_field: str | None,
    y_field: str | None,
    wkt_field: str | None,
) -> SourceLayer:
    wkt_column, xy_columns, kind = _csv_geometry_columns(path, header, x_field, y_field, wkt_field)
    if kind == "en" and crs is None:
        raise SourceError(
            f"{path.name} has easting/northing columns, which need their CRS: pass crs=, "
            'e.g. crs="EPSG:32633" for WGS84 UTM zone 33N'
        )
    if kind == "lonlat" and crs is not None and not crs.is_geographic:
        raise SourceError(
            f"{path.name}: columns {'/'.join(xy_columns or ())} hold longitude/latitude, but "
            f"crs={_crs_label(crs)!r} is projected; pass x_field and y_field for projected "
            "columns"
        )
    if kind == "en" and crs is not None and crs.is_geographic:
        raise SourceError(
            f"{path.name}: easting/northing columns need a projected crs, not {_crs_label(crs)!r}"
        )
    layer_crs = crs if crs is not None else _WGS84
    hint = ""
    if crs is None:
        hint = ' (if these are projected coordinates, pass their crs=, e.g. crs="EPSG:32633")'
    width = len(header)
    id_column = _find_column(header, id_field, "id_field", path.name) if id_field else None
    n = len(rows)
    errors: list[str | None] = [None] * n
    props_list = [_row_properties(header, row.cells) for row in rows]
    for i, row in enumerate(rows):
        problem = _ragged(row, width)
        if problem is not None:
            _add(errors, i, problem)
    geoms = np.empty(n, dtype=object)
    if wkt_column is not None:
        texts = np.empty(n, dtype=object)
        for i, props in enumerate(props_list):
            text = props.get(wkt_column)
            if errors[i] is not None:
                continue
            if text is None or not str(text).strip():
                _add(errors, i, f"line {rows[i].line}: column {wkt_column!r} is empty")
                continue
            texts[i] = str(text).strip()
        try:
            with np.errstate(invalid="ignore"):
                geoms = np.asarray(shapely.from_wkt(texts, on_invalid="raise"), dtype=object)
        except shapely.errors.GEOSException:
            for i, text in enumerate(texts):
                if text is None:
                    continue
                try:
                    with np.errstate(invalid="ignore"):
                        geoms[i] = shapely.from_wkt(text, on_invalid="raise")
                except shapely.errors.GEOSException as exc:
                    _add(
                        errors,
                        i,
                        f"geometry: line {rows[i].line}: column {wkt_column!r} is not WKT: {exc}",
                    )
    else:
        assert xy_columns is not None
        xs = np.full(n, np.nan)
        ys = np.full(n, np.nan)
        good = np.zeros(n, dtype=bool)
        for i, props in enumerate(props_list):
            if errors[i] is not None:
                continue
            x, x_problem = _number(props.get(xy_columns[0]) or "", xy_columns[0], rows[i].line)
            y, y_problem = _number(props.get(xy_columns[1]) or "", xy_columns[1], rows[i].line)
            for problem in (x_problem, y_problem):
                if problem is not None:
                    _add(errors, i, problem)
            if x is not None and y is not None:
                xs[i], ys[i], good[i] = x, y, True
        geoms[good] = shapely.points(xs[good], ys[good])
    unread = np.array([e is not None for e in errors], dtype=bool)  # so far, cell problems
    geoms = _check_geometries(geoms, errors, _to_wgs84(layer_crs), unread=unread, hint=hint)
    fids: list[str | None] = [None] * n
    if id_column is not None:
        fids = [_id_text(props.get(id_column)) for props in props_list]
        _check_ids(fids, errors, f"column {id_column!r}")
    features = [
        SourceFeature(i, rows[i].line, fids[i], props_list[i], geoms[i], errors[i])
        for i in range(n)
    ]
    return SourceLayer(path.stem, _crs_label(layer_crs), _geometry_type(geoms), features)


# --- entry points ------------------------------------------------------------------


def list_layers(path: Path) -> list[str]:
    """The names of the layers of ``path``: GDAL's layer names for GeoPackage, shapefile,
    zip and KML; the file's stem for GeoJSON and CSV (one layer). SourceError when the
    file is missing, empty, of an unsupported format, or a shapefile lacks a part."""
    path = Path(path)
    fmt, _, _ = _check_file(path)
    if fmt in ("geojson", "csv"):
        return [path.stem]
    return [layer.name for layer in _gdal_layers(path, fmt)]


def read_source(
    path: Path,
    *,
    layers: Sequence[str] | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    id_field: str | None = None,
    x_field: str | None = None,
    y_field: str | None = None,
    wkt_field: str | None = None,
) -> Source:
    """Read ``path`` into layers of features in WGS84 (see the module docstring).

    ``layers``: layer names, or case-insensitive parts of names that must each match
    exactly one layer (None: every layer). ``crs``: the CRS of a file that declares none
    (CSV, a shapefile without .prj); SourceError if the file declares a different one.
    ``encoding``: the text encoding of a CSV, GeoJSON or shapefile that is not in its
    default (UTF-8; for shapefiles, what the .cpg/.dbf declares). ``id_field``: the
    attribute holding each feature's stable id (SourceError if there is no such field).
    ``x_field``/``y_field`` or ``wkt_field``: a CSV's geometry columns, when they are not
    found by name (lon/lat, longitude/latitude, x/y, easting/northing, wkt).

    Raises SourceError for a problem of the whole file; a problem of one feature is that
    feature's ``error``.
    """
    with no_gc_pauses():
        return _read_source(
            Path(path),
            layers=layers,
            crs=crs,
            encoding=encoding,
            id_field=id_field,
            x_field=x_field,
            y_field=y_field,
            wkt_field=wkt_field,
        )


def _read_source(
    path: Path,
    *,
    layers: Sequence[str] | None,
    crs: str | None,
    encoding: str | None,
    id_field: str | None,
    x_field: str | None,
    y_field: str | None,
    wkt_field: str | None,
) -> Source:
    fmt, sha256, data = _check_file(path)
    given = _parse_crs(crs, "the crs argument") if crs is not None else None
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise SourceError(f"unknown encoding {encoding!r}") from None
        if fmt in ("gpkg", "kml") and codec.replace("_", "-") not in _UTF8:
            raise SourceError(
                f"{path.name}: encoding applies to CSV, GeoJSON and shapefiles; "
                f"{'GeoPackage' if fmt == 'gpkg' else 'KML'} text is always decoded as the "
                "file declares"
            )
    if fmt == "geojson":
        assert data is not None
        read = _read_geojson(
            path, data, layers=layers, crs=given, encoding=encoding, id_field=id_field
        )
        return Source(path, sha256, fmt, read)
    if fmt == "csv":
        if not _select([path.stem], layers, path.name):
            return Source(path, sha256, fmt, [])
        assert data is not None
        text = _decode(path, data, encoding, "utf-8-sig", "")
        header, rows = _read_csv_rows(path, text)
        explicit = x_field is not None or y_field is not None or wkt_field is not None
        if _is_field_csv(header) and not explicit:
            layer = _read_field_csv(path, header, rows, crs=given, id_field=id_field)
            return Source(path, sha256, "field-csv", [layer])
        layer = _read_csv(
            path,
            header,
            rows,
            crs=given,
            id_field=id_field,
            x_field=x_field,
            y_field=y_field,
            wkt_field=wkt_field,
        )
        return Source(path, sha256, fmt, [layer])
    if x_field is not None or y_field is not None or wkt_field is not None:
        raise SourceError("x_field, y_field and wkt_field apply to CSV files only")
    available = _gdal_layers(path, fmt)
    by_name = {layer.name: layer for layer in available}
    chosen = _select(list(by_name), layers, path.name)
    read_layers = [
        _read_gdal_layer(path, by_name[name], crs=given, encoding=encoding, id_field=id_field)
        for name in chosen
    ]
    return Source(path, sha256, fmt, read_layers)
