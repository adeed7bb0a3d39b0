"""The database is a valid GeoPackage that GDAL (and so QGIS) opens, layer by layer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from safeground.services import example
from safeground.store import gpkg
from safeground.store.base import LAYERS
from safeground.store.sqlite import SQLiteStore

SPATIAL = {
    "hazard_areas": "MultiPolygon",
    "land_release": "MultiPolygon",
    "eo_items": "Point",
    "accidents": "Point",
    "assets": "Unknown",
}


@pytest.fixture(scope="module")
def example_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gpkg") / "example.gpkg"
    with SQLiteStore.create(path) as store:
        example.run(store)
    return path


def test_gdal_lists_every_layer_with_its_geometry_type(example_db: Path) -> None:
    listed = {name: kind for name, kind in pyogrio.list_layers(example_db)}
    for name in LAYERS:
        assert name in listed
    for name, kind in SPATIAL.items():
        assert listed[name] == kind


def test_every_layer_reads_back_with_geometries_and_a_spatial_index(example_db: Path) -> None:
    with SQLiteStore(example_db) as store:
        for name in LAYERS:
            expected = store.layer(name)
            info = pyogrio.read_info(example_db, layer=name)
            assert info["features"] == len(expected.rows), name
            if name not in SPATIAL:
                continue
            assert info["crs"] == "EPSG:4326"
            assert info["capabilities"]["fast_spatial_filter"], f"{name} has no R-tree"
            _meta, _fids, geometry, fields = pyogrio.raw.read(example_db, layer=name)
            assert geometry is not None and len(geometry) == len(expected.rows) > 0
            got = shapely.from_wkb(geometry)
            want = shapely.from_wkb(np.array(expected.geometries, dtype=object))
            assert shapely.equals_exact(got, want, tolerance=0).all(), name
            assert list(fields[0]) == [row[0] for row in expected.rows]


def test_spatial_filter_through_gdal_finds_the_area_in_its_box(example_db: Path) -> None:
    areas = pyogrio.raw.read(
        example_db, layer="hazard_areas", bbox=(36.899, 49.399, 36.9035, 49.402)
    )
    assert list(areas[3][0]) == ["HA-000001"]


def test_personal_data_is_not_a_listed_layer(example_db: Path) -> None:
    names = {name for name, _ in pyogrio.list_layers(example_db)}
    assert "victims" not in names and "report_personal" not in names
    conn = sqlite3.connect(example_db)
    assert conn.execute("SELECT count(*) FROM victims").fetchone()[0] == 1
    conn.close()


def test_file_declares_itself_a_geopackage(example_db: Path) -> None:
    conn = sqlite3.connect(example_db)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == gpkg.APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == gpkg.USER_VERSION
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_opening_a_file_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    from safeground.store.base import InvalidData, NotFound

    other = tmp_path / "other.gpkg"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(InvalidData):
        SQLiteStore(other)
    with pytest.raises(NotFound, match="safeground init"):
        SQLiteStore(tmp_path / "missing.gpkg")


coordinate = st.floats(-179, 179, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(coordinate, st.floats(-89, 89)), min_size=1, max_size=20))
def test_geometry_blob_round_trips_with_its_envelope(points: list[tuple[float, float]]) -> None:
    geom = shapely.MultiPoint(points)
    blob = gpkg.encode(geom)
    assert blob is not None
    assert shapely.equals_exact(gpkg.decode(blob), geom, tolerance=0)
    minx, miny, maxx, maxy = geom.bounds
    assert gpkg._envelope(blob) == (minx, maxx, miny, maxy)


def test_encoding_many_geometries_at_once_equals_encoding_each() -> None:
    geoms = [
        shapely.box(0, 0, 1, 1),
        None,
        shapely.Polygon(),
        shapely.Point(30.5, 50.25),
        shapely.MultiPolygon([shapely.box(2, 2, 3, 4)]),
    ]
    assert gpkg.encode_many(geoms) == [gpkg.encode(g) for g in geoms]


def test_number_blocks_never_overlap(tmp_path: Path) -> None:
    with SQLiteStore.create(tmp_path / "n.gpkg") as store, store.transaction():
        assert store.next_number("area") == 1
        assert store.next_number("area", 100) == 2
        assert store.next_number("area") == 102
        assert store.next_number("team", 5) == 1
        with pytest.raises(ValueError):
            store.next_number("area", 0)


def test_bulk_inserts_keep_the_spatial_index_and_its_triggers(tmp_path: Path) -> None:
    from safeground.services.workflow import Draft, Workflow
    from tests.conftest import box, gj

    path = tmp_path / "bulk.gpkg"
    with SQLiteStore.create(path) as store:
        workflow = Workflow(store)
        drafts = [
            Draft("area.register", {"geometry": gj(box(150 * i, 0, 100, 100))}) for i in range(300)
        ]
        workflow.file_many(drafts, author="a", reviewer="b")  # above the bulk threshold
        workflow.file_many(
            [Draft("area.register", {"geometry": gj(box(0, 900, 50, 50))})],
            author="a",
            reviewer="b",
        )
    conn = sqlite3.connect(path)
    try:
        triggers = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        assert "rtree_hazard_areas_geom_insert" in triggers
        indexed = conn.execute(
            "SELECT count(*) FROM hazard_areas h JOIN rtree_hazard_areas_geom r ON r.id = h.fid"
        ).fetchone()[0]
        assert indexed == 301
        boxes = conn.execute(
            "SELECT r.minx, r.maxx, r.miny, r.maxy, h.geom FROM hazard_areas h "
            "JOIN rtree_hazard_areas_geom r ON r.id = h.fid"
        ).fetchall()
        for minx, maxx, miny, maxy, blob in boxes:  # each row's own box (float32, outward)
            x0, y0, x1, y1 = gpkg.decode(blob).bounds
            assert minx <= x0 < minx + 1e-4 and maxx - 1e-4 < x1 <= maxx
            assert miny <= y0 < miny + 1e-4 and maxy - 1e-4 < y1 <= maxy
    finally:
        conn.close()
    found = pyogrio.read_info(path, layer="hazard_areas")["features"]
    assert found == 301
    first = shapely.box(*box(0, 0, 100, 100).bounds)
    hits = pyogrio.raw.read(path, layer="hazard_areas", bbox=first.bounds)[2]
    assert len(hits) == 1
