"""The command line, end to end on a real database: what a user types and reads."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyogrio
import pytest
from typer.testing import CliRunner

from safeground.cli import app
from tests.conftest import box, gj

runner = CliRunner()


def run(*args: str, ok: bool = True) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SAFEGROUND_USER", "ana")
    monkeypatch.setenv("COLUMNS", "200")
    path = tmp_path / "site.gpkg"
    run("init", str(path))
    return path


def _write(path: Path, geom: object) -> Path:
    path.write_text(json.dumps(gj(geom)))
    return path


def test_full_land_release_story_through_the_cli(db: Path, tmp_path: Path) -> None:
    d = ["--db", str(db)]
    area = json.loads(
        run(
            "area",
            "add",
            "--geometry",
            str(_write(tmp_path / "a.json", box(0, 0, 100, 100))),
            "--name",
            "Field",
            "--admin",
            "North",
            "--date",
            "2025-01-10",
            "--submit",
            "--json",
            *d,
        )
    )
    assert area["status"] == "submitted" and area["record_id"] == "HA-000001"
    run("report", "approve", str(area["id"]), "--user", "ben", *d)

    activity = json.loads(
        run(
            "report",
            "new",
            "activity",
            "--area",
            "HA-000001",
            "--date",
            "2025-02-01",
            "--data",
            '{"activity_type": "non_technical_survey"}',
            "--submit",
            "--json",
            *d,
        )
    )
    assert activity["payload"]["activity_id"] == "A1"  # filled in by the workflow
    run("report", "approve", str(activity["id"]), "--user", "ben", *d)
    outcome = json.loads(
        run(
            "report",
            "new",
            "outcome",
            "--area",
            "HA-000001",
            "--date",
            "2025-02-10",
            "--data",
            '{"outcome": "cancelled", "activity_id": "A1"}',
            "--geometry",
            str(_write(tmp_path / "o.json", box(0, 0, 100, 100))),
            "--submit",
            "--json",
            *d,
        )
    )
    run("report", "approve", str(outcome["id"]), "--user", "ben", *d)
    close = json.loads(
        run(
            "report",
            "new",
            "area.close",
            "--area",
            "HA-000001",
            "--date",
            "2025-02-11",
            "--submit",
            "--json",
            *d,
        )
    )
    run("report", "approve", str(close["id"]), "--user", "ben", *d)

    shown = json.loads(run("area", "show", "HA-000001", "--json", *d))
    assert shown["status"] == "closed"
    (total,) = json.loads(run("summary", "--json", *d))
    assert total["cancelled_m2"] == pytest.approx(shown["area_m2"], rel=1e-6)
    # what was known on a day counts reports dated *and approved* by then; these were
    # approved today, so on 2025-02-05 nothing was known yet
    before = json.loads(run("history", "HA-000001", "--as-of", "2025-02-05", "--json", *d))
    assert before["state"] is None and before["reports"] == []
    assert len(before["other_reports"]) == 0  # not even drafted by then
    now = json.loads(run("history", "HA-000001", "--as-of", date.today().isoformat(), "--json", *d))
    assert now["state"]["status"] == "closed"
    assert [r["kind"] for r in now["reports"]] == [
        "area.register",
        "activity",
        "outcome",
        "area.close",
    ]
    listed = json.loads(run("area", "list", "--json", *d))
    assert [a["area_id"] for a in listed] == ["HA-000001"]
    reports = json.loads(run("report", "list", "--json", *d))
    assert {r["reviewed_by"] for r in reports} == {"ben"}


def test_refusal_exits_2_and_names_the_rule(db: Path, tmp_path: Path) -> None:
    d = ["--db", str(db)]
    run("area", "add", "--geometry", str(_write(tmp_path / "a.json", box(0, 0, 50, 50))), *d)
    result = runner.invoke(app, ["report", "new", "area.close", "--area", "HA-000001", *d])
    assert result.exit_code == 2
    assert "area-not-covered" in result.output


def test_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["summary", "--db", str(tmp_path / "none.gpkg")])
    assert result.exit_code == 1 and "safeground init" in result.output


def test_example_records_a_story_and_every_read_command_has_json(tmp_path: Path) -> None:
    db = tmp_path / "ex.gpkg"
    story = json.loads(run("example", "--db", str(db), "--json"))
    assert story["approved_reports"] > 20 and len(story["refusals"]) == 1
    for args in (
        ["area", "list"],
        ["area", "show", "HA-000001"],
        ["history", "HA-000003"],
        ["summary", "--by", "year"],
        ["report", "list"],
        ["report", "show", "1"],
    ):
        json.loads(run(*args, "--db", str(db), "--json"))


def test_wording_never_calls_unreleased_land_safe_or_clear(tmp_path: Path) -> None:
    db = tmp_path / "ex.gpkg"
    run("example", "--db", str(db))
    for args in (
        ["area", "list"],
        ["summary"],
        ["summary", "--by", "admin"],
        ["area", "show", "HA-000003"],
    ):
        text = run(*args, "--db", str(db)).lower()
        for word in ("safe", "clear of", "mine-free", "no risk", "no hazard"):
            assert word not in text, (args, word)


def test_export_writes_every_layer_and_no_personal_data_unless_asked(tmp_path: Path) -> None:
    db = tmp_path / "ex.gpkg"
    run("example", "--db", str(db))
    out = tmp_path / "out.gpkg"
    run("export", str(out), "--db", str(db))
    names = {n for n, _ in pyogrio.list_layers(out)}
    assert {"hazard_areas", "land_release", "assets", "accidents"} <= names
    assert "victims" not in names
    assert "A. Farmer" not in out.read_bytes().decode("latin-1")
    areas = pyogrio.raw.read(out, layer="hazard_areas")
    assert len(areas[2]) == 3

    for fmt in ("geojson", "csv"):
        folder = tmp_path / fmt
        run("export", str(folder), "--format", fmt, "--db", str(db))
        assert (folder / f"hazard_areas.{fmt}").exists()
        assert not (folder / f"victims.{fmt}").exists()
        assert "A. Farmer" not in "".join(p.read_text() for p in folder.iterdir())
    csv_text = (tmp_path / "csv" / "land_release.csv").read_text()
    assert csv_text.startswith("WKT,") and "MULTIPOLYGON" in csv_text

    personal = tmp_path / "personal"
    run("export", str(personal), "--format", "csv", "--include-personal", "--db", str(db))
    assert "A. Farmer" in (personal / "victims.csv").read_text()


def _features(path: Path, *geoms: object) -> Path:
    features = [
        {"type": "Feature", "properties": {"name": f"field {i}"}, "geometry": gj(g)}
        for i, g in enumerate(geoms)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_import_json_summary_counts_and_reimport_is_idempotent(db: Path, tmp_path: Path) -> None:
    path = _features(tmp_path / "areas.geojson", box(0, 0, 100, 100), box(500, 0, 100, 100))
    args = ("import", str(path), "--kind", "hazard-areas", "--db", str(db), "--json")
    first = json.loads(run(*args))
    assert (first["read"], first["imported"], first["rejected"]) == (2, 2, 0)
    assert first["layers"][0]["crs"] == "EPSG:4326"
    again = json.loads(run(*args))
    assert (again["imported"], again["unchanged"]) == (0, 2)
    assert len(json.loads(run("area", "list", "--db", str(db), "--json"))) == 2


def test_import_refusal_lists_each_bad_feature_and_skip_invalid_writes_rejects(
    db: Path, tmp_path: Path
) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[30, 50], [30.1, 50.1], [30.1, 50], [30, 50.1], [30, 50]]],
    }
    path = tmp_path / "areas.geojson"
    _features(path, box(0, 0, 100, 100))
    data = json.loads(path.read_text())
    data["features"].append({"type": "Feature", "properties": {"name": "x"}, "geometry": bowtie})
    path.write_text(json.dumps(data))
    result = runner.invoke(app, ["import", str(path), "--kind", "hazard-areas", "--db", str(db)])
    assert result.exit_code == 2
    assert "feature 1" in result.output and "Self-intersection" in result.output
    rejects = tmp_path / "rejects.csv"
    summary = json.loads(
        run(
            "import",
            str(path),
            "--kind",
            "hazard-areas",
            "--db",
            str(db),
            "--json",
            "--skip-invalid",
            "--rejects",
            str(rejects),
        )
    )
    assert (summary["read"], summary["imported"], summary["rejected"]) == (2, 1, 1)
    assert "Self-intersection" in rejects.read_text()


def test_check_reports_findings_and_fix_files_a_repair_report(db: Path, tmp_path: Path) -> None:
    square = box(0, 0, 100, 100)
    ring = list(square.exterior.coords)
    repeated = {"type": "Polygon", "coordinates": [[ring[0], ring[1], ring[1], *ring[2:]]]}
    path = tmp_path / "areas.geojson"
    _features(path, box(500, 0, 100, 100))
    data = json.loads(path.read_text())
    data["features"].append({"type": "Feature", "properties": {}, "geometry": repeated})
    duplicate = gj(box(500, 0, 100, 100))
    data["features"].append({"type": "Feature", "properties": {}, "geometry": duplicate})
    path.write_text(json.dumps(data))
    run("import", str(path), "--kind", "hazard-areas", "--db", str(db))
    result = runner.invoke(app, ["check", "--db", str(db), "--json"])
    assert result.exit_code == 3  # errors found: the duplicate polygons
    report = json.loads(result.output)
    assert report["counts"]["duplicate-vertices"] == 1
    assert report["counts"]["duplicate-geometry"] == 2  # HA-000001 and HA-000003
    fixed = json.loads(runner.invoke(app, ["check", "--db", str(db), "--json", "--fix"]).output)
    assert [r["record_id"] for r in fixed["repairs"]] == ["HA-000002"]
    history = json.loads(run("history", "HA-000002", "--db", str(db), "--json"))
    assert "repaired by safeground check --fix" in json.dumps(history)
    after = json.loads(runner.invoke(app, ["check", "--db", str(db), "--json"]).output)
    assert "duplicate-vertices" not in after["counts"]


def test_plan_psplib_prints_a_checked_optimal_schedule_as_json() -> None:
    from safeground.planning.checker import check_schedule
    from safeground.planning.model import Schedule
    from safeground.planning.psplib import read_psplib
    from tests.conftest import shared_data

    path = shared_data("psplib", "j30.sm", "j301_1.sm")
    # proven in well under a second on an idle machine; the limit is for a loaded CI host
    data = json.loads(run("plan", "psplib", str(path), "--time-limit", "60", "--json"))
    assert (data["makespan"], data["status"], data["lower_bound"]) == (43, "optimal", 43)
    problem = read_psplib(path)
    modes = {job: k - 1 for job, k in data["modes"].items()}
    assert check_schedule(problem, Schedule(data["starts"], modes)) == []
    assert set(data["starts"]) == {str(j) for j in range(1, 33)}


def test_plan_region_names_the_missing_teams(db: Path, tmp_path: Path) -> None:
    path = _features(tmp_path / "areas.geojson", box(0, 0, 100, 100))
    run("import", str(path), "--kind", "hazard-areas", "--db", str(db))
    result = runner.invoke(app, ["plan", "region", "--db", str(db)])
    assert result.exit_code == 1
    assert "manual clearance teams" in result.output
    data = json.loads(
        run(
            "plan",
            "region",
            "--db",
            str(db),
            "--json",
            "--time-limit",
            "2",
            "--capacity",
            "manual_clearance=2",
            "--capacity",
            "technical_survey=1",
        )
    )
    assert [t["work"] for t in data["tasks"]] == ["technical survey", "clearance"]
    assert data["makespan_days"] > 0


def test_scenarios_compare_json_on_the_register(db: Path, tmp_path: Path) -> None:
    path = _features(tmp_path / "areas.geojson", box(0, 0, 300, 300), box(900, 0, 100, 100))
    run("import", str(path), "--kind", "hazard-areas", "--db", str(db))
    data = json.loads(run("scenarios", "compare", "--db", str(db), "--json", "--runs", "200"))
    assert [r["people"] for r in data["rows"]] == [6_000, 20_000, 50_000]
    assert all(r["completion_p50"] > 0 for r in data["rows"])
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[pools]]\nname = "p"\npeople = -5\n')
    result = runner.invoke(app, ["scenarios", "compare", str(bad), "--db", str(db)])
    assert result.exit_code == 1
    assert "bad.toml" in result.output
