"""Area uploads in the formats the importer reads: one polygon, reprojected, or refused
with the reason (several features, a bare .shp, a zip that unpacks too far)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pytest
import shapely
from shapely.geometry import Polygon

from safeground.geometry import area_m2, from_geojson
from tests.conftest import box
from tests.server.conftest import Server


def _write(path: Path, geoms: list[Polygon], crs: str, driver: str) -> Path:
    pyogrio.raw.write(
        path,
        np.array([shapely.to_wkb(g) for g in geoms], dtype=object),
        [np.array([f"f{i}" for i in range(len(geoms))], dtype=object)],
        ["name"],
        driver=driver,
        geometry_type="Polygon",
        crs=crs,
    )
    return path


def _upload(server: Server, name: str, data: bytes) -> tuple[int, dict[str, Any]]:
    fo = server.client("fo")
    r = fo.post("/api/uploads/area", files={"file": (name, data)}, data={"name": "upload"})
    return r.status_code, r.json()


def _stored_m2(server: Server, report: dict[str, Any]) -> float:
    stored = server.client("view").get(f"/api/reports/{report['id']}").json()
    return area_m2(from_geojson(stored["payload"]["geometry"]))


def test_a_geopackage_and_a_zipped_projected_shapefile_are_read_as_one_polygon(
    server: Server, tmp_path: Path
) -> None:
    gpkg = _write(tmp_path / "a.gpkg", [box(0, 0, 100, 100)], "EPSG:4326", "GPKG")
    status, report = _upload(server, "field.gpkg", gpkg.read_bytes())
    assert status == 201, report
    assert _stored_m2(server, report) == pytest.approx(10_000, rel=0.01)
    # a 50 m square in UTM zone 36N: reprojected to longitude/latitude on the way in
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    square = Polygon(
        [(300_000, 5_580_000), (300_050, 5_580_000), (300_050, 5_580_050), (300_000, 5_580_050)]
    )
    _write(shp_dir / "field.shp", [square], "EPSG:32636", "ESRI Shapefile")
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as z:
        for part in shp_dir.iterdir():
            z.write(part, part.name)
    status, report = _upload(server, "field.zip", packed.getvalue())
    assert status == 201, report
    assert _stored_m2(server, report) == pytest.approx(2_500, rel=0.01)
    lon, lat = from_geojson(
        server.client("view").get(f"/api/reports/{report['id']}").json()["payload"]["geometry"]
    ).centroid.coords[0]
    assert 30 < lon < 31 and 50 < lat < 51  # where UTM 36N puts it, not metres


def test_uploads_that_are_not_one_readable_polygon_are_refused_with_the_reason(
    server: Server, tmp_path: Path
) -> None:
    two = _write(
        tmp_path / "two.gpkg", [box(0, 0, 10, 10), box(50, 0, 10, 10)], "EPSG:4326", "GPKG"
    )
    status, body = _upload(server, "two.gpkg", two.read_bytes())
    assert status == 422 and "expected one feature, found 2" in str(body)
    status, body = _upload(server, "field.shp", b"\x00" * 100)
    assert status == 422 and "zip of its parts" in str(body)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("field.gpkg", b"\x00" * 60_000_000)  # a few tens of kB packed
    assert len(bomb.getvalue()) < 200_000
    status, body = _upload(server, "field.zip", bomb.getvalue())
    assert status == 422 and "unpacks to" in str(body)
    status, body = _upload(server, "field.gpkg", b"not a database")
    assert status == 422 and "does not read" in str(body)
    assert server.client("view").get("/api/reports").json() == []  # nothing was stored
