"""Time windows and bounds from the precedence graph: longest paths, no solver.

Used by the heuristics (priority rules), the CP-SAT model (variable domains, a horizon)
and the infeasibility explanation (the chains that make a deadline unreachable). All
durations here are each task's shortest *usable* mode, so every window holds for every
schedule: they are relaxations, never guesses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from safeground.planning.model import Mode, Problem, Task

#: A task's earliest start set by its release (or time 0), not by a predecessor.
NO_PREDECESSOR = -1


def mode_fits(problem: Problem, task: Task, mode: Mode, from_time: int = 0) -> bool:
    """Whether ``mode`` fits the capacities available from ``from_time`` on and the budgets."""
    for name, amount in mode.demands.items():
        if name in problem.nonrenewable:
            if amount > problem.nonrenewable[name]:
                return False
        elif amount > problem.resource(name).max_capacity_from(from_time):
            return False
    return True


def usable_modes(problem: Problem) -> list[tuple[int, ...]]:
    """Per task, the indices of the modes it may run in: the fixed mode if any, and only
    modes whose demands fit some capacity at or after the task's release (possibly none)."""
    out: list[tuple[int, ...]] = []
    for task in problem.tasks:
        candidates = range(len(task.modes)) if task.fixed_mode is None else (task.fixed_mode,)
        start = task.fixed_start if task.fixed_start is not None else task.release
        out.append(tuple(k for k in candidates if mode_fits(problem, task, task.modes[k], start)))
    return out


def shortest_durations(problem: Problem, usable: Sequence[Sequence[int]]) -> list[int]:
    """Each task's shortest usable duration (its shortest duration if none is usable)."""
    return [
        min(task.modes[k].duration for k in (modes or range(len(task.modes))))
        for task, modes in zip(problem.tasks, usable, strict=True)
    ]


@dataclass(frozen=True)
class Earliest:
    """Earliest starts by longest paths; ``cause[j]`` is the predecessor that sets
    ``start[j]`` (or :data:`NO_PREDECESSOR`); ``bound[j]`` is what releases and predecessors
    alone allow (it differs from ``start[j]`` only for a fixed start)."""

    start: list[int]
    cause: list[int]
    bound: list[int]
    bound_cause: list[int]


def earliest_starts(problem: Problem, durations: Sequence[int]) -> Earliest:
    """Longest paths from time 0 through releases, lags and ``durations``; fixed starts
    are taken as given (whether they are reachable is :mod:`explain`'s question)."""
    n = len(problem.tasks)
    start = [0] * n
    cause = [NO_PREDECESSOR] * n
    bound = [0] * n
    bound_cause = [NO_PREDECESSOR] * n
    for j in problem.topological_order:
        task = problem.tasks[j]
        best, why = task.release, NO_PREDECESSOR
        for i, lag in problem.predecessors[j]:
            t = start[i] + durations[i] + lag
            if t > best:
                best, why = t, i
        bound[j], bound_cause[j] = best, why
        if task.fixed_start is not None:
            start[j], cause[j] = task.fixed_start, NO_PREDECESSOR
        else:
            start[j], cause[j] = best, why
    return Earliest(start, cause, bound, bound_cause)


def latest_finishes(
    problem: Problem,
    durations: Sequence[int],
    horizon: int | None,
    *,
    deadlines: bool = True,
) -> list[int]:
    """Latest ends by longest paths backwards from ``horizon``, the deadlines (unless
    ``deadlines`` is False) and the fixed starts of successors. ``math.inf`` is not used:
    without any limit a task's latest finish is a large sentinel (``2**62``)."""
    far = 2**62
    n = len(problem.tasks)
    finish = [far] * n
    for j in reversed(problem.topological_order):
        task = problem.tasks[j]
        best = far if horizon is None else horizon
        if deadlines and task.deadline is not None:
            best = min(best, task.deadline)
        for k, lag in problem.successors[j]:
            succ = problem.tasks[k]
            latest_start = finish[k] - durations[k]
            if succ.fixed_start is not None:
                latest_start = min(latest_start, succ.fixed_start)
            best = min(best, latest_start - lag)
        finish[j] = best
    return finish


def critical_path_bound(problem: Problem, durations: Sequence[int], est: Sequence[int]) -> int:
    """The longest path: no schedule ends before it."""
    return max((est[j] + durations[j] for j in range(len(problem.tasks))), default=0)


def energy_bound(problem: Problem, usable: Sequence[Sequence[int]]) -> int:
    """For each renewable resource, the first time by which its capacity, summed over
    periods, covers the least work (duration x demand) the tasks need of it."""
    best = 0
    for resource in problem.resources:
        need = 0
        for task, modes in zip(problem.tasks, usable, strict=True):
            options = modes or range(len(task.modes))
            need += min(
                task.modes[k].duration * task.modes[k].demands.get(resource.name, 0)
                for k in options
            )
        if need == 0:
            continue
        steps = resource.steps()
        supplied = 0
        for s, (when, capacity) in enumerate(steps):
            until = steps[s + 1][0] if s + 1 < len(steps) else None
            if until is None:
                if capacity == 0:
                    break  # never enough: the solver will say so
                best = max(best, when + math.ceil((need - supplied) / capacity))
                break
            if supplied + capacity * (until - when) >= need:
                best = max(best, when + math.ceil((need - supplied) / capacity))
                break
            supplied += capacity * (until - when)
    return best


def safe_horizon(problem: Problem, usable: Sequence[Sequence[int]]) -> int:
    """A time by which some optimal schedule ends, if any schedule exists.

    A schedule shifted left as far as it goes starts each task at a release, a fixed start,
    a capacity change, or the end (plus lag) of another task; following those causes back
    adds each task's duration and lag at most once. So any regular objective (makespan,
    weighted completion) has an optimum ending by ``base + sum(longest duration + lag)``.
    """
    base = max(
        [
            0,
            *(t.release for t in problem.tasks),
            *(t.fixed_start for t in problem.tasks if t.fixed_start is not None),
            *(r.last_change for r in problem.resources),
        ]
    )
    total = base
    for j, (task, modes) in enumerate(zip(problem.tasks, usable, strict=True)):
        options = modes or range(len(task.modes))
        total += max(task.modes[k].duration for k in options)
        total += max((lag for _, lag in problem.successors[j]), default=0)
    if problem.horizon is not None:
        total = min(total, problem.horizon)
    return total
