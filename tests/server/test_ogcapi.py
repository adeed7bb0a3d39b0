"""OGC API - Features as a real client sees it: GDAL's OAPIF driver (through pyogrio) reads
each collection from a running server and gets what ``safeground export`` writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from safeground.cli import app as cli
from safeground.server import ogcapi
from safeground.server.app import create_app
from safeground.services import example
from safeground.services.team import COLLECTIONS
from safeground.services.workflow import Workflow
from safeground.store import open_store
from tests.server.conftest import Running, Server, make_server

pytestmark = pytest.mark.slow


@pytest.fixture
def told(backend_url: str, tmp_path: Path) -> Iterator[tuple[Server, Running, str]]:
    server = make_server(backend_url, tmp_path)
    with open_store(backend_url) as store:
        example.run(store)
        wf = Workflow(store)
        for i, kind in enumerate(("eo_find", "suspected_hazard")):
            payload = {
                "event_type": kind,
                "date": f"2024-0{i + 1}-15",
                "place": "Велика Писарівка",  # non-ASCII survives the trip
                "geometry": {"type": "Point", "coordinates": [36.9 + i / 100, 49.4]},
            }
            r = wf.draft("event.register", author="fo", payload=payload)
            wf.submit(r.id, user="fo")
            wf.approve(r.id, user="rev")
    running = Running(backend_url)
    token = server.client("view").headers["Authorization"].split()[1]
    try:
        yield server, running, token
    finally:
        running.stop()
        server.app.state.pool.close()


def _plain(value: Any) -> Any:
    if isinstance(value, float) and np.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _read(source: str, **kwargs: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    meta, _fids, geometry, fields = pyogrio.raw.read(source, **kwargs)
    names = list(meta["fields"])
    rows = [
        {n: _plain(col[i]) for n, col in zip(names, fields, strict=True)}
        for i in range(len(geometry if geometry is not None else fields[0]))
    ]
    return rows, list(shapely.from_wkb(geometry)) if geometry is not None else []


def test_gdal_reads_every_collection_as_the_export_writes_it(
    told: tuple[Server, Running, str], tmp_path: Path
) -> None:
    server, running, token = told
    out = tmp_path / "export"
    result = CliRunner().invoke(
        cli, ["export", str(out), "--format", "geojson", "--db", server.url]
    )
    assert result.exit_code == 0, result.output
    config = {"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": token, "GDAL_HTTP_TIMEOUT": "30"}
    pyogrio.set_gdal_config_options(config)
    try:
        listed = {name for name, _ in pyogrio.list_layers(f"OAPIF:{running.base}/ogc")}
        assert listed == set(COLLECTIONS)
        for name in COLLECTIONS:
            want_rows, want_geoms = _read(str(out / f"{name}.geojson"))
            got_rows, got_geoms = _read(f"OAPIF:{running.base}/ogc", layer=name)
            assert len(got_rows) == len(want_rows) > 0, name
            for got, want in zip(got_rows, want_rows, strict=True):
                assert {k: got.get(k) for k in want} == want, name
            assert all(
                shapely.equals_exact(g, w, 1e-9) for g, w in zip(got_geoms, want_geoms, strict=True)
            ), name
    finally:
        pyogrio.set_gdal_config_options({k: None for k in config})


def test_items_page_by_limit_and_filter_by_bbox(server: Server) -> None:
    with open_store(server.url) as store:
        example.run(store)
    view = server.client("view")
    landing = view.get("/ogc").json()
    assert {link["rel"] for link in landing["links"]} >= {"conformance", "data", "service-desc"}
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in view.get("/ogc/conformance").json()["conformsTo"]
    )
    ids, url = [], "/ogc/collections/hazard_areas/items?limit=2"
    while url:
        page = view.get(url).json()
        assert page["numberReturned"] == len(page["features"]) <= 2
        ids += [f["id"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), "")
    assert ids == ["HA-000001", "HA-000002", "HA-000003"]
    one = view.get("/ogc/collections/hazard_areas/items/HA-000002").json()
    x0, y0, x1, y1 = shapely.geometry.shape(one["geometry"]).bounds
    inside = view.get(f"/ogc/collections/hazard_areas/items?bbox={x0},{y0},{x1},{y1}").json()
    assert "HA-000002" in [f["id"] for f in inside["features"]]
    far = view.get("/ogc/collections/hazard_areas/items?bbox=0,0,1,1").json()
    assert far["features"] == []
    released = view.get("/ogc/collections/land_release/items?limit=100").json()["features"]
    first = released[0]["id"]
    assert view.get(f"/ogc/collections/land_release/items/{first}").json()["id"] == first
    assert view.get("/ogc/collections/hazard_areas/items/HA-999999").status_code == 404
    assert view.get("/ogc/collections/victims/items").status_code == 404
    assert view.get("/ogc/collections/hazard_areas/items?bbox=1,2,3").status_code == 400


def test_items_refuse_the_anonymous_and_the_unauthorised_before_reading_parameters(
    server: Server,
) -> None:
    for query in ("limit=abc", "bbox=1,2,3", "limit=0", "offset=-1"):
        url = f"/ogc/collections/hazard_areas/items?{query}"
        anonymous = server.client().get(url)
        assert anonymous.status_code == 401, query
        assert anonymous.headers["www-authenticate"] == "Bearer"
        assert server.client("pd").get(url).status_code == 403, query
    view = server.client("view")
    assert view.get("/ogc/collections/hazard_areas/items?limit=abc").status_code == 400
    assert view.get("/ogc/collections/hazard_areas/items?limit=0").status_code == 422
    assert view.get("/ogc/collections/hazard_areas/items?limit=10001").status_code == 422
    assert view.get("/ogc/collections/hazard_areas/items?offset=-1").status_code == 422


def test_item_pages_carry_each_stored_geometry_and_row_exactly(server: Server) -> None:
    with open_store(server.url) as store:
        example.run(store)
        want = store.layer_page("hazard_areas")
    page = server.client("view").get("/ogc/collections/hazard_areas/items?limit=100")
    assert page.headers["content-type"] == "application/geo+json"
    assert page.headers["x-content-type-options"] == "nosniff"
    got = page.json()["features"]
    assert [f["properties"] for f in got] == want.records()
    assert [f["id"] for f in got] == [row["area_id"] for row in want.records()]
    for feature, shape in zip(got, want.shapes(), strict=True):
        assert shapely.geometry.shape(feature["geometry"]).equals_exact(shape, 0)


def test_the_documented_items_route_answers_as_the_lean_path(server: Server) -> None:
    with open_store(server.url) as store:
        example.run(store)
    view = server.client("view")
    url = "/ogc/collections/hazard_areas/items?limit=2&offset=1"

    routes_only = create_app(server.app.state.settings)  # the same app without ItemPages
    routes_only.user_middleware = [
        m for m in routes_only.user_middleware if m.cls is not ogcapi.ItemPages
    ]
    try:
        direct = TestClient(routes_only, headers=dict(view.headers)).get(url)
    finally:
        routes_only.state.pool.close()
    lean = view.get(url)
    assert direct.status_code == lean.status_code == 200
    drop = {"timeStamp"}
    assert {k: v for k, v in direct.json().items() if k not in drop} == {
        k: v for k, v in lean.json().items() if k not in drop
    }
