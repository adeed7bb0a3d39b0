"""Import and check 100,000 hazard-area polygons from a GeoPackage; print the times.

    python benchmarks/importing.py [--features 100000]

The file is written first (irregular polygons of 6 to 16 vertices along a former front
line, four attributes). Then, each from a cold start on the same file:

- ``pyogrio.read_dataframe``: the bare read that the goal compares with (needs geopandas;
  without it the benchmark compares with ``pyogrio.raw.read`` and says so);
- our reader (``read_source``): the file read, every geometry checked, reprojected;
- the import (``safeground import --kind hazard-areas``): read, mapped, each feature a
  register report checked by the land-release rules and approved, one transaction;
- the checks (``safeground check``): the GICHD rule set and more over the register;
- the floor: the least any import and check must do, written as bare array and SQL calls
  with no Python per feature: the raw read, the geometries decoded, checked for validity
  and measured in one UTM zone, the same number of record rows (with their R-tree
  entries), register report rows and source-link rows inserted into a scratch SQLite
  file, and the overlapping pairs found and intersected. A goal below the floor's ratio
  cannot be met by a register that keeps a spatial index and a report per record.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyogrio
import shapely
from pyproj import Transformer
from rich.console import Console
from rich.table import Table

from safeground.importing.mapping import ImportKind
from safeground.importing.sources import read_source
from safeground.services import checking
from safeground.services.importing import import_file
from safeground.store.sqlite import SQLiteStore

T = TypeVar("T")


def polygons(n: int, seed: int = 11) -> np.ndarray:
    """``n`` star-shaped polygons along a front line from (35.0, 47.5) to (38.5, 50.5)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 1, n)
    lon = 35.0 + 3.5 * t + rng.normal(0, 0.15, n)
    lat = 47.5 + 3.0 * t + rng.normal(0, 0.15, n)
    radius = np.sqrt(np.minimum(rng.lognormal(math.log(20_000), 1.0, n), 2_000_000) / math.pi)
    out = np.empty(n, dtype=object)
    for i in range(n):
        k = int(rng.integers(6, 17))
        angles = np.linspace(0, 2 * np.pi, k, endpoint=False) + rng.uniform(0, 0.4 / k, k)
        r = radius[i] * rng.uniform(0.6, 1.0, k)
        dx = r * np.cos(angles) / (111_320.0 * math.cos(math.radians(lat[i])))
        dy = r * np.sin(angles) / 111_320.0
        out[i] = shapely.Polygon(np.column_stack([lon[i] + dx, lat[i] + dy]))
    return out


def write_file(path: Path, n: int) -> None:
    geoms = polygons(n)
    units = np.array([f"unit-{i % 40:02d}" for i in range(n)], dtype=object)
    pyogrio.raw.write(
        path,
        geometry=shapely.to_wkb(geoms),
        field_data=[
            np.array([f"area {i}" for i in range(n)], dtype=object),
            np.full(n, "SHA", dtype=object),
            units,
            np.full(n, "agriculture", dtype=object),
        ],
        fields=["name", "hazard_type", "admin_unit", "land_use"],
        crs="EPSG:4326",
        driver="GPKG",
        geometry_type="Polygon",
        layer="suspected_areas",
    )


