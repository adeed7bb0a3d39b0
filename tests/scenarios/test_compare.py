from __future__ import annotations

import json

import pytest

from safeground.domain.model import AssetKind, DamageGrade
from safeground.planning.fieldwork import AreaWork, AssetWork, default_rates
from safeground.scenarios import Pool, Scenario, compare, evaluate, load_scenario, scaled
from safeground.scenarios.compare import scenario_problem
from tests.scenarios.regions import region

RATES = default_rates()


def deminers(people: int, *, factor: float = 1.0, ramp: int = 0) -> Scenario:
    """One pool, 80 % of it in manual teams of 8: a team per 10 people."""
    pool = Pool(
        "deminers",
        "NGO",
        people,
        {"manual_clearance": 0.8},
        productivity_factor=factor,
        ramp_up_days=ramp,
        daily_cost_per_person=10.0,
    )
    return Scenario(f"{people} people", (pool,))


def bottleneck() -> list[AreaWork]:
    """One huge priority area (1 km²: at most 4 manual teams work one area, 1,250 days)
    and 40 small ones (4,000 team-days in all), all priority."""
    big = AreaWork("HA-BIG", 1_000_000.0, "pasture", weight=5.0)
    small = [AreaWork(f"HA-{i:03d}", 20_000.0, "pasture", weight=5.0) for i in range(40)]
    return [big, *small]


def test_productivity_factor_shortens_clearance_in_the_plan() -> None:
    areas = [AreaWork("HA-1", 16_000.0, "pasture")]
    slow = scenario_problem(deminers(100), areas, [], RATES).problem
    fast = scenario_problem(deminers(100, factor=2.0), areas, [], RATES).problem
    # one manual team: 16,000 m² at 200 m² a day, or at 400 with a factor of 2
    assert slow.task("clear:HA-1").modes[0].duration == 80
    assert fast.task("clear:HA-1").modes[0].duration == 40


def test_ramp_up_brings_the_teams_in_over_the_plan() -> None:
    problem = scenario_problem(deminers(40, ramp=20), bottleneck(), [], RATES).problem
    (teams,) = problem.resources
    assert teams.name == "manual_clearance"
    assert teams.steps() == [(0, 0), (5, 1), (10, 2), (15, 3), (20, 4)]


def test_compare_flags_where_the_critical_path_binds_and_the_gain_falls() -> None:
    sizes = [deminers(40), deminers(1_000), deminers(3_000)]
    comparison = compare(sizes, bottleneck(), [], rates=RATES, runs=40, seed=3)
    few, some, many = comparison.rows
    assert [r.people for r in comparison.rows] == [40, 1_000, 3_000]
    # 4 teams: the small areas wait for the teams; 100 or 300: the big area sets the date
    assert not few.binds("priority land")
    assert some.binds("priority land") and many.binds("priority land")
    assert comparison.binding(few) == ()
    assert comparison.binding(many) == ("priority land",)
    assert few.floor_priority_land == pytest.approx(1_250)
    assert few.critical_path == ("clear:HA-BIG",)
    first, second = comparison.marginal
    assert first.extra_people == 960 and second.extra_people == 2_000
    assert first.priority_land_days_per_1000 is not None
    assert second.priority_land_days_per_1000 is not None
    assert first.priority_land_days_per_1000 > 500  # hundreds of days for 960 people
    assert abs(second.priority_land_days_per_1000) < 0.05 * first.priority_land_days_per_1000
    assert any(
        "3000 people: priority land" in n and "critical path binds" in n for n in comparison.notes
    )
    assert not any(n.startswith("40 people:") for n in comparison.notes)
    assert any(n.startswith("diminishing returns") for n in comparison.notes)
    assert few.assets_p50 is None
    table = json.loads(json.dumps(comparison.to_dict()))  # what a --json output carries
    assert table["rows"][2]["binds"] == ["priority land"]
    assert table["notes"] == list(comparison.notes)


def test_cost_and_land_a_month_follow_the_p50() -> None:
    result = evaluate(deminers(200), bottleneck(), [], rates=RATES, runs=30, seed=1)
    assert result.cost == pytest.approx(200 * 10.0 * result.completion_p50)
    assert result.m2_per_month_p50 is not None and result.priority_land_p50 is not None
    # all land is priority here: 1.8 km² over its P50 days, 260 / 12 working days a month
    expected = 1_800_000 / result.priority_land_p50 * 260 / 12
    assert result.m2_per_month_p50 == pytest.approx(expected)
    assert result.priority_land_p50 <= result.priority_land_p80  # type: ignore[operator]


def test_evaluate_gives_the_same_result_for_the_same_seed() -> None:
    areas, assets = region(20, 6, seed=2)
    mix = scaled(load_scenario("workforce-6000"), 600)
    one = evaluate(mix, areas, assets, rates=RATES, runs=30, seed=7)
    two = evaluate(mix, areas, assets, rates=RATES, runs=30, seed=7)
    assert one == two
    assert one.assets_p50 is not None and one.floor_assets is not None


def test_a_workforce_without_builders_cannot_take_on_reconstruction() -> None:
    asset = AssetWork("AS-1", AssetKind.ROAD, DamageGrade.DESTROYED, ("HA-BIG",))
    with pytest.raises(ValueError, match="construction"):
        evaluate(deminers(100), bottleneck(), [asset], rates=RATES, runs=10)


def test_two_scenarios_of_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="two scenarios are called '40 people'"):
        compare([deminers(40), deminers(40)], bottleneck(), [], runs=10)
