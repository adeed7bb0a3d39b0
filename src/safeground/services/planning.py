"""Plans from the register: the open work, the teams there are, a checked schedule.

The work is read from the stored layers: open hazard areas with land left to release
(suspected areas without a technical survey are surveyed first), damaged assets not yet
rebuilt, and, for each asset, the open hazard areas it touches (they must be cleared
before the builders go in). Team capacities are the registered teams by type, unless given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace

import shapely
from shapely.geometry.base import BaseGeometry

from safeground.domain.model import AssetKind, DamageGrade, HazardType
from safeground.planning.checker import assert_valid
from safeground.planning.fieldwork import (
    AreaWork,
    AssetWork,
    FieldProblem,
    Rates,
    build_problem,
    default_rates,
)
from safeground.planning.model import Objective, Result
from safeground.planning.solve import solve
from safeground.store.base import Store

#: Asset states that need no more work.
_DONE_STATES = {"rebuilt"}


@dataclass(frozen=True)
class PlanRow:
    task: str
    work: str  # technical survey, clearance, reconstruction
    record_id: str
    teams: dict[str, int]
    start_day: int
    end_day: int


@dataclass(frozen=True)
class RegionPlan:
    field: FieldProblem
    capacities: Mapping[str, int]
    result: Result
    areas: tuple[AreaWork, ...] = ()

    def rows(self) -> list[PlanRow]:
        """One row per task, by start day: what, on which record, with which teams."""
        schedule = self.result.schedule
        if schedule is None:
            return []
        out: list[PlanRow] = []
        for task in self.field.problem.tasks:
            work, record_id = self.field.tasks[task.name]
            mode = task.modes[schedule.modes[task.name]]
            start = schedule.starts[task.name]
            out.append(
                PlanRow(
                    task.name, work, record_id, dict(mode.demands), start, start + mode.duration
                )
            )
        return sorted(out, key=lambda r: (r.start_day, r.task))


def region_work(
    store: Store,
    *,
    blocking_weight: float = 1.0,
    area_weights: Mapping[str, float] | None = None,
) -> tuple[list[AreaWork], list[AssetWork], dict[str, int]]:
    """The open work of the register and the teams registered, by type. Areas that an
    asset waits for weigh ``blocking_weight`` (others 1): land that holds up reconstruction
    can be given priority until priorities are recorded in the register. ``area_weights``
    (area id -> completion weight, e.g. ``services.priority.planning_weights``) replaces
    both for the areas it names."""
    areas_layer = store.layer("hazard_areas")
    surveyed = {
        str(r["area_id"])
        for r in store.layer("activities").records()
        if r["activity_type"] in ("technical_survey", "clearance")
    }
    areas: list[AreaWork] = []
    open_geoms: list[BaseGeometry] = []
    open_ids: list[str] = []
    for row, geom in zip(areas_layer.records(), areas_layer.shapes(), strict=True):
        remaining = float(row["remaining_m2"] or 0.0)
        if row["status"] != "open" or remaining <= 0:
            continue
        area_id = str(row["area_id"])
        areas.append(
            AreaWork(
                area_id,
                remaining,
                str(row["land_use"] or ""),
                needs_survey=row["hazard_type"] == HazardType.SHA and area_id not in surveyed,
            )
        )
        if geom is not None:
            open_geoms.append(geom)
            open_ids.append(area_id)
    tree = shapely.STRtree(open_geoms)
    assets_layer = store.layer("assets")
    assets: list[AssetWork] = []
    for row, geom in zip(assets_layer.records(), assets_layer.shapes(), strict=True):
        grade = DamageGrade(str(row["damage_grade"]))
        if grade is DamageGrade.NOT_AFFECTED or row["state"] in _DONE_STATES:
            continue
        touching: tuple[str, ...] = ()
        if geom is not None and open_geoms:
            hits = tree.query(geom, predicate="intersects")
            touching = tuple(sorted(open_ids[i] for i in hits))
        assets.append(AssetWork(str(row["asset_id"]), AssetKind(str(row["kind"])), grade, touching))
    blocking = {a for asset in assets for a in asset.blocking_areas}
    if blocking_weight != 1.0:
        areas = [replace(a, weight=blocking_weight) if a.area_id in blocking else a for a in areas]
    if area_weights:
        areas = [replace(a, weight=area_weights.get(a.area_id, a.weight)) for a in areas]
    teams = Counter(str(r["team_type"]) for r in store.layer("teams").records())
    return areas, assets, dict(teams)


def plan_region(
    store: Store,
    *,
    capacities: Mapping[str, int] | None = None,
    rates: Rates | None = None,
    objective: Objective = Objective.LEX_WEIGHTED_THEN_MAKESPAN,
    time_limit: float = 30.0,
    workers: int = 2,
    seed: int = 0,
    blocking_weight: float = 1.0,
    area_weights: Mapping[str, float] | None = None,
) -> RegionPlan:
    """A checked plan of the register's open work (see the module docstring).

    ``capacities`` (team type -> teams) replace the registered teams where given;
    ``area_weights`` are the clearance tasks' completion weights (see :func:`region_work`). Raises
    ValueError when the work needs teams there are none of.
    """
    areas, assets, teams = region_work(
        store, blocking_weight=blocking_weight, area_weights=area_weights
    )
    chosen = {**teams, **(capacities or {})}
    field = build_problem(areas, assets, chosen, rates or default_rates(), objective=objective)
    result = solve(field.problem, time_limit=time_limit, workers=workers, seed=seed)
    if result.schedule is not None:
        assert_valid(field.problem, result.schedule)
    return RegionPlan(field, chosen, result, tuple(areas))
