"""``safeground demo``: a synthetic border region, imported, planned and forecast.

The region (:mod:`safeground.demo.region`) is written as GeoJSON files and brought in with
``safeground import``'s own service, as a user's data would be, as surveyed a year before
the plan starts; the teams are registered by reports. A first season of work is then
recorded through the workflow (:func:`first_season`): some areas cancelled by
non-technical survey and closed, some reduced by technical survey, some partly cleared
with their quality assurance. The register is then planned
(:mod:`safeground.services.planning`), the plan forecast under uncertainty
(:mod:`safeground.forecast`), and the forecast outputs written to a report folder as JSON
and CSV, and as the report document of :mod:`safeground.services.reporting`
(``report.html`` with its offline map, ``report.pdf``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
from shapely.geometry import box

from safeground.clock import FixedClock
from safeground.demo.region import generate
from safeground.forecast import (
    Deliverables,
    Milestones,
    SCurve,
    Uncertainty,
    milestones,
    s_curves,
    simulate,
    tornado,
    workforce_floor,
)
from safeground.geometry import to_geojson
from safeground.importing.mapping import ImportKind
from safeground.reports import charts
from safeground.scenarios import Comparison
from safeground.services import reporting, scenarios
from safeground.services.importing import import_file
from safeground.services.planning import plan_region
from safeground.services.workflow import Draft, Workflow
from safeground.store.base import Store

START = date(2026, 3, 1)
#: The areas were registered this long before the plan starts: the first season's work.
SURVEYED = date(2025, 3, 1)
USER = "demo.importer"
REVIEWER = "demo.reviewer"
#: Land that holds up reconstruction weighs this much more in the plan (priority land).
PRIORITY_WEIGHT = 4.0


@dataclass(frozen=True)
class DemoSummary:
    areas: int
    assets: int
    teams: dict[str, int]
    plan_status: str
    plan_days: int
    forecast_runs: int
    priority_land: dict[str, float]  # P10/P50/P80/P90 days to 100 % of priority land
    all_land: dict[str, float]  # the same for all the land
    assets_rebuilt: dict[str, float]  # the same for every asset rebuilt
    floor: dict[str, float]  # the unlimited-workforce floor of each of those
    critical_path: list[str]  # the chain of tasks behind the floor of all the work
    report_dir: str
    comparison: Comparison  # of workforces of 6,000, 20,000 and 50,000 people

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "comparison"}
        data["scenarios"] = self.comparison.to_dict()
        return data


def run(
    store: Store,
    out: Path,
    *,
    areas: int = 1_200,
    seed: int = 2025,
    plan_seconds: float = 30.0,
    runs: int = 5_000,
    step: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Build, import, plan and forecast the demo region into ``store``; write the report
    files into ``out`` (created). ``step`` hears the name of each stage as it starts."""
    say = step or (lambda _: None)
    out.mkdir(parents=True, exist_ok=True)
    data = out / "data"
    data.mkdir(exist_ok=True)
    say("generating the region")
    region = generate(areas=areas, seed=seed)
    (data / "hazard_areas.geojson").write_text(json.dumps(region.hazard_areas), "utf-8")
    (data / "assets.geojson").write_text(json.dumps(region.assets), "utf-8")
    clock = FixedClock(START)
    say("importing hazard areas and assets")
    imported_areas = import_file(
        store,
        data / "hazard_areas.geojson",
        ImportKind.HAZARD_AREAS,
        user=USER,
        reviewer=REVIEWER,
        clock=clock,
        report_date=SURVEYED,
    )
    imported_assets = import_file(
        store,
        data / "assets.geojson",
        ImportKind.ASSETS,
        user=USER,
        reviewer=REVIEWER,
        clock=clock,
    )
    say("registering teams")
    drafts = [
        Draft("team.register", {"name": f"{kind} {i + 1}", "team_type": kind}, None, SURVEYED)
        for kind, n in region.teams.items()
        for i in range(n)
    ]
    Workflow(store, clock=clock).file_many(drafts, author=USER, reviewer=REVIEWER)
    say("recording the first season's land release")
    first_season(store, clock, seed=seed)
    say("planning")
    plan = plan_region(store, time_limit=plan_seconds, blocking_weight=PRIORITY_WEIGHT)
    schedule = plan.result.schedule
    if schedule is None:
        raise RuntimeError(f"no plan: {'; '.join(plan.result.explanation)}")
    problem = plan.field.problem
    say("forecasting")
    deliverables = Deliverables.from_fieldwork(
        plan.field, plan.areas, priority_weight=PRIORITY_WEIGHT
    )
    sim = simulate(problem, schedule, Uncertainty(), runs=runs, seed=seed, work=plan.field.tasks)
    land = milestones(sim, deliverables, "priority land")
    everything = milestones(sim, deliverables, "land")
    built = milestones(sim, deliverables, "assets")
    floor = workforce_floor(problem, schedule, deliverables)
    say("comparing workforces of 6,000, 20,000 and 50,000 people")
    comparison = scenarios.compare_register(
        store, scenarios.load([]), runs=max(200, runs // 10), seed=seed
    )
    say("forecasting: which uncertainty moves the date most")
    sensitivity = tornado(
        problem, schedule, Uncertainty(), deliverables, runs=200, seed=seed, work=plan.field.tasks
    )
    say("writing the report")
    _write_plan(out / "plan.csv", plan.rows())
    curves = _write_curves(out, sim, deliverables)
    _write_milestones(out / "milestones.csv", (land, everything, built))
    charts.tornado_png(sensitivity, out / "tornado.png")
    with (out / "tornado.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["uncertainty", "p50_day_at_low", "p50_day_at_high", "plan_day"])
        for bar in sensitivity.bars:
            writer.writerow(
                [
                    bar.uncertainty,
                    f"{bar.at_low:.0f}",
                    f"{bar.at_high:.0f}",
                    f"{sensitivity.base:.0f}",
                ]
            )

    def dates(m: Any) -> dict[str, float]:
        return {f"P{p:g}": round(m.at(1.0, p), 1) for p in m.percentiles}

    summary = DemoSummary(
        areas=imported_areas.imported,
        assets=imported_assets.imported,
        teams=region.teams,
        plan_status=plan.result.status.value,
        plan_days=schedule.makespan(problem),
        forecast_runs=runs,
        priority_land=dates(land),
        all_land=dates(everything),
        assets_rebuilt=dates(built),
        floor={
            "priority_land": floor.priority_land,
            "all_land": floor.land,
            "assets_rebuilt": floor.assets,
        },
        critical_path=list(floor.critical_path),
        comparison=comparison,
        report_dir=str(out),
    )
    (out / "summary.json").write_text(json.dumps(summary.as_dict(), indent=2), "utf-8")
    outlook = reporting.Outlook(
        plan, curves, (land, everything, built), sensitivity, comparison, runs
    )
    reporting.write(store, out, forecast=outlook, today=clock.now().date())
    return summary


#: The first season: (outcome, activity type, team type, method) of each kind of work.
_SEASON = (
    ("cancelled", "non_technical_survey", "technical_survey", "community interviews"),
    ("reduced", "technical_survey", "technical_survey", "targeted technical survey"),
    ("cleared", "clearance", "manual_clearance", "manual"),
)


def first_season(store: Store, clock: FixedClock, *, seed: int, share: float = 0.08) -> int:
    """Record a first season of land release on ``share`` of the open areas, through the
    workflow (every rule applies), between :data:`SURVEYED` and :data:`START`: in turn, an
    area cancelled whole by non-technical survey and closed; one whose western 40 % is
    reduced by technical survey; one whose eastern 30 % is cleared to 13 cm and passes
    quality assurance. Returns the number of reports filed."""
    layer = store.layer("hazard_areas")
    areas = [(r["area_id"], g) for r, g in zip(layer.records(), layer.shapes(), strict=True)]
    teams = {r["team_type"]: r["team_id"] for r in store.layer("teams").records()}
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(areas), size=round(share * len(areas)), replace=False))
    drafts: list[Draft] = []
    for n, i in enumerate(chosen):
        area_id, shape = areas[i]
        assert shape is not None
        outcome, activity, team_type, method = _SEASON[n % len(_SEASON)]
        begun = SURVEYED + timedelta(days=30 + int(rng.integers(0, 240)))
        ended = begun + timedelta(days=int(rng.integers(5, 40)))
        x0, y0, x1, y1 = shape.bounds
        part = {
            "cancelled": shape,
            "reduced": shape.intersection(box(x0, y0, x0 + 0.4 * (x1 - x0), y1)),
            "cleared": shape.intersection(box(x1 - 0.3 * (x1 - x0), y0, x1, y1)),
        }[outcome]
        activity_payload = {
            "activity_id": "A1",
            "activity_type": activity,
            "team_id": teams.get(team_type),
            "method": method,
            "start_date": begun.isoformat(),
            "end_date": ended.isoformat(),
        }
        drafts.append(Draft("activity", activity_payload, area_id, begun))
        result: dict[str, Any] = {
            "outcome_id": "O1",
            "outcome": outcome,
            "activity_id": "A1",
            "geometry": to_geojson(part),
        }
        if outcome == "cleared":
            result["depth_cm"] = 13
        drafts.append(Draft("outcome", result, area_id, ended))
        if outcome == "cleared":
            qa = {"qa_id": "Q1", "outcome_id": "O1", "result": "passed", "inspector": "QA team"}
            drafts.append(Draft("qa", qa, area_id, ended + timedelta(days=7)))
        if outcome == "cancelled":
            drafts.append(Draft("area.close", {}, area_id, ended + timedelta(days=1)))
    Workflow(store, clock=clock).file_many(drafts, author=USER, reviewer=REVIEWER)
    return len(drafts)


