"""The report service: its tables are the summary's numbers, the public edition holds no
personal field and no hazard coordinate finer than its grid, the CLI writes both files,
and the demo writes the report with its plan and forecast."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import shapely
from typer.testing import CliRunner

from safeground.cli import app
from safeground.reports import layers
from safeground.services import demo
from safeground.store import open_store
from safeground.store.sqlite import SQLiteStore
from tests.reports.shared import VICTIM_NAME, Example, write_example
from tests.reports.summary_json import RELEASE_TABLES, assert_table_equals_summary


@pytest.fixture(scope="session")
def example_report(tmp_path_factory: pytest.TempPathFactory) -> Example:
    return write_example(tmp_path_factory)


def _map_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="map-data" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def _coordinates(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    return [tuple(c) for c in shapely.get_coordinates(shapely.geometry.shape(geometry))]


@pytest.mark.parametrize("table", sorted(RELEASE_TABLES))
def test_document_release_tables_equal_the_summary_json(
    example_report: Example, table: str
) -> None:
    rows = example_report.report.document.table(table).rows
    assert_table_equals_summary(rows, example_report.db, RELEASE_TABLES[table])


def test_cross_table_sums_to_the_summary_by_method(example_report: Example) -> None:
    cross = example_report.report.document.table("release-by-year-admin-method").rows
    by_method = example_report.report.document.table("release-by-method").rows
    for method_row in by_method:
        method = method_row[0][0]
        parts = [r for r in cross if r[2][0] == method]
        for col in range(1, 5):  # cancelled, reduced, cleared, released
            total = sum(r[col + 2][1] or 0.0 for r in parts)
            assert total == pytest.approx(method_row[col][1])


def test_no_report_holds_a_victims_personal_data(example_report: Example) -> None:
    with open_store(example_report.db) as store:
        victims = store.layer("victims").records()
    assert any(v["name"] == VICTIM_NAME for v in victims)  # recorded, so the test bites
    for written in (example_report.report, example_report.public):
        html = written.html.read_text(encoding="utf-8")
        assert VICTIM_NAME not in html
        data = json.dumps(_map_data(html))
        for field in ('"sex"', '"injury"', '"age"', "victim"):
            assert field not in data


def test_public_report_shows_open_hazards_only_on_its_grid(example_report: Example) -> None:
    with open_store(example_report.db) as store:
        areas = store.layer("hazard_areas")
        open_shapes = [
            g for r, g in zip(areas.records(), areas.shapes(), strict=True) if r["status"] == "open"
        ]
        names = {str(r["name"]) for r in store.layer("assets").records()}
    assert open_shapes, "the example has an open area: the test would prove nothing"
    html = example_report.public.html.read_text(encoding="utf-8")
    data = _map_data(html)
    hazards = next(layer for layer in data["layers"] if layer["key"] == "hazards")
    grid = layers.PUBLIC_GRID
    generalised = [
        f for f in hazards["features"] if f["properties"]["style"] == layers.PUBLIC_HAZARD
    ]
    assert generalised
    for feature in generalised:
        for x, y in _coordinates(feature["geometry"]):
            assert abs(x / grid - round(x / grid)) < 1e-9 and abs(y / grid - round(y / grid)) < 1e-9
    # no coordinate anywhere on the map lies inside an open area, except a grid centre
    hazard_zone = shapely.union_all(open_shapes).buffer(1e-7)
    for layer in data["layers"]:
        for feature in layer["features"]:
            if feature["properties"]["style"] == layers.PUBLIC_HAZARD:
                continue
            for x, y in _coordinates(feature["geometry"]):
                assert not hazard_zone.covers(shapely.Point(x, y)), (layer["key"], x, y)
    # nor as text, in any precision finer than the grid
    for shape in open_shapes:
        for x, y in shapely.get_coordinates(shape):
            for digits in (4, 5, 6):  # 11 m, 1 m, 0.1 m
                assert f"{x:.{digits}f}" not in html and f"{y:.{digits}f}" not in html
    assert "0.01° grid cell" in html
    for name in names:
        assert name not in html  # asset names are left out of the public edition


def test_full_report_draws_open_hazards_as_recorded(example_report: Example) -> None:
    data = _map_data(example_report.report.html.read_text(encoding="utf-8"))
    hazards = next(layer for layer in data["layers"] if layer["key"] == "hazards")
    kinds = {f["geometry"]["type"] for f in hazards["features"]}
    assert kinds <= {"Polygon", "MultiPolygon"} and len(hazards["features"]) == 3


def test_report_command_writes_html_and_pdf_and_keeps_the_subcommands(
    example_report: Example, tmp_path: Path
) -> None:
    runner = CliRunner()
    db = str(example_report.db)
    result = runner.invoke(
        app, ["report", "--db", db, "--out", str(tmp_path), "--public", "--no-forecast", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "html": str(tmp_path / "report-public.html"),
        "pdf": str(tmp_path / "report-public.pdf"),
        "public": True,
    }
    assert (tmp_path / "report-public.pdf").read_bytes()[:5] == b"%PDF-"
    listed = runner.invoke(app, ["report", "list", "--db", db, "--json"])
    assert listed.exit_code == 0 and len(json.loads(listed.output)) > 10


def test_report_without_a_plan_says_why(example_report: Example) -> None:
    text = example_report.report.html.read_text(encoding="utf-8")
    assert "not asked for" in text


def test_demo_writes_the_report_with_plan_forecast_scenarios_and_tornado(
    tmp_path: Path,
) -> None:
    with SQLiteStore.create(tmp_path / "demo.gpkg") as store:
        demo.run(store, tmp_path / "report", areas=20, plan_seconds=1, runs=100)
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    for chart in ("gantt", "s-curve-land", "s-curve-assets", "tornado"):
        assert f'data-chart="{chart}"' in html
    for table in ("plan-by-team-type", "milestones", "scenarios", "tornado", "checks-by-rule"):
        assert f'data-table="{table}"' in html
    assert (tmp_path / "report" / "report.pdf").stat().st_size > 10_000
