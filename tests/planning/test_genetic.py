"""The genetic algorithm gives checked schedules, reaches known optima, and knows its limits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from safeground.planning import (
    Mode,
    Objective,
    Precedence,
    Problem,
    Resource,
    Task,
    check_schedule,
    serial_sgs,
    solve,
)
from safeground.planning.genetic import applies, evolve, reversible
from safeground.planning.psplib import parse_mm, read_bounds, read_psplib
from tests.planning.shared import psplib
from tests.planning.test_psplib import HAND_MM


@pytest.mark.parametrize(
    ("folder", "name"),
    [("j30.sm", "j3013_1.sm"), ("j60.sm", "j6029_4.sm"), ("j120.sm", "j12036_3.sm")],
)
def test_genetic_schedules_pass_the_checker_and_match_their_makespan(
    folder: str, name: str
) -> None:
    problem = read_psplib(psplib(folder, name))
    found = evolve(problem, time_limit=60.0, seed=2, islands=2, generations=5)
    assert check_schedule(problem, found.schedule) == []
    assert found.schedule.makespan(problem) == found.makespan
    assert found.schedules > found.generations > 0


def test_genetic_finds_the_known_optimum_of_j30_instances() -> None:
    bounds = read_bounds(psplib("j30.sm", "optimum", "optimum.csv"))
    for name in ("j301_1.sm", "j3017_6.sm", "j3041_4.sm"):
        problem = read_psplib(psplib("j30.sm", name))
        found = evolve(problem, time_limit=10.0, lower_bound=bounds[name].upper or 0)
        assert found.makespan == bounds[name].upper, name
        assert found.runtime < 10.0  # it stopped at the bound, not at the time limit


def test_genetic_is_never_worse_than_the_schedule_it_starts_from() -> None:
    problem = read_psplib(psplib("j120.sm", "j12011_2.sm"))
    start = serial_sgs(problem)
    assert start is not None
    found = evolve(problem, time_limit=5.0, generations=2, initial=start)
    assert found.makespan <= start.makespan(problem)


def test_genetic_repeats_itself_for_a_seed_and_a_number_of_generations() -> None:
    problem = read_psplib(psplib("j60.sm", "j6013_1.sm"))
    first = evolve(problem, time_limit=60.0, seed=7, islands=2, generations=6)
    second = evolve(problem, time_limit=60.0, seed=7, islands=2, generations=6)
    assert first.schedule == second.schedule
    assert first.generations == second.generations == 6


def test_genetic_keeps_releases_lags_and_capacity_profiles() -> None:
    # one crew of 2 until day 4, then 3; "B" needs 3, so it waits for day 4 at least;
    # "C" is released on day 2 and may start only 3 days after "A" ends
    problem = Problem(
        (
            Task.single("A", 2, {"crew": 2}),
            Task.single("B", 3, {"crew": 3}),
            Task.single("C", 2, {"crew": 1}, release=2),
            Task.single("D", 1, {"crew": 2}),
        ),
        (Resource("crew", 2, ((4, 3),)),),
        (Precedence("A", "C", lag=3), Precedence("D", "B")),
    )
    found = evolve(problem, time_limit=2.0, lower_bound=0, generations=20)
    assert check_schedule(problem, found.schedule) == []
    assert found.schedule.starts["B"] >= 4
    assert found.schedule.starts["C"] >= found.schedule.end(problem, "A") + 3
    assert found.makespan == solve(problem, time_limit=5).objective


def test_genetic_refuses_what_a_list_decoder_could_break() -> None:
    assert not applies(parse_mm(HAND_MM))  # several modes and a budget
    j30 = read_psplib(psplib("j30.sm", "j301_1.sm"))
    assert applies(j30)
    late = replace(j30, tasks=(replace(j30.tasks[0], deadline=50), *j30.tasks[1:]))
    assert not applies(late)
    assert not applies(replace(j30, objective=Objective.WEIGHTED_COMPLETION))
    two_modes = Problem(
        (Task("A", (Mode(2, {"crew": 1}), Mode(1, {"crew": 2}))),), (Resource("crew", 2),)
    )
    assert not applies(two_modes)
    with pytest.raises(ValueError, match="one mode per task"):
        evolve(two_modes, time_limit=1.0)


def test_solve_hands_the_genetic_schedule_to_cp_sat_on_single_mode_problems() -> None:
    problem = read_psplib(psplib("j60.sm", "j6029_4.sm"))
    result = solve(problem, time_limit=4.0)
    assert result.schedule is not None and check_schedule(problem, result.schedule) == []
    assert any(line.startswith("genetic algorithm") for line in result.explanation)
    assert any(line.startswith("CP-SAT") for line in result.explanation)
    assert result.lower_bound is not None and result.lower_bound <= result.objective


def test_genetic_backwards_gives_checked_schedules_that_keep_lags() -> None:
    # the lists schedule the mirrored project; the schedule read back must keep every
    # precedence with its lag in the original direction
    problem = Problem(
        (
            Task.single("A", 2, {"crew": 2}),
            Task.single("B", 3, {"crew": 3}),
            Task.single("C", 2, {"crew": 1}),
            Task.single("D", 1, {"crew": 2}),
        ),
        (Resource("crew", 3),),
        (Precedence("A", "C", lag=3), Precedence("D", "B"), Precedence("A", "B", lag=1)),
    )
    found = evolve(problem, time_limit=2.0, generations=20, backward=True)
    assert check_schedule(problem, found.schedule) == []
    assert found.schedule.makespan(problem) == found.makespan
    assert found.schedule.starts["C"] >= found.schedule.end(problem, "A") + 3
    assert found.makespan == solve(problem, time_limit=5).objective


def test_genetic_backwards_finds_the_known_optimum_of_j30_instances() -> None:
    bounds = read_bounds(psplib("j30.sm", "optimum", "optimum.csv"))
    for name in ("j301_1.sm", "j3017_6.sm"):
        problem = read_psplib(psplib("j30.sm", name))
        start = serial_sgs(problem)
        found = evolve(
            problem,
            time_limit=10.0,
            lower_bound=bounds[name].upper or 0,
            initial=start,
            backward=True,
        )
        assert check_schedule(problem, found.schedule) == []
        assert found.makespan == bounds[name].upper, name


def test_genetic_refuses_to_schedule_backwards_with_releases_or_capacity_changes() -> None:
    j30 = read_psplib(psplib("j30.sm", "j301_1.sm"))
    assert reversible(j30)
    released = replace(j30, tasks=(replace(j30.tasks[0], release=3), *j30.tasks[1:]))
    first = j30.resources[0]
    more = Resource(first.name, first.capacity, ((10, first.capacity + 1),))
    changing = replace(j30, resources=(more, *j30.resources[1:]))
    for problem in (released, changing):
        assert applies(problem) and not reversible(problem)
        with pytest.raises(ValueError, match="backwards"):
            evolve(problem, time_limit=1.0, backward=True)


def test_solve_tries_fresh_genetic_runs_when_cp_sat_proves_nothing() -> None:
    # j3029_8 (optimum 80): CP-SAT proves nothing in seconds, and its bound stays far below
    bounds = read_bounds(psplib("j30.sm", "optimum", "optimum.csv"))
    problem = read_psplib(psplib("j30.sm", "j3029_8.sm"))
    result = solve(problem, time_limit=4.0, seed=1)
    assert result.schedule is not None and check_schedule(problem, result.schedule) == []
    assert any("fresh genetic runs" in line for line in result.explanation)
    assert sum(line.startswith("CP-SAT (") for line in result.explanation) == 2
    best = bounds["j3029_8.sm"].upper
    assert result.objective is not None and best is not None
    assert result.lower_bound is not None and result.lower_bound <= best <= result.objective
