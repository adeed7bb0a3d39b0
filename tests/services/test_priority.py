"""Priorities from the register, their explanation, the wording rule, and the planner."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safeground.cli import app
from safeground.priority import wording_problems
from safeground.services.planning import plan_region, region_work
from safeground.services.priority import explain_area, planning_weights, priorities, read_risk
from safeground.services.workflow import Draft, Workflow
from safeground.store.sqlite import SQLiteStore
from tests.conftest import AUTHOR, ORIGIN, REVIEWER, box, gj

DAY = date(2025, 1, 10)


def _point(east_m: float, north_m: float) -> dict[str, object]:
    lon, lat = ORIGIN
    lon += east_m / (111_320.0 * math.cos(math.radians(lat)))
    lat += north_m / 111_320.0
    return {"type": "Point", "coordinates": [lon, lat]}


def _register(workflow: Workflow) -> None:
    area = "area.register"
    drafts = [
        # HA-000001: a confirmed field by the village, a destroyed school on its edge
        Draft(
            area,
            {
                "geometry": gj(box(0, 0, 200, 100)),
                "land_use": "agriculture",
                "hazard_type": "CHA",
                "blockages": "road to the school",
            },
            None,
            DAY,
        ),
        # HA-000002: a suspected forest 20 km away
        Draft(
            area,
            {"geometry": gj(box(20_000, 0, 100, 100)), "hazard_type": "SHA", "land_use": "forest"},
            None,
            DAY,
        ),
        # HA-000003: suspected pasture near the village
        Draft(
            area,
            {"geometry": gj(box(600, 0, 100, 100)), "hazard_type": "SHA", "land_use": "pasture"},
            None,
            DAY,
        ),
        Draft(
            "asset.register",
            {
                "geometry": gj(box(150, 50, 100, 20)),
                "kind": "building",
                "damage_grade": "destroyed",
                "name": "school",
            },
            None,
            DAY,
        ),
        Draft(
            "event.register",
            {"geometry": _point(300, 300), "event_type": "accident", "date": "2020-05-01"},
            None,
            DAY,
        ),
    ]
    drafts += [
        Draft(
            "asset.register",
            {
                "geometry": gj(box(100 * i, 300, 10, 10)),
                "kind": "building",
                "damage_grade": "not_affected",
            },
            None,
            DAY,
        )
        for i in range(8)
    ]
    teams = (("manual_clearance", 2), ("technical_survey", 1), ("construction", 1), ("eod", 1))
    for team_type, n in teams:
        drafts += [
            Draft("team.register", {"name": f"{team_type} {i}", "team_type": team_type}, None, DAY)
            for i in range(n)
        ]
    workflow.file_many(drafts, author=AUTHOR, reviewer=REVIEWER)


def test_field_by_the_village_ranks_first_and_remote_forest_last(
    store: SQLiteStore, workflow: Workflow
) -> None:
    _register(workflow)
    scores = priorities(store)
    assert [s.area_id for s in scores] == ["HA-000001", "HA-000003", "HA-000002"]
    first = {c.criterion: c.raw for c in scores[0].contributions}
    assert first["people"] == 9.0  # the school and 8 houses within 1 km
    assert first["reconstruction"] == 1.0 and first["accidents"] == 1.0
    assert first["infrastructure"] == 1.0  # the recorded blockage
    assert scores[-1].band == "lower priority"


def test_explaining_an_unknown_area_names_it(store: SQLiteStore, workflow: Workflow) -> None:
    _register(workflow)
    with pytest.raises(ValueError, match="HA-000404"):
        explain_area(store, "HA-000404")


def test_predicted_risk_from_a_csv_enters_the_score(
    store: SQLiteStore, workflow: Workflow, tmp_path: Path
) -> None:
    _register(workflow)
    path = tmp_path / "risk.csv"
    path.write_text("area_id,risk\nHA-000002,0.95\n", "utf-8")
    risk = read_risk(path)
    score, _ = explain_area(store, "HA-000002", predicted_risk=risk)
    assert {c.criterion: c.raw for c in score.contributions}["predicted_risk"] == 0.95
    path.write_text("area_id,risk\nHA-000002,7\n", "utf-8")
    with pytest.raises(ValueError, match="not in"):
        read_risk(path)


def test_planner_takes_priority_scores_as_completion_weights(
    store: SQLiteStore, workflow: Workflow
) -> None:
    _register(workflow)
    weights = planning_weights(store)
    areas, _, _ = region_work(store, area_weights=weights)
    by_id = {a.area_id: a.weight for a in areas}
    assert by_id == pytest.approx(weights)
    assert by_id["HA-000001"] > by_id["HA-000003"] > by_id["HA-000002"] >= 1.0
    plan = plan_region(store, area_weights=weights, time_limit=5, workers=1)
    clear = {t.name: t.weight for t in plan.field.problem.tasks if t.name.startswith("clear:")}
    assert clear["clear:HA-000001"] == pytest.approx(weights["HA-000001"])
    starts = {r.record_id: r.start_day for r in plan.rows() if r.work == "clearance"}
    assert starts["HA-000001"] <= starts["HA-000002"]


runner = CliRunner()


@pytest.fixture
def registered(store: SQLiteStore, workflow: Workflow, db_path: Path) -> Path:
    _register(workflow)
    store.close()
    return db_path


def test_cli_ranks_areas_as_json_with_contributions_adding_up(registered: Path) -> None:
    result = runner.invoke(app, ["priority", "--json", "--db", str(registered)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["area_id"] for r in rows] == ["HA-000001", "HA-000003", "HA-000002"]
    for r in rows:
        assert sum(c["contribution"] for c in r["contributions"]) == pytest.approx(
            r["score"], abs=1e-5
        )


def test_cli_output_calls_low_scores_lower_priority_never_safe(
    registered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    table = runner.invoke(app, ["priority", "--db", str(registered)])
    explain = runner.invoke(app, ["priority", "explain", "HA-000002", "--db", str(registered)])
    for result in (table, explain):
        assert result.exit_code == 0, result.output
        assert "lower priority" in result.output
        assert wording_problems(result.output) == []
    assert "sum of contributions" in explain.output


def test_cli_explain_of_an_unknown_area_fails_with_a_message(registered: Path) -> None:
    result = runner.invoke(app, ["priority", "explain", "HA-000404", "--db", str(registered)])
    assert result.exit_code == 1
    assert "HA-000404" in result.output


def test_cli_plan_weighs_clearance_by_priority_when_asked(registered: Path) -> None:
    args = ["plan", "region", "--db", str(registered), "--json", "--time-limit", "5"]
    plain = json.loads(runner.invoke(app, args).output)
    weighted = runner.invoke(app, [*args, "--priority"])
    assert weighted.exit_code == 0, weighted.output
    # priority weights are at least 1 and the first area's is more: the weighted
    # completion time grows; it would not if the flag were ignored
    assert json.loads(weighted.output)["objective"] > plain["objective"]


def test_cli_gives_areas_the_risk_of_scored_cells_for_the_priority(
    registered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # messages on one line
    grid = tmp_path / "scored.csv"
    cells = [(100, 50, 0.6), (20_050, 50, 0.95), (20_090, 90, 0.1)]  # metres east, north
    lines = ["LONGITUD_X,LATITUD_Y,risk"]
    for east, north, risk in cells:
        lon, lat = _point(east, north)["coordinates"]
        lines.append(f"{lon},{lat},{risk}")
    grid.write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "area_risk.csv"
    args = ["risk", "areas", str(grid), "--out", str(out), "--db", str(registered)]
    result = runner.invoke(app, [*args, "--max-distance", "300"])
    assert result.exit_code == 0, result.output
    # HA-000003 lies 400 m from the nearest cell: unknown, and said so, not given 0
    assert "HA-000003" in result.output and "unknown (not low)" in result.output
    assert read_risk(out) == {"HA-000001": 0.6, "HA-000002": 0.95}
    explained = runner.invoke(
        app, ["priority", "explain", "HA-000002", "--risk", str(out), "--db", str(registered)]
    )
    assert explained.exit_code == 0, explained.output
    assert "0.95" in explained.output
    grid.write_text("LONGITUD_X,LATITUD_Y,risk\n30.5,50.4,high\n", "utf-8")
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "line 2" in result.output and "high" in result.output