def bare_read(path: Path) -> tuple[str, float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        pyogrio.read_dataframe(path)
        name = "pyogrio.read_dataframe"
    except ImportError:  # geopandas is not installed
        _, _, wkb, _ = pyogrio.raw.read(path)
        shapely.from_wkb(wkb)
        name = "pyogrio.raw.read + shapely.from_wkb (geopandas not installed)"
    return name, time.perf_counter() - t0, time.process_time() - c0


def floor(path: Path, scratch: Path) -> None:
    """The least an import and check of ``path`` must do (see the module docstring)."""
    _, _, wkb, fields = pyogrio.raw.read(path)
    geoms = shapely.from_wkb(wkb)
    shapely.is_valid(geoms)
    utm = Transformer.from_crs(4326, 32637, always_xy=True)
    shapely.area(shapely.transform(geoms, lambda xy: np.column_stack(utm.transform(*xy.T))))
    n = len(geoms)
    ids = [f"HA-{i:06d}" for i in range(n)]
    con = sqlite3.connect(scratch)
    con.executescript(
        "CREATE TABLE areas (fid INTEGER PRIMARY KEY, id TEXT, name TEXT, hazard_type TEXT, "
        "admin_unit TEXT, land_use TEXT, area_m2 REAL, geom BLOB);"
        "CREATE VIRTUAL TABLE rtree_areas_geom USING rtree(id, minx, maxx, miny, maxy);"
        "CREATE TABLE reports (id INTEGER PRIMARY KEY, kind TEXT, record_id TEXT, payload TEXT);"
        "CREATE INDEX reports_record ON reports (record_id);"
        "CREATE TABLE links (key TEXT PRIMARY KEY, record_id TEXT, hash TEXT, report_id INT);"
    )
    fid = range(1, n + 1)
    con.executemany(
        "INSERT INTO areas VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        zip(fid, ids, *fields[:4], np.zeros(n).tolist(), wkb, strict=True),
    )
    bounds = shapely.bounds(geoms).T.tolist()
    con.executemany(
        "INSERT INTO rtree_areas_geom VALUES (?, ?, ?, ?, ?)",
        zip(fid, bounds[0], bounds[2], bounds[1], bounds[3], strict=True),
    )
    con.executemany(
        "INSERT INTO reports VALUES (?, 'area.register', ?, '{}')", zip(fid, ids, strict=True)
    )
    digests = sorted(hashlib.sha256(blob).hexdigest() for blob in wkb)
    con.executemany(
        "INSERT INTO links VALUES (?, ?, ?, ?)",
        zip(digests, ids, digests, fid, strict=True),
    )
    con.commit()
    con.close()
    first, second = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = first < second
    shapely.intersection(geoms[first[pairs]], geoms[second[pairs]])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--features", type=int, default=100_000)
    args = parser.parse_args()
    n = args.features
    console = Console()
    times: list[tuple[str, float, float]] = []

    def clocked(label: str, action: Callable[[], T]) -> T:
        t0, c0 = time.perf_counter(), time.process_time()
        out = action()
        times.append((label, time.perf_counter() - t0, time.process_time() - c0))
        return out

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "areas.gpkg"
        t0 = time.perf_counter()
        write_file(path, n)
        t_write = time.perf_counter() - t0
        bare_name, t_bare, c_bare = bare_read(path)
        times.append((f"bare read: {bare_name}", t_bare, c_bare))
        source = clocked("our reader: read, check, reproject", lambda: read_source(path))
        bad = sum(f.error is not None for layer in source.layers for f in layer.features)
        with SQLiteStore.create(Path(tmp) / "register.gpkg") as store:
            summary = clocked(
                "import: each feature a register report through the rules, one transaction",
                lambda: import_file(store, path, ImportKind.HAZARD_AREAS, user="importer"),
            )
            result = clocked(
                "check the register",
                lambda: checking.check_register(store, layers=["hazard_areas"]),
            )
        clocked(
            "floor: the least any import + check must do",
            lambda: floor(path, Path(tmp) / "floor.sqlite"),
        )
    (_, t_import, c_import), (_, t_check, c_check) = times[-3:-1]
    times.insert(-1, ("import + check", t_import + t_check, c_import + c_check))

    table = Table(title=f"benchmarks/importing.py: {n:,} polygons from a GeoPackage")
    table.add_column("step")
    for column in ("seconds", "features/s", "ratio", "CPU seconds", "CPU ratio"):
        table.add_column(column, justify="right")
    for label, seconds, cpu in times:
        table.add_row(
            label,
            f"{seconds:.2f}",
            f"{n / seconds:,.0f}",
            f"{seconds / t_bare:.1f}",
            f"{cpu:.2f}",
            f"{cpu / c_bare:.1f}",
        )
    console.print(table)
    console.print(
        f"{summary.imported:,} imported, {bad} bad; {len(result.findings):,} findings. Ratios "
        f"are to the bare read ({bare_name}); CPU seconds (this process, all threads) are "
        "steadier than wall seconds on a shared machine. "
        f"Writing the test file took {t_write:.1f} s. Goal: import + check at most 3 times "
        "the bare read."
    )


if __name__ == "__main__":
    main()
