"""OGC GeoPackage encoding: geometry blobs, the core tables and R-tree spatial indexes.

A GeoPackage is a SQLite file with a few metadata tables (spec 1.3, OGC 12-128r15).
Geometries are "GeoPackageBinary": a small header with the SRS id and envelope, then
ISO WKB. The spatial index is an R-tree kept current by the spec's triggers, which call
ST_* functions that GDAL provides to its own connections and :func:`register_functions`
provides to ours.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10300  # GeoPackage 1.3

_HEADER = struct.Struct("<2sBBi")
_ENVELOPE_XY = struct.Struct("<4d")
_ENVELOPE_SIZES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_EMPTY = 0x10
_LITTLE_ENDIAN = 0x01
_ENVELOPE_XY_FLAG = 0x02  # envelope indicator 1 ([minx, maxx, miny, maxy]) in bits 1-3


def encode(geom: BaseGeometry | None, srs_id: int = 4326) -> bytes | None:
    """GeoPackageBinary for ``geom`` (None stays None)."""
    if geom is None:
        return None
    wkb: bytes = shapely.to_wkb(geom, byte_order=1, output_dimension=2, flavor="iso")
    if geom.is_empty:
        return _HEADER.pack(b"GP", 0, _EMPTY | _LITTLE_ENDIAN, srs_id) + wkb
    minx, miny, maxx, maxy = geom.bounds
    header = _HEADER.pack(b"GP", 0, _ENVELOPE_XY_FLAG | _LITTLE_ENDIAN, srs_id)
    return header + _ENVELOPE_XY.pack(minx, maxx, miny, maxy) + wkb


def encode_many(geoms: Sequence[BaseGeometry | None], srs_id: int = 4326) -> list[bytes | None]:
    """:func:`encode` for many geometries at once (GEOS works on the whole array)."""
    array = np.asarray(geoms, dtype=object)
    wkbs = shapely.to_wkb(array, byte_order=1, output_dimension=2, flavor="iso")
    bounds = shapely.bounds(array)
    empty = shapely.is_empty(array)
    plain = _HEADER.pack(b"GP", 0, _ENVELOPE_XY_FLAG | _LITTLE_ENDIAN, srs_id)
    blobs: list[bytes | None] = []
    for geom, wkb_, (minx, miny, maxx, maxy), is_empty in zip(
        geoms, wkbs, bounds, empty, strict=True
    ):
        if geom is None:
            blobs.append(None)
        elif is_empty:
            blobs.append(_HEADER.pack(b"GP", 0, _EMPTY | _LITTLE_ENDIAN, srs_id) + wkb_)
        else:
            blobs.append(plain + _ENVELOPE_XY.pack(minx, maxx, miny, maxy) + wkb_)
    return blobs


def _wkb_offset(blob: bytes) -> int:
    magic, _version, flags, _srs = _HEADER.unpack_from(blob)
    if magic != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    return _HEADER.size + _ENVELOPE_SIZES[(flags >> 1) & 0x07]


def decode(blob: bytes | None) -> BaseGeometry | None:
    if blob is None:
        return None
    return shapely.from_wkb(bytes(blob[_wkb_offset(blob) :]))


def wkb(blob: bytes) -> bytes:
    """The ISO WKB inside a GeoPackageBinary blob."""
    return bytes(blob[_wkb_offset(blob) :])


def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) of a blob, from its header when it has one."""
    if blob is None:
        return None
    flags = blob[3]
    if flags & _EMPTY:
        return None
    if (flags >> 1) & 0x07:
        minx, maxx, miny, maxy = _ENVELOPE_XY.unpack_from(blob, _HEADER.size)
        return minx, maxx, miny, maxy
    geom = decode(blob)
    if geom is None or geom.is_empty:
        return None
    x0, y0, x1, y1 = geom.bounds
    return x0, x1, y0, y1


def _coord(i: int):  # type: ignore[no-untyped-def]
    def f(blob: bytes | None) -> float | None:
        env = _envelope(blob)
        return None if env is None else env[i]

    return f


def _is_empty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    return 1 if blob[3] & _EMPTY else 0


def register_functions(conn: sqlite3.Connection) -> None:
    """The ST_* functions that the spec's R-tree triggers call."""
    conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(name, 1, _coord(i), deterministic=True)


CORE_SQL = """
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);
CREATE TABLE gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
);
INSERT INTO gpkg_spatial_ref_sys VALUES
 ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
 ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
 ('WGS 84 geodetic', 4326, 'EPSG', 4326,
  'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
  'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
"""


def feature_table_sql(table: str, column: str, geometry_type: str, description: str) -> str:
    """Register ``table`` as a feature layer in EPSG:4326 with an R-tree on ``column``.

    The table must exist with an ``fid INTEGER PRIMARY KEY AUTOINCREMENT`` column.
    """
    t, c, rt = table, column, f"rtree_{table}_{column}"
    return f"""
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
 VALUES ('{t}', 'features', '{t}', '{description}', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('{t}', '{c}', '{geometry_type}', 4326, 0, 0);
INSERT INTO gpkg_extensions VALUES ('{t}', '{c}', 'gpkg_rtree_index',
 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE VIRTUAL TABLE {rt} USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER {rt}_insert AFTER INSERT ON {t}
WHEN (new.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c}))
BEGIN
  INSERT OR REPLACE INTO {rt} VALUES (NEW.fid,
    ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c}));
END;
CREATE TRIGGER {rt}_update1 AFTER UPDATE OF {c} ON {t}
WHEN OLD.fid = NEW.fid AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))
BEGIN
  INSERT OR REPLACE INTO {rt} VALUES (NEW.fid,
    ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c}));
END;
CREATE TRIGGER {rt}_update2 AFTER UPDATE OF {c} ON {t}
WHEN OLD.fid = NEW.fid AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))
BEGIN
  DELETE FROM {rt} WHERE id = OLD.fid;
END;
CREATE TRIGGER {rt}_update3 AFTER UPDATE ON {t}
WHEN OLD.fid != NEW.fid AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))
BEGIN
  DELETE FROM {rt} WHERE id = OLD.fid;
  INSERT OR REPLACE INTO {rt} VALUES (NEW.fid,
    ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c}));
END;
CREATE TRIGGER {rt}_update4 AFTER UPDATE ON {t}
WHEN OLD.fid != NEW.fid AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))
BEGIN
  DELETE FROM {rt} WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER {rt}_delete AFTER DELETE ON {t}
WHEN old.{c} NOT NULL
BEGIN
  DELETE FROM {rt} WHERE id = OLD.fid;
END;
"""


def attribute_table_sql(table: str, description: str) -> str:
    """Register ``table`` as a non-spatial (attributes) table of the GeoPackage."""
    return f"""
INSERT INTO gpkg_contents (table_name, data_type, identifier, description)
 VALUES ('{table}', 'attributes', '{table}', '{description}');
"""
