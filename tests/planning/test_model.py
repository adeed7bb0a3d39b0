"""The planning values refuse what cannot be right, saying what is wrong."""

from __future__ import annotations

import dataclasses

import pytest

from safeground.planning import (
    Mode,
    Objective,
    Precedence,
    Problem,
    Resource,
    Result,
    Schedule,
    Status,
    Task,
)


def test_resource_capacity_profile_overrides_capacity_from_each_time_on() -> None:
    crew = Resource("deminers", 4, ((10, 8), (20, 2)))
    assert [crew.capacity_at(t) for t in (0, 9, 10, 19, 20, 1000)] == [4, 4, 8, 8, 2, 2]
    assert crew.max_capacity == 8
    assert crew.max_capacity_from(15) == 8
    assert crew.max_capacity_from(20) == 2
    assert crew.steps() == [(0, 4), (10, 8), (20, 2)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "", "capacity": 1}, "resource name"),
        ({"name": "R", "capacity": -1}, "capacity of 'R' must be at least 0"),
        ({"name": "R", "capacity": 1.5}, "must be an integer"),
        ({"name": "R", "capacity": True}, "must be an integer"),
        ({"name": "R", "capacity": 1, "capacity_profile": ((5, 2), (5, 3))}, "increase strictly"),
        ({"name": "R", "capacity": 1, "capacity_profile": ((5, -2),)}, "at least 0"),
        ({"name": "R", "capacity": 1, "capacity_profile": ((5,),)}, "(from_time, capacity)"),
    ],
)
def test_resource_refuses_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Resource(**kwargs)  # type: ignore[arg-type]


def test_mode_refuses_negative_duration_and_demand() -> None:
    with pytest.raises(ValueError, match="duration must be at least 0"):
        Mode(-1)
    with pytest.raises(ValueError, match=r"demands\['R'\] must be at least 0"):
        Mode(1, {"R": -2})


def test_task_refuses_no_modes_bad_weight_and_unknown_fixed_mode() -> None:
    with pytest.raises(ValueError, match="needs at least one mode"):
        Task("A", ())
    with pytest.raises(ValueError, match="weight of task 'A' must be finite and >= 0"):
        Task.single("A", 1, weight=-1)
    with pytest.raises(ValueError, match="weight of task 'A' must be finite"):
        Task.single("A", 1, weight=float("nan"))
    with pytest.raises(ValueError, match="fixed mode of task 'A' is 2, but it has only 2 mode"):
        Task("A", (Mode(1), Mode(2)), fixed_mode=2)
    with pytest.raises(ValueError, match="release of task 'A' must be at least 0"):
        Task.single("A", 1, release=-3)


def test_task_is_immutable_and_keeps_its_modes_as_a_tuple() -> None:
    task = Task("A", [Mode(1, {"R": 1})])  # type: ignore[arg-type]
    assert isinstance(task.modes, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.weight = 2.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        task.modes[0].demands["R"] = 5  # type: ignore[index]


def test_precedence_refuses_self_loop_and_negative_lag() -> None:
    with pytest.raises(ValueError, match="cannot precede itself"):
        Precedence("A", "A")
    with pytest.raises(ValueError, match="lag of 'A' -> 'B' must be at least 0"):
        Precedence("A", "B", lag=-1)


def test_problem_refuses_repeated_task_and_resource_names() -> None:
    with pytest.raises(ValueError, match="task names must be unique; repeated: A"):
        Problem((Task.single("A", 1), Task.single("A", 2)))
    with pytest.raises(ValueError, match="resource names must be unique; repeated: R"):
        Problem((Task.single("A", 1),), (Resource("R", 1), Resource("R", 2)))


def test_problem_refuses_unknown_names_in_precedences_and_demands() -> None:
    with pytest.raises(ValueError, match="precedence 'A' -> 'B' names an unknown task 'B'"):
        Problem((Task.single("A", 1),), (), (Precedence("A", "B"),))
    with pytest.raises(ValueError, match="task 'A' mode 0 asks for an unknown resource 'dogs'"):
        Problem((Task.single("A", 1, {"dogs": 1}),), (Resource("R", 1),))


def test_problem_refuses_a_task_no_capacity_can_hold() -> None:
    task = Task("clear", (Mode(3, {"deminers": 12}), Mode(6, {"deminers": 9})))
    crew = Resource("deminers", 6, ((30, 8),))
    with pytest.raises(ValueError, match="task 'clear' can never run: mode 0 needs 12 of"):
        Problem((task,), (crew,))


def test_problem_accepts_a_task_with_one_mode_that_fits() -> None:
    task = Task("clear", (Mode(3, {"deminers": 12}), Mode(6, {"deminers": 6})))
    problem = Problem((task,), (Resource("deminers", 6),))
    assert problem.task("clear") is task


def test_problem_names_the_precedence_cycle() -> None:
    tasks = tuple(Task.single(n, 1) for n in "ABCD")
    cycle = (Precedence("A", "B"), Precedence("B", "C"), Precedence("C", "D"), Precedence("D", "B"))
    with pytest.raises(ValueError, match="the precedences form a cycle: B -> C -> D -> B"):
        Problem(tasks, (), cycle)


def test_problem_refuses_a_budget_named_like_a_renewable_resource() -> None:
    with pytest.raises(ValueError, match="both a renewable and a nonrenewable resource: R"):
        Problem((Task.single("A", 1),), (Resource("R", 1),), nonrenewable={"R": 3})


def test_problem_refuses_an_unknown_objective() -> None:
    with pytest.raises(ValueError, match="objective must be one of makespan"):
        Problem((Task.single("A", 1),), objective="fastest")  # type: ignore[arg-type]


def test_problem_indexes_tasks_in_topological_order() -> None:
    tasks = (Task.single("build", 4), Task.single("clear", 3), Task.single("survey", 1))
    problem = Problem(tasks, (), (Precedence("survey", "clear"), Precedence("clear", "build", 2)))
    order = [problem.tasks[j].name for j in problem.topological_order]
    assert order == ["survey", "clear", "build"]
    assert problem.predecessors[0] == ((1, 2),)


def test_schedule_needs_a_mode_for_every_start_and_computes_objectives() -> None:
    with pytest.raises(ValueError, match="start without mode: \\['B'\\]"):
        Schedule({"A": 0, "B": 1}, {"A": 0})
    problem = Problem(
        (Task.single("A", 2, weight=1), Task("B", (Mode(5), Mode(3)), weight=2)),
        objective=Objective.LEX_WEIGHTED_THEN_MAKESPAN,
    )
    schedule = Schedule({"A": 0, "B": 2}, {"A": 0, "B": 1})
    assert schedule.makespan(problem) == 5
    assert schedule.weighted_completion(problem) == 2 * 1 + 5 * 2
    assert schedule.key(problem) == (12.0, 5.0)


def test_result_with_a_schedule_must_say_it_found_one() -> None:
    with pytest.raises(ValueError, match="status optimal needs a schedule"):
        Result(Status.OPTIMAL, None, 1.0, 1.0, 0.0, 0.1, [])
    with pytest.raises(ValueError, match="status infeasible has no schedule"):
        Result(Status.INFEASIBLE, Schedule({}, {}), None, None, None, 0.1, [])
