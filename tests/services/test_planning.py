"""Plans from the register: the open work and the teams, scheduled and checked."""

from __future__ import annotations

from datetime import date

import pytest

from safeground.planning.checker import check_schedule
from safeground.services.planning import plan_region, region_work
from safeground.services.workflow import Draft, Workflow
from safeground.store.sqlite import SQLiteStore
from tests.conftest import AUTHOR, REVIEWER, box, gj

DAY = date(2025, 1, 10)


def _register(workflow: Workflow) -> None:
    drafts = [
        Draft(
            "area.register",
            {"geometry": gj(box(0, 0, 200, 100)), "land_use": "agriculture", "hazard_type": "CHA"},
            None,
            DAY,
        ),
        Draft(
            "area.register",
            {"geometry": gj(box(1_000, 0, 100, 100)), "hazard_type": "SHA", "land_use": "forest"},
            None,
            DAY,
        ),
        # a school straddling the first area, and a road far from both
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
            "asset.register",
            {
                "geometry": gj(box(5_000, 0, 500, 10)),
                "kind": "road",
                "damage_grade": "slightly_damaged",
            },
            None,
            DAY,
        ),
        Draft(
            "asset.register",
            {
                "geometry": gj(box(9_000, 0, 10, 10)),
                "kind": "building",
                "damage_grade": "not_affected",
            },
            None,
            DAY,
        ),
    ]
    teams = (("manual_clearance", 3), ("technical_survey", 1), ("construction", 2), ("eod", 1))
    for team_type, n in teams:
        drafts += [
            Draft("team.register", {"name": f"{team_type} {i}", "team_type": team_type}, None, DAY)
            for i in range(n)
        ]
    workflow.file_many(drafts, author=AUTHOR, reviewer=REVIEWER)


def test_register_work_lists_open_areas_damaged_assets_and_what_blocks_them(
    store: SQLiteStore, workflow: Workflow
) -> None:
    _register(workflow)
    areas, assets, teams = region_work(store)
    assert [(a.area_id, a.needs_survey) for a in areas] == [
        ("HA-000001", False),
        ("HA-000002", True),
    ]
    assert [(a.asset_id, a.blocking_areas) for a in assets] == [
        ("AS-000001", ("HA-000001",)),
        ("AS-000002", ()),
    ]
    assert teams == {"manual_clearance": 3, "technical_survey": 1, "construction": 2, "eod": 1}


def test_plan_rebuilds_the_school_only_after_its_land_is_cleared(
    store: SQLiteStore, workflow: Workflow
) -> None:
    _register(workflow)
    plan = plan_region(store, time_limit=5)
    assert plan.result.schedule is not None
    assert check_schedule(plan.field.problem, plan.result.schedule) == []
    rows = {r.task: r for r in plan.rows()}
    assert rows["eod:AS-000001"].start_day >= rows["clear:HA-000001"].end_day
    assert rows["rebuild:AS-000001"].start_day >= rows["eod:AS-000001"].end_day
    assert rows["clear:HA-000002"].start_day >= rows["survey:HA-000002"].end_day
    assert rows["rebuild:AS-000002"].start_day == 0  # nothing blocks the road
    assert "rebuild:AS-000003" not in rows  # not affected: nothing to rebuild


def test_more_teams_never_make_the_optimal_plan_worse(
    store: SQLiteStore, workflow: Workflow
) -> None:
    _register(workflow)
    few = plan_region(store, time_limit=5)
    many = plan_region(store, capacities={"manual_clearance": 8}, time_limit=5)
    assert few.result.status == many.result.status == "optimal"
    assert few.result.objective is not None and many.result.objective is not None
    assert many.result.objective < few.result.objective  # priority-weighted completion days


def test_work_without_the_teams_it_needs_is_refused_by_name(
    store: SQLiteStore, workflow: Workflow
) -> None:
    _register(workflow)
    with pytest.raises(ValueError, match="construction"):
        plan_region(store, capacities={"construction": 0}, time_limit=2)
