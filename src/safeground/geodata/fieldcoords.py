"""Mine-action field coordinates to WGS84 polygons.

Survey and clearance teams record a hazard area as a *benchmark* (a fixed reference point
near the area, usually a marked stake) and *turning points* round its boundary. Each point
is given either by absolute coordinates (longitude/latitude, UTM or MGRS), or by a bearing
and a distance from the previous point: the first turning point from the benchmark, each
next one from the turning point before it. Nothing here reads files; a caller hands in the
rows of a CSV file (``csv.DictReader`` gives exactly what :func:`polygons_from_rows` takes).

CSV layout
----------
One row per point, a header row naming the columns (any order; other columns are ignored;
a missing column and a blank cell mean the same):

==============  =========================================================================
column          meaning
==============  =========================================================================
polygon_id      the polygon the point belongs to (required)
point_type      ``benchmark``: the reference point, at most one per polygon, not a vertex;
                ``turning_point``: a vertex of the polygon;
                ``closing_point``: optional, the last leg measured back to the first
                turning point, so that the traverse can be checked to close
seq             integer, unique within the polygon (required); turning points are joined in
                ``seq`` order and a closing point must have the highest ``seq``; the
                benchmark's ``seq`` does not place it (it is the origin, not a vertex)
coord_system    ``lonlat``, ``utm``, ``mgrs`` or ``traverse`` (required); a benchmark
                needs absolute coordinates (not ``traverse``)
x, y            ``lonlat``: longitude, latitude in decimal degrees, WGS84;
                ``utm``: easting, northing in metres, WGS84 UTM
zone            ``utm``: the zone number, 1..60; ``traverse``: optional, the UTM zone whose
                grid north a ``grid`` bearing is measured from
hemisphere      ``N`` or ``S``, whenever ``zone`` is given
mgrs            ``mgrs``: the grid reference, e.g. ``33TUH 60100 36692`` (spaces allowed)
bearing_deg     ``traverse``: degrees clockwise from north, 0..360 (360 is north)
distance_m      ``traverse``: horizontal ground distance in metres from the previous point
                (from the benchmark for the first turning point), not negative
north           ``traverse``: ``grid`` (the default when blank) or ``true``: the north the
                bearing is taken from. Magnetic bearings must be corrected for declination
                before they are recorded here.
==============  =========================================================================

How a polygon is closed: the ring always runs from the last turning point back to the
first. If the team measured that last leg (a ``closing_point`` row, or
``returns_to_start=True`` for :func:`polygon_from_traverse`), the leg's end point is not a
vertex: it must land within ``close_tolerance_m`` of the first turning point, and the gap
is reported as the *misclosure* (in metres, on the ellipsoid). Without a measured last leg
there is nothing to check and the misclosure is ``None``.

Grid bearings are laid out on the UTM grid: the distance is scaled from ground to grid by
the UTM point scale factor at the leg's start (0.9996 on the central meridian, up to about
1.001 at a zone's edge: 4 to 10 cm per 100 m that would otherwise be lost). True bearings
are laid out as geodesics on the WGS84 ellipsoid with :class:`pyproj.Geod`, which is exact
for any leg length; UTM is kept for grid bearings because a grid bearing is only defined
on that grid.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import mgrs  # type: ignore[import-untyped]
import shapely
from pyproj import Geod, Proj, Transformer
from shapely.geometry import Polygon

from safeground.domain.model import ReleaseRules
from safeground.geometry import WGS84, GeometryError, area_m2, utm_epsg

North = Literal["grid", "true"]
LonLat = tuple[float, float]

#: The columns of the CSV layout described in the module docstring.
CSV_COLUMNS: tuple[str, ...] = (
    "polygon_id",
    "point_type",
    "seq",
    "coord_system",
    "x",
    "y",
    "zone",
    "hemisphere",
    "mgrs",
    "bearing_deg",
    "distance_m",
    "north",
)

#: Default accepted misclosure of a traverse, in metres. Bearings read to the nearest degree
#: put a point up to ~0.9 m to the side per 100 m leg; over the four to eight legs of a
#: typical hazard area that adds up to a few metres, about a handheld GNSS fix's accuracy.
#: A traverse that misses by more has a misread or mistyped leg and is sent back.
DEFAULT_CLOSE_TOLERANCE_M = 5.0

_GEOD = Geod(ellps="WGS84")
# Turning points closer than this are one point: far below what a tape or a GNSS receiver
# can tell apart, far above the float noise of a projection round trip (~1e-9 m).
_SAME_POINT_M = 0.001
# A ring enclosing less than this is numerical noise, not land (the domain's threshold).
_MIN_AREA_M2 = ReleaseRules().min_area_m2
_POINT_TYPES = ("benchmark", "turning_point", "closing_point")
_COORD_SYSTEMS = ("lonlat", "utm", "mgrs", "traverse")
# Zone, latitude band, 100 km square, then an even number of digits (0 to 10).
_MGRS = re.compile(r"^(\d{1,2})([C-HJ-NP-X])([A-HJ-NP-Z]{2})(\d{0,10})$")


@lru_cache(maxsize=64)
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


@lru_cache(maxsize=64)
def _proj(epsg: int) -> Proj:
    return Proj(f"EPSG:{epsg}")


def _finite(value: float, what: str) -> float:
    if isinstance(value, bool | str | bytes):
        raise GeometryError(f"{what} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GeometryError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise GeometryError(f"{what} is not a finite number: {value!r}")
    return number


def parse_mgrs(text: str) -> LonLat:
    """Longitude and latitude (WGS84) of an MGRS grid reference.

    ``text`` is a reference such as ``"33TUH6010036692"`` or ``"33T UH 60100 36692"``
    (case and spaces do not matter), at any precision from 100 km (no digits) to 1 m
    (ten digits), between 80S and 84N (polar UPS references are not accepted: no mine
    action programme works there). The result is the centre of the referenced square, as
    the ``mgrs`` package returns it: at 1 m precision, half a metre east and north of the
    square's south-west corner.

    Raises GeometryError naming the problem when ``text`` is not a well-formed reference
    or names a square that does not exist.
    """
    if not isinstance(text, str):
        raise GeometryError(f"an MGRS reference must be text, got {text!r}")
    ref = re.sub(r"\s+", "", text).upper()
    if not ref:
        raise GeometryError("the MGRS reference is empty")
    match = _MGRS.match(ref)
    if match is None:
        raise GeometryError(
            f"{text!r} is not an MGRS reference (expected zone 1-60, latitude band, two "
            "100 km square letters and up to 10 digits, e.g. '33TUH6010036692')"
        )
    if not 1 <= int(match.group(1)) <= 60:
        raise GeometryError(f"MGRS reference {text!r}: zone {match.group(1)} is not 1..60")
    digits = match.group(4)
    if len(digits) % 2:
        raise GeometryError(
            f"MGRS reference {text!r}: {len(digits)} digits; easting and northing need the "
            "same number of digits"
        )
    try:
        lat, lon = mgrs.MGRS().toLatLon(ref)
    except Exception as exc:  # the mgrs package raises its own MGRSError
        raise GeometryError(f"MGRS reference {text!r} does not convert: {exc}") from exc
    return float(lon), float(lat)


def utm_to_lonlat(zone: int, hemisphere: str, easting: float, northing: float) -> LonLat:
    """Longitude and latitude (WGS84) of a WGS84 UTM coordinate.

    ``zone`` is 1..60, ``hemisphere`` ``"N"`` or ``"S"`` (either case), ``easting`` and
    ``northing`` in metres (southern northings carry the 10,000,000 m false northing).

    Raises GeometryError naming the problem: a zone outside 1..60, a hemisphere other than
    N/S, non-finite numbers, an easting outside the 100,000..900,000 m a zone can span
    (often a northing typed as the easting, or a value in the wrong unit), or a northing
    outside 0..10,000,000 m.
    """
    if isinstance(zone, bool) or not isinstance(zone, int) or not 1 <= zone <= 60:
        raise GeometryError(f"UTM zone must be a whole number 1..60, got {zone!r}")
    hemi = hemisphere.strip().upper() if isinstance(hemisphere, str) else ""
    if hemi not in ("N", "S"):
        raise GeometryError(f"UTM hemisphere must be 'N' or 'S', got {hemisphere!r}")
    e = _finite(easting, "UTM easting")
    n = _finite(northing, "UTM northing")
    if not 100_000.0 <= e <= 900_000.0:
        raise GeometryError(
            f"UTM easting {e:,.1f} m is outside the 100,000..900,000 m a zone spans "
            "(easting and northing swapped, or not in metres?)"
        )
    if not 0.0 <= n <= 10_000_000.0:
        raise GeometryError(f"UTM northing {n:,.1f} m is outside 0..10,000,000 m")
    epsg = (32600 if hemi == "N" else 32700) + zone
    lon, lat = _transformer(epsg, WGS84).transform(e, n)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise GeometryError(f"UTM {zone}{hemi} {e} {n} does not convert to longitude/latitude")
    return float(lon), float(lat)


def _check_leg(where: str, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    bearing = _finite(bearing_deg, f"{where}bearing")
    distance = _finite(distance_m, f"{where}distance")
    if not 0.0 <= bearing <= 360.0:
        raise GeometryError(f"{where}bearing {bearing} is outside 0..360 degrees")
    if distance < 0.0:
        raise GeometryError(f"{where}distance {distance} m is negative")
    return bearing, distance


def _step(start: LonLat, bearing: float, distance: float, north: North, grid_epsg: int) -> LonLat:
    """The point ``distance`` ground metres from ``start`` on ``bearing``."""
    if distance == 0.0:
        return start  # exactly, so that a zero leg gives an exact duplicate
    lon, lat = start
    if north == "true":
        lon2, lat2, _ = _GEOD.fwd(lon, lat, bearing, distance)
        return float(lon2), float(lat2)
    easting, northing = _transformer(WGS84, grid_epsg).transform(lon, lat)
    scale = float(_proj(grid_epsg).get_factors(lon, lat).meridional_scale)
    rad = math.radians(bearing)
    easting += scale * distance * math.sin(rad)
    northing += scale * distance * math.cos(rad)
    lon2, lat2 = _transformer(grid_epsg, WGS84).transform(easting, northing)
    return float(lon2), float(lat2)


def _distance_m(a: LonLat, b: LonLat) -> float:
    _, _, dist = _GEOD.inv(a[0], a[1], b[0], b[1])
    return float(dist)


def _close_ring(
    points: Sequence[LonLat], closing: LonLat | None, tolerance_m: float
) -> tuple[Polygon, float | None]:
    """The polygon through ``points`` and the misclosure of ``closing`` (see module doc)."""
    misclosure: float | None = None
    if closing is not None and points:
        misclosure = _distance_m(closing, points[0])
        if misclosure > tolerance_m:
            raise GeometryError(
                f"the traverse does not close: its last leg ends {misclosure:,.2f} m from the "
                f"first turning point (tolerance {tolerance_m:g} m)"
            )
    ring: list[LonLat] = []
    for p in points:
        if not ring or _distance_m(p, ring[-1]) >= _SAME_POINT_M:
            ring.append(p)
    while len(ring) > 1 and _distance_m(ring[-1], ring[0]) < _SAME_POINT_M:
        ring.pop()
    distinct = len({(round(lon, 8), round(lat, 8)) for lon, lat in ring})  # 8 dp: ~1 mm
    if distinct < 3:
        raise GeometryError(
            f"only {distinct} distinct turning point(s); a polygon needs at least 3"
        )
    polygon = Polygon(ring)
    if not polygon.is_valid:
        raise GeometryError(
            f"the turning points make an invalid polygon: {shapely.is_valid_reason(polygon)}"
        )
    area = area_m2(polygon)
    if area < _MIN_AREA_M2:
        raise GeometryError(
            f"the turning points enclose {area:.3g} m², no area (are they all on one line?)"
        )
    return polygon, misclosure


@dataclass(frozen=True)
class TraversePolygon:
    """A polygon laid out from a traverse, with how well the traverse closed.

    ``misclosure_m`` is the distance in metres between where the measured last leg ended
    and the first turning point, or None when the last leg was not measured.
    """

    polygon: Polygon
    misclosure_m: float | None


def polygon_from_traverse(
    start_lon: float,
    start_lat: float,
    legs: Sequence[tuple[float, float]],
    *,
    returns_to_start: bool = True,
    close_tolerance_m: float = DEFAULT_CLOSE_TOLERANCE_M,
    north: North = "grid",
    grid_epsg: int | None = None,
) -> TraversePolygon:
    """The WGS84 polygon walked from (start_lon, start_lat) along ``legs``.

    ``start`` is the first turning point. Each leg is ``(bearing_deg, distance_m)`` from the
    point before: bearing clockwise from ``north`` (``"grid"``: grid north of ``grid_epsg``,
    by default the UTM zone holding the start; ``"true"``: true north, laid out as a
    geodesic), distance in ground metres. Each leg's end is a turning point, except that
    with ``returns_to_start`` (the default) the last leg is the measured walk back to the
    start: its end is not a vertex, it must be within ``close_tolerance_m`` of the start,
    and the gap is returned as ``misclosure_m``. So a closed traverse of n legs gives n
    vertices; with ``returns_to_start=False`` the ring is closed by a straight edge and n
    legs give n + 1 vertices. Zero-length legs are allowed and add no vertex (nor does any
    turning point within a millimetre of the one before).

    Raises GeometryError: a start outside longitude/latitude range; a bearing outside
    0..360 or a negative or non-finite distance (naming the leg); a misclosure over the
    tolerance; fewer than 3 distinct turning points; a self-intersecting or otherwise
    invalid ring (with shapely's reason).
    """
    lon = _finite(start_lon, "start longitude")
    lat = _finite(start_lat, "start latitude")
    epsg = grid_epsg if grid_epsg is not None else utm_epsg(lon, lat)
    if not (32601 <= epsg <= 32660 or 32701 <= epsg <= 32760):
        raise GeometryError(f"grid_epsg {epsg} is not a WGS84 UTM zone (32601-32660, 32701-32760)")
    tolerance = _finite(close_tolerance_m, "close tolerance")
    if tolerance < 0:
        raise GeometryError(f"close tolerance {tolerance} m is negative")
    if north not in ("grid", "true"):
        raise GeometryError(f"north must be 'grid' or 'true', got {north!r}")
    checked = [_check_leg(f"leg {i}: ", b, d) for i, (b, d) in enumerate(legs, start=1)]
    points: list[LonLat] = [(lon, lat)]
    for bearing, distance in checked:
        points.append(_step(points[-1], bearing, distance, north, epsg))
    closing: LonLat | None = None
    if returns_to_start and len(points) > 1:
        closing = points.pop()
    polygon, misclosure = _close_ring(points, closing, tolerance)
    return TraversePolygon(polygon=polygon, misclosure_m=misclosure)


# --- CSV rows --------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldPolygon:
    """One polygon built from field rows.

    ``geometry`` is a valid WGS84 Polygon whose vertices are the turning points in ``seq``
    order; ``misclosure_m`` as for :class:`TraversePolygon`; ``benchmark`` the benchmark's
    longitude/latitude, if the polygon had one; ``source_rows`` the row numbers it was
    built from, in ``seq`` order (benchmark first).
    """

    polygon_id: str
    geometry: Polygon
    misclosure_m: float | None
    benchmark: LonLat | None
    source_rows: tuple[int, ...]


@dataclass(frozen=True)
class FieldCoordsProblem:
    """Why one polygon could not be built: its id, the rows concerned, and the reason."""

    polygon_id: str
    rows: tuple[int, ...]
    message: str

    def __str__(self) -> str:
        where = f"polygon {self.polygon_id!r}" if self.polygon_id else "rows without polygon_id"
        return f"{where} (rows {_row_list(self.rows)}): {self.message}"


class FieldCoordsError(GeometryError):
    """Field rows that do not all make polygons; ``problems`` lists every bad polygon."""

    def __init__(self, problems: Sequence[FieldCoordsProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} polygon(s) could not be built:\n{lines}")


def _row_list(rows: Sequence[int]) -> str:
    return ", ".join(str(r) for r in rows)


@dataclass(frozen=True)
class _Row:
    number: int
    polygon_id: str
    point_type: str
    seq: int
    position: LonLat | None  # absolute coordinates, or None for a traverse leg
    leg: tuple[float, float] | None
    north: North
    grid_epsg: int | None


def _cell(row: Mapping[str, str | None], name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value).strip()


def _number(row: Mapping[str, str | None], name: str) -> float:
    text = _cell(row, name)
    if not text:
        raise GeometryError(f"{name} is missing")
    try:
        value = float(text)
    except ValueError:
        raise GeometryError(f"{name} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise GeometryError(f"{name} {text!r} is not a finite number")
    return value


def _zone(row: Mapping[str, str | None], *, required: bool) -> tuple[int, str] | None:
    zone_text, hemi = _cell(row, "zone"), _cell(row, "hemisphere").upper()
    if not zone_text and not hemi and not required:
        return None
    if not zone_text.isdigit():
        raise GeometryError(
            f"zone {zone_text!r} is not a zone number 1..60 (give the hemisphere N/S in "
            "its own column, not a latitude band letter)"
        )
    if hemi not in ("N", "S"):
        raise GeometryError(f"hemisphere {hemi!r} is not N or S")
    zone = int(zone_text)
    if not 1 <= zone <= 60:
        raise GeometryError(f"zone {zone} is not 1..60")
    return zone, hemi


def _parse_row(number: int, polygon_id: str, row: Mapping[str, str | None]) -> _Row:
    point_type = _cell(row, "point_type").lower()
    if point_type not in _POINT_TYPES:
        raise GeometryError(f"point_type {point_type!r} is not one of {', '.join(_POINT_TYPES)}")
    seq_text = _cell(row, "seq")
    try:
        seq = int(seq_text)
    except ValueError:
        raise GeometryError(f"seq {seq_text!r} is not a whole number") from None
    system = _cell(row, "coord_system").lower()
    position: LonLat | None = None
    leg: tuple[float, float] | None = None
    north: North = "grid"
    grid_epsg: int | None = None
    if system == "lonlat":
        lon, lat = _number(row, "x"), _number(row, "y")
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise GeometryError(
                f"x={lon}, y={lat} is outside longitude -180..180 / latitude -90..90"
                + (" (latitude and longitude swapped?)" if abs(lat) > 90 >= abs(lon) else "")
            )
        position = (lon, lat)
    elif system == "utm":
        zone_hemi = _zone(row, required=True)
        assert zone_hemi is not None
        position = utm_to_lonlat(*zone_hemi, _number(row, "x"), _number(row, "y"))
    elif system == "mgrs":
        position = parse_mgrs(_cell(row, "mgrs"))
    elif system == "traverse":
        if point_type == "benchmark":
            raise GeometryError("a benchmark needs absolute coordinates, not a traverse leg")
        leg = _check_leg("", _number(row, "bearing_deg"), _number(row, "distance_m"))
        north_text = _cell(row, "north").lower() or "grid"
        if north_text not in ("grid", "true"):
            raise GeometryError(f"north {north_text!r} is not grid or true")
        north = "true" if north_text == "true" else "grid"
        zone_hemi = _zone(row, required=False)
        if zone_hemi is not None:
            grid_epsg = (32600 if zone_hemi[1] == "N" else 32700) + zone_hemi[0]
    else:
        raise GeometryError(f"coord_system {system!r} is not one of {', '.join(_COORD_SYSTEMS)}")
    return _Row(number, polygon_id, point_type, seq, position, leg, north, grid_epsg)


def _build(polygon_id: str, rows: Sequence[_Row], tolerance_m: float) -> FieldPolygon:
    seqs: dict[int, list[int]] = {}
    for r in rows:
        seqs.setdefault(r.seq, []).append(r.number)
    repeated = {s: n for s, n in seqs.items() if len(n) > 1}
    if repeated:
        detail = "; ".join(f"seq {s} in rows {_row_list(n)}" for s, n in repeated.items())
        raise GeometryError(f"seq repeats within the polygon: {detail}")
    benchmarks = [r for r in rows if r.point_type == "benchmark"]
    if len(benchmarks) > 1:
        raise GeometryError(
            f"{len(benchmarks)} benchmarks (rows {_row_list([r.number for r in benchmarks])}); "
            "a polygon has at most one"
        )
    benchmark = benchmarks[0] if benchmarks else None
    ordered = sorted((r for r in rows if r.point_type != "benchmark"), key=lambda r: r.seq)
    closings = [r for r in ordered if r.point_type == "closing_point"]
    if len(closings) > 1:
        raise GeometryError(
            f"{len(closings)} closing points (rows {_row_list([r.number for r in closings])}); "
            "a polygon has at most one"
        )
    if closings and ordered[-1] is not closings[0]:
        raise GeometryError(
            f"row {closings[0].number}: the closing point must have the highest seq"
        )
    turning = [r for r in ordered if r.point_type == "turning_point"]
    if not turning:
        raise GeometryError("no turning points")
    origin = benchmark.position if benchmark is not None else turning[0].position
    if origin is None:
        raise GeometryError(
            f"row {turning[0].number}: the first turning point is given by bearing and "
            "distance, but the polygon has no benchmark to measure it from"
        )
    default_epsg = utm_epsg(*origin)
    previous: LonLat | None = benchmark.position if benchmark is not None else None
    positions: list[LonLat] = []
    for r in ordered:
        if r.position is not None:
            here = r.position
        else:
            assert r.leg is not None and previous is not None
            here = _step(previous, r.leg[0], r.leg[1], r.north, r.grid_epsg or default_epsg)
        positions.append(here)
        previous = here
    closing = positions.pop() if closings else None
    polygon, misclosure = _close_ring(positions, closing, tolerance_m)
    numbers = ([benchmark.number] if benchmark is not None else []) + [r.number for r in ordered]
    return FieldPolygon(
        polygon_id=polygon_id,
        geometry=polygon,
        misclosure_m=misclosure,
        benchmark=benchmark.position if benchmark is not None else None,
        source_rows=tuple(numbers),
    )


def read_field_polygons(
    rows: Iterable[Mapping[str, str | None]],
    *,
    close_tolerance_m: float = DEFAULT_CLOSE_TOLERANCE_M,
    first_row_number: int = 2,
) -> tuple[list[FieldPolygon], list[FieldCoordsProblem]]:
    """The polygons that field rows describe, and the problems of those that fail.

    ``rows`` are mappings from the column names of the CSV layout (module docstring) to
    cell text, e.g. a ``csv.DictReader``. Rows are numbered from ``first_row_number``: the
    default 2 makes the numbers file line numbers for a CSV with one header line and no
    line breaks inside cells. Rows are grouped by ``polygon_id``; a polygon with any bad
    row is not built, and every problem of it is reported, each with its row numbers.
    Polygons and problems come in the order their ``polygon_id`` first appears.

    Raises nothing for bad data (that is what the problems are for); GeometryError only
    for a negative or non-finite ``close_tolerance_m``.
    """
    tolerance = _finite(close_tolerance_m, "close tolerance")
    if tolerance < 0:
        raise GeometryError(f"close tolerance {tolerance} m is negative")
    parsed: dict[str, list[_Row]] = {}
    numbers: dict[str, list[int]] = {}
    row_errors: dict[str, list[str]] = {}
    for number, row in enumerate(rows, start=first_row_number):
        polygon_id = _cell(row, "polygon_id")
        numbers.setdefault(polygon_id, []).append(number)
        parsed.setdefault(polygon_id, [])
        if not polygon_id:
            row_errors.setdefault(polygon_id, []).append(f"row {number}: polygon_id is missing")
            continue
        try:
            parsed[polygon_id].append(_parse_row(number, polygon_id, row))
        except GeometryError as exc:
            row_errors.setdefault(polygon_id, []).append(f"row {number}: {exc}")
    polygons: list[FieldPolygon] = []
    problems: list[FieldCoordsProblem] = []
    for polygon_id, polygon_rows in parsed.items():
        rows_of = tuple(numbers[polygon_id])
        if polygon_id in row_errors:
            problems.append(
                FieldCoordsProblem(polygon_id, rows_of, "; ".join(row_errors[polygon_id]))
            )
            continue
        try:
            polygons.append(_build(polygon_id, polygon_rows, tolerance))
        except GeometryError as exc:
            problems.append(FieldCoordsProblem(polygon_id, rows_of, str(exc)))
    return polygons, problems


def polygons_from_rows(
    rows: Iterable[Mapping[str, str | None]],
    *,
    close_tolerance_m: float = DEFAULT_CLOSE_TOLERANCE_M,
    first_row_number: int = 2,
) -> list[FieldPolygon]:
    """Every polygon that field rows describe, or one error listing every bad polygon.

    As :func:`read_field_polygons`, but all or nothing: raises FieldCoordsError (a
    GeometryError) whose ``problems`` name each polygon that could not be built, with its
    row numbers and reasons, so that a file is fixed in one pass rather than one error at
    a time.
    """
    polygons, problems = read_field_polygons(
        rows, close_tolerance_m=close_tolerance_m, first_row_number=first_row_number
    )
    if problems:
        raise FieldCoordsError(problems)
    return polygons
