"""The demo end to end on a small region: imported, planned, forecast, reported."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from safeground.services import demo, register
from safeground.store.sqlite import SQLiteStore


def test_small_demo_imports_plans_forecasts_and_writes_its_report(tmp_path: Path) -> None:
    with SQLiteStore.create(tmp_path / "demo.gpkg") as store:
        summary = demo.run(store, tmp_path / "report", areas=40, plan_seconds=3, runs=300)
        assert summary.areas == 40
        assert len(register.list_areas(store)) == 40
        assert len(store.imports()) == 2  # through the importer, like a user's data
        released = store.release_rows()
        listed = register.list_areas(store)
    # a first season through the workflow: 8 % of 40 areas, one of each kind of work
    assert sorted(r.outcome.value for r in released) == ["cancelled", "cleared", "reduced"]
    assert all(demo.SURVEYED < r.date < demo.START for r in released)
    assert [a.status for a in listed].count("closed") == 1
    assert sum(a.released_m2 for a in listed) == sum(r.released_m2 for r in released) > 0
    assert summary.plan_status in ("optimal", "feasible")
    p = summary.priority_land
    assert p["P10"] <= p["P50"] <= p["P80"] <= p["P90"]
    assert summary.floor["all_land"] <= summary.plan_days
    saved = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert saved["areas"] == 40
    with (tmp_path / "report" / "plan.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {r["work"] for r in rows} >= {"clearance", "reconstruction"}
    with (tmp_path / "report" / "milestones.csv").open() as f:
        stones = list(csv.DictReader(f))
    shares = {(r["what"], r["share"]) for r in stones}
    assert {("priority land", "50%"), ("assets", "100%")} <= shares
    with (tmp_path / "report" / "tornado.csv").open() as f:
        assert len(list(csv.DictReader(f))) >= 3
    for chart in ("s_curve_land.png", "s_curve_assets.png", "tornado.png"):
        assert (tmp_path / "report" / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with (tmp_path / "report" / "s_curve_land.csv").open() as f:
        curve = list(csv.DictReader(f))
    assert float(curve[-1]["P50"]) >= float(curve[0]["P50"])


def test_demo_compares_three_workforces_and_more_people_never_finish_later(
    tmp_path: Path,
) -> None:
    with SQLiteStore.create(tmp_path / "demo.gpkg") as store:
        summary = demo.run(store, tmp_path / "report", areas=40, plan_seconds=2, runs=300)
    rows = summary.comparison.rows
    assert [r.people for r in rows] == [6_000, 20_000, 50_000]
    assert rows[0].completion_p50 >= rows[1].completion_p50 >= rows[2].completion_p50
    saved = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert len(saved["scenarios"]["rows"]) == 3
