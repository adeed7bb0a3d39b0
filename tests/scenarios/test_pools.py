from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from safeground.scenarios import (
    DEFAULT_SCENARIOS,
    Pool,
    Scenario,
    ScenarioError,
    capacities,
    capacity_profiles,
    default_scenarios,
    load_scenario,
    parse_scenario,
    productivity_factors,
    scaled,
)

TWO_POOLS = """
name = "test mix"

[[pool]]
name = "NGO teams"
kind = "NGO"
people = 100
productivity_factor = 1.2
ramp_up_days = 0
daily_cost_per_person = 50.0
[pool.composition]
manual_clearance = 0.8      # 80 people: 10 teams of 8
technical_survey = 0.1      # 10 people: 2 teams of 5

[[pool]]
name = "local builders"
kind = "local builders"
people = 300
ramp_up_days = 10
daily_cost_per_person = 20.0
[pool.composition]
construction = 0.9          # 270 people: 27 teams of 10
manual_clearance = 0.1      # 30 people: 2 teams of 12 (team size below)
[pool.team_size]
manual_clearance = 12
"""


def test_default_scenarios_load_by_name_with_their_sizes() -> None:
    scenarios = default_scenarios()
    assert [s.name for s in scenarios] == list(DEFAULT_SCENARIOS)
    assert [s.people for s in scenarios] == [6_000, 20_000, 50_000]
    for scenario in scenarios:
        assert all(n > 0 for n in capacities(scenario).values()), scenario.name
        assert {p.kind for p in scenario.pools} >= {"NGO", "commercial operator"}
    assert load_scenario("workforce-20000") == scenarios[1]


def test_capacities_are_whole_teams_summed_over_pools() -> None:
    scenario = parse_scenario(TWO_POOLS, source="mix.toml")
    assert capacities(scenario) == {
        "manual_clearance": 10 + 2,
        "mechanical": 0,
        "mine_detection_dogs": 0,
        "technical_survey": 2,
        "eod": 0,
        "construction": 27,
    }
    assert scenario.people == 400
    assert scenario.daily_cost == 100 * 50.0 + 300 * 20.0


def test_productivity_factor_is_the_people_weighted_mean_per_team_type() -> None:
    factors = productivity_factors(parse_scenario(TWO_POOLS))
    assert factors["manual_clearance"] == pytest.approx((80 * 1.2 + 30 * 1.0) / 110)
    assert factors["technical_survey"] == pytest.approx(1.2)
    assert factors["construction"] == pytest.approx(1.0)
    assert factors["eod"] == 1.0  # nobody: neutral


def test_teams_arrive_evenly_over_the_ramp_up() -> None:
    profiles = capacity_profiles(parse_scenario(TWO_POOLS))
    # the NGO's 10 manual teams on day 0; the builders' 2 on days 5 and 10
    assert profiles["manual_clearance"] == ((0, 10), (5, 11), (10, 12))
    assert profiles["construction"][-1] == (10, 27)
    assert len(profiles["construction"]) == 10  # 27 teams over days 1..10
    assert profiles["eod"] == ()


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("people = 300", "people = -3", "people"),
        ("people = 300", 'people = "many"', "people"),
        ("construction = 0.9 ", "construction = 1.5 ", "composition.construction"),
        ("construction = 0.9 ", "construction = 0.95 ", "composition"),  # sums to 1.05
        ("construction = 0.9 ", "carpenters = 0.9 ", "unknown team type 'carpenters'"),
        ("manual_clearance = 12", "manual_clearance = 0", "team_size.manual_clearance"),
        ("ramp_up_days = 10", "ramp_up_days = 2.5", "ramp_up_days"),
        ("daily_cost_per_person = 20.0", "daily_cost_per_person = -1", "daily_cost_per_person"),
        ("ramp_up_days = 10", "ramp_up_days = 10\nsalary = 3", "salary: unknown field"),
    ],
)
def test_a_bad_value_is_refused_naming_file_pool_and_field(old: str, new: str, field: str) -> None:
    assert old in TWO_POOLS
    text = TWO_POOLS.replace(old, new, 1)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source="mix.toml")
    message = str(caught.value)
    assert message.startswith("mix.toml: pool 'local builders': "), message
    assert field in message


def test_a_zero_productivity_factor_is_refused_for_its_pool() -> None:
    text = TWO_POOLS.replace("productivity_factor = 1.2", "productivity_factor = 0")
    with pytest.raises(ScenarioError, match=r"mix.toml: pool 'NGO teams': productivity_factor"):
        parse_scenario(text, source="mix.toml")


def test_a_pool_without_composition_or_a_file_without_pools_is_refused() -> None:
    text = TWO_POOLS.replace("[pool.composition]\nconstruction", "[pool.stuff]\nconstruction")
    with pytest.raises(ScenarioError, match="pool 'local builders': stuff: unknown field"):
        parse_scenario(text, source="mix.toml")
    with pytest.raises(ScenarioError, match=r"empty.toml: pool: give at least one"):
        parse_scenario('name = "x"\n', source="empty.toml")
    with pytest.raises(ScenarioError, match=r"bad.toml: not valid TOML"):
        parse_scenario("name = \n", source="bad.toml")


def test_load_scenario_reads_a_file_and_names_it_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(TWO_POOLS, encoding="utf-8")
    assert load_scenario(path) == parse_scenario(TWO_POOLS)
    path.write_text(TWO_POOLS.replace("people = 100", "people = 0"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=rf"{path}: pool 'NGO teams': people"):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="not a shipped scenario"):
        load_scenario("workforce-7")


def test_scaled_keeps_the_mix_and_the_exact_total() -> None:
    base = load_scenario("workforce-6000")
    small = scaled(base, 1_001)
    assert small.people == 1_001
    assert small.name == "workforce-6000 @ 1001"
    for before, after in zip(base.pools, small.pools, strict=True):
        assert after.people == pytest.approx(before.people / 6, abs=1)
        assert after.composition == before.composition
    with pytest.raises(ScenarioError, match="one per pool"):
        scaled(base, 2)


def test_scenarios_cross_process_boundaries_unchanged() -> None:
    scenario = parse_scenario(TWO_POOLS)
    assert pickle.loads(pickle.dumps(scenario)) == scenario
    assert hash(scenario) == hash(pickle.loads(pickle.dumps(scenario)))


def test_pools_built_in_python_validate_too() -> None:
    with pytest.raises(ScenarioError, match="composition: puts nobody in any team"):
        Pool("empty", "NGO", 10, {})
    pool = Pool("builders", "local builders", 10, {"construction": 1.0})
    with pytest.raises(ScenarioError, match="pool 'builders': name: used twice"):
        Scenario("x", (pool, pool))
