"""The checker finds every kind of broken constraint in hand-made schedules."""

from __future__ import annotations

import time

import pytest

from safeground.planning import (
    InvalidSchedule,
    Mode,
    Precedence,
    Problem,
    Resource,
    Schedule,
    Task,
    assert_valid,
    check_schedule,
)

# A small programme: survey, then clearance (two ways: a big team fast or a small one slow),
# then building, two days after clearance; a second survey with a deadline.
PROBLEM = Problem(
    (
        Task.single("survey", 2, {"team": 1}, release=1),
        Task(
            "clear", (Mode(3, {"team": 3, "explosives": 4}), Mode(6, {"team": 1, "explosives": 2}))
        ),
        Task.single("build", 4, {"team": 2}),
        Task.single("survey-2", 2, {"team": 1}, deadline=6),
        Task.single("handover", 1, fixed_start=15),
    ),
    (Resource("team", 3, ((10, 2),)),),
    (Precedence("survey", "clear"), Precedence("clear", "build", lag=2)),
    horizon=20,
    nonrenewable={"explosives": 3},
)
GOOD = {"survey": 1, "clear": 3, "build": 11, "survey-2": 0, "handover": 15}
GOOD_MODES = {"survey": 0, "clear": 1, "build": 0, "survey-2": 0, "handover": 0}


def schedule(starts: dict[str, int] | None = None, modes: dict[str, int] | None = None) -> Schedule:
    return Schedule({**GOOD, **(starts or {})}, {**GOOD_MODES, **(modes or {})})


def kinds(s: Schedule) -> list[str]:
    return [v.kind for v in check_schedule(PROBLEM, s)]


def test_a_valid_schedule_has_no_violation() -> None:
    assert check_schedule(PROBLEM, schedule()) == []
    assert_valid(PROBLEM, schedule())


def test_checker_finds_a_missing_task() -> None:
    starts = {k: v for k, v in GOOD.items() if k != "build"}
    s = Schedule(starts, {k: GOOD_MODES[k] for k in starts})
    assert kinds(s) == ["missing-task"]


def test_checker_finds_an_unknown_task() -> None:
    s = Schedule({**GOOD, "ghost": 0}, {**GOOD_MODES, "ghost": 0})
    violations = check_schedule(PROBLEM, s)
    assert [v.kind for v in violations] == ["unknown-task"]
    assert "'ghost'" in violations[0].message


def test_checker_finds_a_bad_mode() -> None:
    assert kinds(schedule(modes={"clear": 2})) == ["bad-mode"]
    assert kinds(schedule(modes={"build": -1})) == ["bad-mode"]


def test_checker_finds_a_start_before_release() -> None:
    # survey at 0 is before its release 1 (and overlaps survey-2: still within capacity)
    violations = check_schedule(PROBLEM, schedule({"survey": 0, "clear": 2}))
    assert [v.kind for v in violations] == ["release"]
    assert "starts at 0, before its release 1" in violations[0].message


def test_checker_finds_an_end_after_deadline() -> None:
    violations = check_schedule(PROBLEM, schedule({"survey-2": 5}))
    assert [v.kind for v in violations] == ["deadline"]
    assert "ends at 7, after its deadline 6" in violations[0].message


def test_checker_finds_an_end_after_the_horizon() -> None:
    assert kinds(schedule({"build": 17})) == ["horizon"]


def test_checker_finds_a_moved_fixed_task() -> None:
    violations = check_schedule(PROBLEM, schedule({"handover": 16}))
    assert [v.kind for v in violations] == ["fixed"]
    assert "fixed at 15" in violations[0].message


def test_checker_finds_a_mode_other_than_the_fixed_one() -> None:
    problem = Problem((Task("A", (Mode(1), Mode(2)), fixed_mode=1),))
    violations = check_schedule(problem, Schedule({"A": 0}, {"A": 0}))
    assert [v.kind for v in violations] == ["fixed"]


def test_checker_finds_a_broken_precedence_with_its_lag() -> None:
    violations = check_schedule(PROBLEM, schedule({"build": 10}))
    assert [v.kind for v in violations] == ["precedence"]
    assert violations[0].message == "task 'build' starts at 10, before 'clear' ends at 9 + lag 2"


def test_checker_finds_capacity_overload_with_the_capacity_profile() -> None:
    # build needs 2 of team; from time 10 the team has 2: a survey beside it overloads
    violations = check_schedule(PROBLEM, schedule({"survey-2": 11}, {}))
    capacity = [v for v in violations if v.kind == "capacity"]
    assert len(capacity) == 1
    assert "periods 11..12: 3 used where 2 is available" in capacity[0].message
    assert "build, survey-2" in capacity[0].message
    # the same overlap before time 10, where the team has 3, is fine
    assert "capacity" not in kinds(schedule({"clear": 4, "survey-2": 4}))


def test_checker_finds_an_overspent_budget() -> None:
    violations = check_schedule(PROBLEM, schedule({"build": 8}, {"clear": 0}))
    assert [v.kind for v in violations] == ["nonrenewable"]
    assert "'explosives': 4 consumed, budget 3" in violations[0].message


def test_assert_valid_lists_every_violation() -> None:
    with pytest.raises(InvalidSchedule) as caught:
        assert_valid(PROBLEM, schedule({"survey-2": 5, "handover": 16}))
    assert [v.kind for v in caught.value.violations] == ["deadline", "fixed"]
    assert "breaks 2 constraint(s)" in str(caught.value)


def test_zero_duration_tasks_use_no_capacity() -> None:
    problem = Problem(
        (Task.single("milestone", 0, {"R": 5}), Task.single("work", 2, {"R": 5})),
        (Resource("R", 5),),
    )
    assert (
        check_schedule(problem, Schedule({"milestone": 1, "work": 0}, {"milestone": 0, "work": 0}))
        == []
    )


def test_capacity_check_is_fast_on_a_long_horizon() -> None:
    # 20,000 tasks spread over 10**5 periods: the sweep does not walk the periods
    n = 20_000
    tasks = tuple(Task.single(f"T{i}", 50, {"R": 1}) for i in range(n))
    problem = Problem(tasks, (Resource("R", 10, ((50_000, 11),)),))
    starts = {f"T{i}": (i * 5) % 100_000 for i in range(n)}
    s = Schedule(starts, dict.fromkeys(starts, 0))
    began = time.perf_counter()
    violations = check_schedule(problem, s)
    assert time.perf_counter() - began < 5.0
    assert violations == []