def _write_plan(path: Path, rows: list[Any]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["task", "work", "record_id", "teams", "start_day", "end_day"])
        for r in rows:
            teams = " ".join(f"{k}={n}" for k, n in r.teams.items())
            writer.writerow([r.task, r.work, r.record_id, teams, r.start_day, r.end_day])


def _write_milestones(path: Path, measures: Sequence[Milestones]) -> None:
    """Working days by which each percentile of runs delivered each share, and the plan's."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        first = measures[0]
        writer.writerow(["what", "share", "plan", *[f"P{p:g}" for p in first.percentiles]])
        for m in measures:
            for i, level in enumerate(m.levels):
                days = [f"{m.at(level, p):.0f}" for p in m.percentiles]
                writer.writerow([m.what, f"{level:.0%}", f"{m.planned[i]:.0f}", *days])


def _write_curves(out: Path, sim: Any, deliverables: Deliverables) -> tuple[SCurve, ...]:
    what: Literal["land", "assets"]
    curves = []
    for what in ("land", "assets"):
        curve = s_curves(sim, deliverables, what)
        curves.append(curve)
        charts.s_curve_png(curve, out / f"s_curve_{what}.png")
        with (out / f"s_curve_{what}.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["day", "planned", *[f"P{p:g}" for p in curve.percentiles]])
            for i, day in enumerate(curve.days):
                bands = [f"{curve.bands[j][i]:.1f}" for j in range(len(curve.percentiles))]
                writer.writerow([int(day), f"{curve.planned[i]:.1f}", *bands])
    return tuple(curves)
