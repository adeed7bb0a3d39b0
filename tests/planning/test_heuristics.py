"""The schedule-generation heuristics give valid schedules, and justification never hurts."""

from __future__ import annotations

import pytest

from safeground.planning import (
    Mode,
    Objective,
    Precedence,
    Problem,
    Resource,
    Task,
    check_schedule,
    heuristic_schedule,
    justify,
    serial_sgs,
)
from safeground.planning.heuristics import ModeRule, PriorityRule
from safeground.planning.psplib import parse_mm, read_psplib
from safeground.planning.synthetic import random_problem
from tests.planning.shared import psplib
from tests.planning.test_psplib import HAND_MM


@pytest.mark.parametrize("rule", list(PriorityRule))
def test_every_priority_rule_gives_a_valid_schedule_on_j30(rule: PriorityRule) -> None:
    for name in ("j301_1.sm", "j3010_3.sm", "j3048_7.sm"):
        problem = read_psplib(psplib("j30.sm", name))
        schedule = serial_sgs(problem, rule, seed=3)
        assert schedule is not None
        assert check_schedule(problem, schedule) == []


@pytest.mark.parametrize("mode_rule", list(ModeRule))
def test_mode_rules_keep_within_the_nonrenewable_budget(mode_rule: ModeRule) -> None:
    problem = parse_mm(HAND_MM)
    schedule = serial_sgs(problem, PriorityRule.LFT, mode_rule)
    assert schedule is not None
    assert check_schedule(problem, schedule) == []


def test_earliest_finish_mode_choice_takes_the_fast_mode_when_there_is_room() -> None:
    problem = Problem(
        (Task("clear", (Mode(10, {"team": 1}), Mode(4, {"team": 3}))),), (Resource("team", 3),)
    )
    schedule = serial_sgs(problem, mode_rule=ModeRule.EARLIEST_FINISH)
    assert schedule is not None and schedule.modes["clear"] == 1
    slow = serial_sgs(problem, mode_rule=ModeRule.LEAST_RESOURCE)
    assert slow is not None and slow.modes["clear"] == 0


def test_justification_never_lengthens_the_schedule() -> None:
    for name in ("j301_1.sm", "j3013_1.sm", "j3029_4.sm", "j3046_2.sm"):
        problem = read_psplib(psplib("j30.sm", name))
        for seed in range(3):
            first = serial_sgs(problem, PriorityRule.RANDOM, seed=seed)
            assert first is not None
            better = justify(problem, first)
            assert check_schedule(problem, better) == []
            assert better.makespan(problem) <= first.makespan(problem)


def test_heuristic_keeps_fixed_tasks_releases_and_capacity_profiles() -> None:
    tasks = (
        Task.single("done", 3, {"crew": 2}, fixed_start=0),
        Task.single("running", 4, {"crew": 1}, fixed_start=2),
        Task.single("next", 2, {"crew": 3}, release=1),
        Task.single("later", 5, {"crew": 2}, release=7),
        Task.single("last", 1, {"crew": 4}),
    )
    problem = Problem(
        tasks,
        (Resource("crew", 3, ((6, 2), (12, 4))),),
        (Precedence("done", "next"), Precedence("next", "last")),
    )
    found = heuristic_schedule(problem, time_limit=0.2)
    assert found.schedule is not None
    assert check_schedule(problem, found.schedule) == []
    assert found.schedule.starts["done"] == 0 and found.schedule.starts["running"] == 2
    assert found.schedule.starts["last"] >= 12  # 4 of crew only from time 12


def test_heuristic_finds_nothing_when_deadlines_cannot_be_met() -> None:
    problem = Problem(
        (
            Task.single("A", 5, {"crew": 1}, deadline=6),
            Task.single("B", 5, {"crew": 1}, deadline=6),
        ),
        (Resource("crew", 1),),
    )
    found = heuristic_schedule(problem, time_limit=0.05)
    assert found.schedule is None


def test_weighted_rule_puts_the_heavy_task_first() -> None:
    problem = Problem(
        (
            Task.single("light", 3, {"crew": 1}, weight=1),
            Task.single("heavy", 3, {"crew": 1}, weight=9),
        ),
        (Resource("crew", 1),),
        objective=Objective.WEIGHTED_COMPLETION,
    )
    found = heuristic_schedule(problem, time_limit=0.05)
    assert found.schedule is not None
    assert found.schedule.starts == {"heavy": 0, "light": 3}


def test_heuristic_schedules_thousands_of_multi_mode_tasks() -> None:
    problem = random_problem(3000, n_modes=3, n_resources=6, seed=5)
    found = heuristic_schedule(problem, time_limit=0.1)  # the first rule always completes
    assert found.schedule is not None
    assert check_schedule(problem, found.schedule) == []
