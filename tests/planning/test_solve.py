"""solve() reaches known optima, respects every constraint, and says why when it cannot."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from safeground.planning import (
    Mode,
    Objective,
    Precedence,
    Problem,
    Resource,
    Schedule,
    Status,
    Task,
    check_schedule,
    solve,
)
from safeground.planning.psplib import parse_mm, read_bounds, read_psplib
from safeground.planning.synthetic import random_problem
from tests.planning.shared import psplib
from tests.planning.test_psplib import HAND_MM


def test_j301_1_optimum_43_is_reached_and_proven_within_seconds() -> None:
    problem = read_psplib(psplib("j30.sm", "j301_1.sm"))
    result = solve(problem, time_limit=10)
    assert result.status is Status.OPTIMAL
    assert result.objective == 43
    assert result.lower_bound == 43 and result.gap == 0
    assert result.runtime < 10
    assert result.schedule is not None and check_schedule(problem, result.schedule) == []


@pytest.mark.parametrize(
    "name", ["j305_3.sm", "j3017_6.sm", "j3025_7.sm", "j3033_9.sm", "j3041_4.sm"]
)
def test_j30_sample_reaches_the_known_optimum(name: str) -> None:
    optimum = read_bounds(psplib("j30.sm", "optimum", "optimum.csv"))[name]
    assert optimum.proven
    result = solve(read_psplib(psplib("j30.sm", name)), time_limit=10)
    assert result.objective == optimum.upper
    assert result.status is Status.OPTIMAL


def test_hand_multi_mode_instance_reaches_its_hand_worked_optimum() -> None:
    # Jobs 2 -> 4 in a chain, 3 beside them, one resource of 4 and a budget of 6.
    # Makespan 4 is impossible: 2 and 4 in their fast modes take [0, 4), and 3 must end
    # by 4, so it overlaps 2 (3 + 3 > 4 in its fast mode; 5 periods in its slow one).
    # Makespan 5 needs 2 in its fast mode (4 of the budget) and 3 slow (2 more) and 4
    # at least 1 more: 7 > 6. With the budget, 2 slow [0,4), 3 slow [0,5), 4 fast [4,6)
    # gives 6, the optimum; without it, 2 fast [0,2), 3 slow [0,5), 4 fast [2,4) gives 5.
    problem = parse_mm(HAND_MM)
    result = solve(problem, time_limit=10)
    assert result.status is Status.OPTIMAL and result.objective == 6
    assert result.schedule is not None
    assert result.schedule.modes["2"] == 1  # the slow, cheap mode
    unlimited = solve(replace(problem, nonrenewable={"N1": 100}), time_limit=10)
    assert unlimited.status is Status.OPTIMAL and unlimited.objective == 5


def test_capacity_profile_is_respected() -> None:
    # 2 deminers until day 5, then 4: the task needing 3 waits for the second team
    tasks = (
        Task.single("A", 3, {"deminers": 3}),
        Task.single("B", 3, {"deminers": 1}),
        Task.single("C", 2, {"deminers": 2}),
    )
    problem = Problem(tasks, (Resource("deminers", 2, ((5, 4),)),))
    result = solve(problem, time_limit=10)
    assert result.status is Status.OPTIMAL and result.objective == 8
    assert result.schedule is not None
    assert result.schedule.starts["A"] >= 5
    assert check_schedule(problem, result.schedule) == []


def test_capacity_that_falls_makes_big_tasks_go_first() -> None:
    # 4 machines until day 6, then 1: both tasks needing 2 must be done by then
    tasks = (
        Task.single("small", 4, {"machines": 1}),
        Task.single("big-1", 3, {"machines": 2}),
        Task.single("big-2", 3, {"machines": 2}),
    )
    problem = Problem(tasks, (Resource("machines", 4, ((6, 1),)),))
    result = solve(problem, time_limit=10)
    assert result.status is Status.OPTIMAL
    assert result.schedule is not None
    assert max(result.schedule.starts["big-1"], result.schedule.starts["big-2"]) + 3 <= 6
    # beside "small" only one big task fits at a time: 3 + 3 periods
    assert result.objective == 6


def test_weighted_completion_puts_the_heavy_task_first() -> None:
    problem = Problem(
        (
            Task.single("light", 3, {"crew": 1}, weight=1),
            Task.single("heavy", 3, {"crew": 1}, weight=10),
        ),
        (Resource("crew", 1),),
        objective=Objective.WEIGHTED_COMPLETION,
    )
    result = solve(problem, time_limit=10)
    assert result.status is Status.OPTIMAL
    assert result.schedule is not None and result.schedule.starts == {"heavy": 0, "light": 3}
    assert result.objective == 10 * 3 + 1 * 6


def test_fractional_weights_are_optimised_exactly() -> None:
    problem = Problem(
        (
            Task.single("a", 2, {"crew": 1}, weight=0.25),
            Task.single("b", 1, {"crew": 1}, weight=0.2),
        ),
        (Resource("crew", 1),),
        objective=Objective.WEIGHTED_COMPLETION,
    )
    result = solve(problem, time_limit=10)
    # a first: 0.25 * 2 + 0.2 * 3 = 1.1; b first: 0.2 * 1 + 0.25 * 3 = 0.95
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(0.95)


def _lexicographic(objective: Objective) -> Problem:
    # One crew does A (heavy), B and C in turn; D follows C without the crew.
    # Makespan 6 needs C first (then D runs beside A and B): best weighted completion 15.
    # Weighted completion 11 needs A then B first, so C and D come last: makespan 10.
    tasks = (
        Task.single("A", 2, {"crew": 1}, weight=3),
        Task.single("B", 3, {"crew": 1}, weight=1),
        Task.single("C", 1, {"crew": 1}),
        Task.single("D", 4),
    )
    return Problem(tasks, (Resource("crew", 1),), (Precedence("C", "D"),), objective)


def test_lexicographic_makespan_then_weighted_completion() -> None:
    result = solve(_lexicographic(Objective.LEX_MAKESPAN_THEN_WEIGHTED), time_limit=10)
    assert result.status is Status.OPTIMAL
    assert result.objective == 6
    assert [(s.criterion, s.value, s.optimal) for s in result.stages] == [
        (Objective.MAKESPAN, 6, True),
        (Objective.WEIGHTED_COMPLETION, 15, True),
    ]


def test_lexicographic_weighted_completion_then_makespan() -> None:
    result = solve(_lexicographic(Objective.LEX_WEIGHTED_THEN_MAKESPAN), time_limit=10)
    assert result.status is Status.OPTIMAL
    assert result.objective == 11
    assert [(s.criterion, s.value) for s in result.stages] == [
        (Objective.WEIGHTED_COMPLETION, 11),
        (Objective.MAKESPAN, 10),
    ]


def _replan(problem: Problem, schedule: Schedule, before: int) -> Problem:
    """Work that started before ``before`` is done or under way: fix it."""
    tasks = tuple(
        replace(t, fixed_start=schedule.starts[t.name], fixed_mode=schedule.modes[t.name])
        if schedule.starts[t.name] < before
        else t
        for t in problem.tasks
    )
    return replace(problem, tasks=tasks)


def test_replanning_keeps_fixed_tasks_and_starts_from_the_hint() -> None:
    problem = read_psplib(psplib("j30.sm", "j301_1.sm"))
    first = solve(problem, time_limit=10)
    assert first.schedule is not None
    replanned = _replan(problem, first.schedule, before=10)
    fixed = [t.name for t in replanned.tasks if t.fixed_start is not None]
    assert len(fixed) >= 5
    again = solve(replanned, time_limit=10, hint=first.schedule)
    assert any("the given hint is a valid schedule" in line for line in again.explanation)
    assert again.objective == 43
    assert again.schedule is not None
    assert all(again.schedule.starts[n] == first.schedule.starts[n] for n in fixed)


def test_replanning_with_an_urgent_new_task_keeps_the_work_under_way() -> None:
    problem = read_psplib(psplib("j30.sm", "j301_1.sm"))
    first = solve(problem, time_limit=10)
    assert first.schedule is not None
    replanned = _replan(problem, first.schedule, before=10)
    # an EOD call-out arrives: all of R2 for 5 days, between day 10 and day 25
    urgent = Task.single("urgent", 5, {"R2": 13}, release=10, deadline=25)
    replanned = replace(replanned, tasks=(*replanned.tasks, urgent))
    result = solve(replanned, time_limit=10, hint=first.schedule)
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert result.schedule is not None
    assert check_schedule(replanned, result.schedule) == []
    for task in replanned.tasks:
        if task.fixed_start is not None:
            assert result.schedule.starts[task.name] == task.fixed_start
    assert 10 <= result.schedule.starts["urgent"] <= 20
    assert result.objective is not None and result.objective >= 43
    assert any("the given hint breaks 1 constraint(s)" in line for line in result.explanation)


def test_a_deadline_behind_a_chain_is_explained_with_the_chain() -> None:
    tasks = (
        Task.single("survey", 5),
        Task.single("clear", 10),
        Task.single("build", 4, deadline=15),
    )
    problem = Problem(tasks, (), (Precedence("survey", "clear"), Precedence("clear", "build", 2)))
    result = solve(problem, time_limit=5)
    assert result.status is Status.INFEASIBLE and result.schedule is None
    assert result.explanation == [
        "the deadline 15 of 'build' cannot be met: 'build' ends at 21 at the earliest, "
        "along the chain 'survey' (0-5) -> 'clear' (5-15) -> [lag 2] -> 'build' (17-21)"
    ]


def test_a_release_after_the_deadline_is_explained() -> None:
    problem = Problem((Task("late", (Mode(4), Mode(2)), release=10, deadline=11),))
    result = solve(problem, time_limit=5)
    assert result.status is Status.INFEASIBLE
    assert "released at 10 and takes at least 2, so it ends at 12" in result.explanation[0]


def test_a_demand_above_the_capacity_left_is_explained() -> None:
    # the dogs leave on day 10; the task released on day 12 needs 3 of them
    problem = Problem(
        (Task.single("dog-survey", 2, {"dogs": 3}, release=12),),
        (Resource("dogs", 3, ((10, 1),)),),
    )
    result = solve(problem, time_limit=5)
    assert result.status is Status.INFEASIBLE
    assert result.explanation == [
        "task 'dog-survey' cannot run in any mode: mode 0 needs 3 of 'dogs', which has at "
        "most 1 from time 12 on"
    ]


def test_a_fixed_start_that_breaks_a_precedence_is_explained() -> None:
    tasks = (Task.single("clear", 6), Task.single("build", 3, fixed_start=4))
    problem = Problem(tasks, (), (Precedence("clear", "build"),))
    result = solve(problem, time_limit=5)
    assert result.status is Status.INFEASIBLE
    assert (
        "'build' is fixed to start at 4, but its predecessors let it start at 6"
        in (result.explanation[0])
    )


def test_fixed_tasks_that_overlap_beyond_capacity_are_explained() -> None:
    tasks = (
        Task.single("a", 3, {"crew": 2}, fixed_start=0),
        Task.single("b", 3, {"crew": 2}, fixed_start=2),
    )
    result = solve(Problem(tasks, (Resource("crew", 3),)), time_limit=5)
    assert result.status is Status.INFEASIBLE
    assert (
        "fixed tasks clash: resource 'crew' is over capacity in periods 2..2"
        in (result.explanation[0])
    )


def test_a_task_released_too_late_for_the_horizon_is_explained() -> None:
    problem = Problem((Task.single("late", 4, release=3),), horizon=5)
    result = solve(problem, time_limit=5)
    assert result.status is Status.INFEASIBLE
    assert result.explanation == [
        "the horizon 5 cannot be met: 'late' ends at 7 at the earliest, along the chain "
        "'late' (released at 3, 3-7)"
    ]


def test_a_budget_too_small_for_the_cheapest_modes_is_explained() -> None:
    tasks = (
        Task("clear-1", (Mode(2, {"explosives": 5}), Mode(4, {"explosives": 3}))),
        Task("clear-2", (Mode(2, {"explosives": 4}), Mode(5, {"explosives": 2}))),
    )
    result = solve(Problem(tasks, nonrenewable={"explosives": 4}), time_limit=5)
    assert result.status is Status.INFEASIBLE
    assert result.explanation == [
        "nonrenewable resource 'explosives': the tasks consume at least 5 (each in its least "
        "consuming mode), but the budget is 4"
    ]


def test_deadlines_in_conflict_over_a_resource_are_named_by_the_solver() -> None:
    tasks = (
        Task.single("A", 5, {"crew": 1}, deadline=6),
        Task.single("B", 5, {"crew": 1}, deadline=6),
        Task.single("C", 1, {"crew": 1}, deadline=20),
    )
    result = solve(Problem(tasks, (Resource("crew", 1),)), time_limit=5)
    assert result.status is Status.INFEASIBLE
    assert "CP-SAT proved that no schedule meets every constraint" in result.explanation
    assert result.explanation[-1] == (
        "these limits cannot all be met together: the deadline 6 of task 'A'; "
        "the deadline 6 of task 'B'"
    )


def test_a_problem_without_tasks_is_solved_at_once() -> None:
    result = solve(Problem(()), time_limit=1)
    assert result.status is Status.OPTIMAL and result.objective == 0


def test_solve_refuses_a_non_positive_time_limit() -> None:
    with pytest.raises(ValueError, match="time_limit must be > 0"):
        solve(Problem(()), time_limit=0)


def test_large_neighbourhood_search_on_a_small_problem_keeps_a_valid_schedule() -> None:
    problem = read_psplib(psplib("j30.sm", "j3013_1.sm"))
    result = solve(problem, time_limit=3, lns=True)
    assert result.schedule is not None
    assert check_schedule(problem, result.schedule) == []
    assert any("large-neighbourhood search" in line for line in result.explanation)


@pytest.mark.slow
def test_large_neighbourhood_search_on_2000_tasks_stays_within_the_time_limit() -> None:
    problem = random_problem(2000, n_modes=3, n_resources=6, seed=1)
    began = time.perf_counter()
    result = solve(problem, time_limit=12, seed=1)
    elapsed = time.perf_counter() - began
    assert elapsed < 12.5
    assert result.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert result.schedule is not None
    assert check_schedule(problem, result.schedule) == []
    assert result.lower_bound is not None and result.objective is not None
    assert result.lower_bound <= result.objective
    assert any("large-neighbourhood search" in line for line in result.explanation)


def test_planning_imports_no_solver_until_solve_is_called() -> None:
    code = (
        "import sys, safeground.planning, safeground.planning.psplib\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('ortools', 'sqlite3', 'httpx', 'typer', 'pandas'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


#: The modules of the scheduling engine (other modules of the package belong to adapters).
ENGINE = (
    "__init__",
    "checker",
    "cpsat",
    "explain",
    "genetic",
    "heuristics",
    "lns",
    "model",
    "solve",
    "synthetic",
    "windows",
)


def test_only_the_psplib_reader_touches_files() -> None:
    package = Path(__file__).resolve().parents[2] / "src" / "safeground" / "planning"
    for name in ENGINE:
        text = (package / f"{name}.py").read_text()
        for word in ("open(", "read_text", "write_text", "Path(", "sqlite3", "typer"):
            assert word not in text, f"{name}.py uses {word}"
