"""Find, cheaply and before any search, why a problem has no schedule, and say it in words.

:func:`find_conflicts` looks for conflicts a planner can act on, each naming the tasks and
numbers involved:

==================  ===============================================================
kind                what it finds
==================  ===============================================================
no-mode             a task whose every usable mode needs more than the capacity
                    left from its release on (or its fixed mode does), or more than
                    a nonrenewable budget
release-deadline    a release too late for the deadline, even in the shortest mode
fixed-release       a fixed start before the task's release
fixed-deadline      a fixed start too late for the deadline
fixed-precedence    a fixed start earlier than its predecessors allow (the chain named)
deadline-chain      a deadline earlier than the earliest finish along the longest
                    chain of predecessors (the chain named)
horizon-chain       the same against the problem's horizon
fixed-capacity      fixed tasks that overlap beyond a resource's capacity
budget              tasks that together need more of a nonrenewable budget than there
                    is, each in its least consuming mode
==================  ===============================================================

These are sufficient, not necessary: a problem with none may still have no schedule
(resources make it so); the solver then proves it and names deadlines in conflict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from safeground.planning.checker import Placement, capacity_violations
from safeground.planning.model import Problem
from safeground.planning.windows import (
    NO_PREDECESSOR,
    earliest_starts,
    shortest_durations,
    usable_modes,
)

#: A chain longer than this is shown with its middle left out.
CHAIN_SHOWN = 12
#: At most this many conflicts of one kind are listed.
MAX_PER_KIND = 10


@dataclass(frozen=True)
class Conflict:
    """A reason the problem has no schedule: a stable ``kind``, the tasks, a message."""

    kind: str
    message: str
    tasks: tuple[str, ...] = ()


def find_conflicts(problem: Problem) -> list[Conflict]:
    """The conflicts that make ``problem`` infeasible and can be seen without search."""
    out: list[Conflict] = []
    usable = usable_modes(problem)
    out.extend(_modeless(problem, usable))
    durations = shortest_durations(problem, usable)
    out.extend(_own_windows(problem, durations))
    out.extend(_chains(problem, durations))
    out.extend(_fixed_overlaps(problem))
    out.extend(_budgets(problem, usable))
    counts: dict[str, int] = {}
    kept: list[Conflict] = []
    for conflict in out:
        counts[conflict.kind] = counts.get(conflict.kind, 0) + 1
        if counts[conflict.kind] <= MAX_PER_KIND:
            kept.append(conflict)
    for kind, count in counts.items():
        if count > MAX_PER_KIND:
            kept.append(Conflict(kind, f"... and {count - MAX_PER_KIND} more {kind} conflict(s)"))
    return kept


def _modeless(problem: Problem, usable: Sequence[Sequence[int]]) -> list[Conflict]:
    out: list[Conflict] = []
    for task, modes in zip(problem.tasks, usable, strict=True):
        if modes:
            continue
        start = task.fixed_start if task.fixed_start is not None else task.release
        candidates = range(len(task.modes)) if task.fixed_mode is None else (task.fixed_mode,)
        reasons = []
        for k in candidates:
            mode = task.modes[k]
            for name, amount in sorted(mode.demands.items()):
                if name in problem.nonrenewable:
                    if amount > problem.nonrenewable[name]:
                        reasons.append(
                            f"mode {k} consumes {amount} of {name!r} "
                            f"(budget {problem.nonrenewable[name]})"
                        )
                else:
                    most = problem.resource(name).max_capacity_from(start)
                    if amount > most:
                        reasons.append(
                            f"mode {k} needs {amount} of {name!r}, which has at most {most} "
                            f"from time {start} on"
                        )
        which = f"its fixed mode {task.fixed_mode}" if task.fixed_mode is not None else "any mode"
        out.append(
            Conflict(
                "no-mode",
                f"task {task.name!r} cannot run in {which}: {'; '.join(reasons)}",
                (task.name,),
            )
        )
    return out


def _own_windows(problem: Problem, durations: Sequence[int]) -> list[Conflict]:
    out: list[Conflict] = []
    for task, shortest in zip(problem.tasks, durations, strict=True):
        fixed_length = (
            task.modes[task.fixed_mode].duration if task.fixed_mode is not None else shortest
        )
        if task.deadline is not None and task.release + shortest > task.deadline:
            out.append(
                Conflict(
                    "release-deadline",
                    f"task {task.name!r} is released at {task.release} and takes at least "
                    f"{shortest}, so it ends at {task.release + shortest} at the earliest, "
                    f"after its deadline {task.deadline}",
                    (task.name,),
                )
            )
        if task.fixed_start is not None and task.fixed_start < task.release:
            out.append(
                Conflict(
                    "fixed-release",
                    f"task {task.name!r} is fixed to start at {task.fixed_start}, before its "
                    f"release {task.release}",
                    (task.name,),
                )
            )
        if (
            task.fixed_start is not None
            and task.deadline is not None
            and task.fixed_start + fixed_length > task.deadline
        ):
            out.append(
                Conflict(
                    "fixed-deadline",
                    f"task {task.name!r} is fixed to start at {task.fixed_start} and takes at "
                    f"least {fixed_length}, so it ends after its deadline {task.deadline}",
                    (task.name,),
                )
            )
    return out


def _chain(problem: Problem, causes: Sequence[int], last: int, first_cause: int) -> list[int]:
    chain = [last]
    j = first_cause
    while j != NO_PREDECESSOR:
        chain.append(j)
        j = causes[j]
    chain.reverse()
    return chain


def _names(problem: Problem, chain: Sequence[int]) -> tuple[str, ...]:
    return tuple(problem.tasks[k].name for k in chain)


def describe_chain(
    problem: Problem, chain: Sequence[int], starts: Sequence[int], durations: Sequence[int]
) -> str:
    """``A (0-5) -> [lag 2] -> B (7-15) -> C (15-25)``: the earliest times along a chain."""
    preds = problem.predecessors
    parts: list[str] = []
    for position, j in enumerate(chain):
        task = problem.tasks[j]
        if position:
            lag = dict(preds[j]).get(chain[position - 1], 0)
            if lag:
                parts.append(f"[lag {lag}]")
        origin = ""
        if position == 0:
            if task.fixed_start is not None:
                origin = f"fixed at {task.fixed_start}, "
            elif task.release:
                origin = f"released at {task.release}, "
        parts.append(f"{task.name!r} ({origin}{starts[j]}-{starts[j] + durations[j]})")
    if len(parts) > CHAIN_SHOWN:
        parts = [*parts[:3], f"... {len(parts) - CHAIN_SHOWN + 1} more ...", *parts[-8:]]
    return " -> ".join(parts)


def _chains(problem: Problem, durations: Sequence[int]) -> list[Conflict]:
    out: list[Conflict] = []
    early = earliest_starts(problem, durations)
    for j in problem.topological_order:
        task = problem.tasks[j]
        if task.fixed_start is not None and early.bound[j] > task.fixed_start:
            if early.bound_cause[j] != NO_PREDECESSOR:
                chain = _chain(problem, early.cause, j, early.bound_cause[j])
                starts = list(early.start)
                starts[j] = early.bound[j]
                out.append(
                    Conflict(
                        "fixed-precedence",
                        f"task {task.name!r} is fixed to start at {task.fixed_start}, but its "
                        f"predecessors let it start at {early.bound[j]} at the earliest: "
                        f"{describe_chain(problem, chain, starts, durations)}",
                        _names(problem, chain),
                    )
                )
            continue
        finish = early.start[j] + durations[j]
        for limit, kind, what in (
            (task.deadline, "deadline-chain", f"the deadline {task.deadline} of {task.name!r}"),
            (problem.horizon, "horizon-chain", f"the horizon {problem.horizon}"),
        ):
            if limit is None or finish <= limit:
                continue
            if early.cause[j] == NO_PREDECESSOR and kind == "deadline-chain":
                continue  # a task alone against its deadline: a release-deadline conflict
            chain = _chain(problem, early.cause, j, early.cause[j])
            out.append(
                Conflict(
                    kind,
                    f"{what} cannot be met: {task.name!r} ends at {finish} at the earliest, "
                    f"along the chain {describe_chain(problem, chain, early.start, durations)}",
                    _names(problem, chain),
                )
            )
    return out


def _fixed_overlaps(problem: Problem) -> list[Conflict]:
    placed: list[Placement] = []
    for task in problem.tasks:
        if task.fixed_start is None:
            continue
        if task.fixed_mode is not None:
            mode = task.modes[task.fixed_mode]
        elif len(task.modes) == 1:
            mode = task.modes[0]
        else:
            continue
        placed.append(
            Placement(task.name, task.fixed_start, task.fixed_start + mode.duration, mode.demands)
        )
    out: list[Conflict] = []
    for resource in problem.resources:
        for violation in capacity_violations(resource, placed):
            out.append(Conflict("fixed-capacity", f"fixed tasks clash: {violation.message}"))
    return out


def _budgets(problem: Problem, usable: Sequence[Sequence[int]]) -> list[Conflict]:
    out: list[Conflict] = []
    for name, budget in problem.nonrenewable.items():
        need = 0
        for task, modes in zip(problem.tasks, usable, strict=True):
            need += min((task.modes[k].demands.get(name, 0) for k in modes), default=0)
        if need > budget:
            out.append(
                Conflict(
                    "budget",
                    f"nonrenewable resource {name!r}: the tasks consume at least {need} "
                    f"(each in its least consuming mode), but the budget is {budget}",
                )
            )
    return out
