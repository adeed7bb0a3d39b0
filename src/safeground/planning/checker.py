"""Check a schedule against its problem, in plain Python, independently of any solver.

:func:`check_schedule` returns every :class:`Violation` found; :func:`assert_valid` raises
:class:`InvalidSchedule` listing them. The kinds, stable for callers and tests:

===============  ==============================================================
kind             what it finds
===============  ==============================================================
missing-task     a task of the problem has no start
unknown-task     the schedule names a task the problem does not have
bad-mode         a mode index outside the task's modes
release          a start before the task's release (or before time 0)
deadline         an end after the task's deadline
horizon          an end after the problem's horizon
fixed            a start or mode other than the fixed one
precedence       ``after`` starts before ``before`` ends plus the lag
capacity         a renewable resource used beyond its capacity at some period
nonrenewable     a nonrenewable budget consumed beyond its total
===============  ==============================================================

Resource use is checked by an event sweep (sorted starts, ends and capacity changes), so
the cost does not depend on the length of the horizon.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from safeground.planning.model import Problem, Resource, Schedule

MISSING_TASK = "missing-task"
UNKNOWN_TASK = "unknown-task"
BAD_MODE = "bad-mode"
RELEASE = "release"
DEADLINE = "deadline"
HORIZON = "horizon"
FIXED = "fixed"
PRECEDENCE = "precedence"
CAPACITY = "capacity"
NONRENEWABLE = "nonrenewable"

#: At most this many over-capacity periods are listed per resource.
MAX_CAPACITY_REPORTS = 5


@dataclass(frozen=True)
class Violation:
    """One broken constraint: a stable ``kind`` and a message naming tasks and numbers."""

    kind: str
    message: str


class InvalidSchedule(AssertionError):
    """Raised by :func:`assert_valid`; ``violations`` holds what was found."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        lines = "\n".join(f"  [{v.kind}] {v.message}" for v in self.violations)
        super().__init__(f"the schedule breaks {len(self.violations)} constraint(s):\n{lines}")


@dataclass(frozen=True)
class Placement:
    """A task placed in time: ``[start, end)`` with its demands (for the capacity sweep)."""

    name: str
    start: int
    end: int
    demands: Mapping[str, int]


def check_schedule(problem: Problem, schedule: Schedule) -> list[Violation]:
    """Every constraint of ``problem`` that ``schedule`` breaks (an empty list if none)."""
    out: list[Violation] = []
    index = problem.task_index
    for name in schedule.starts:
        if name not in index:
            out.append(Violation(UNKNOWN_TASK, f"the schedule names an unknown task {name!r}"))
    ends: dict[str, int] = {}
    placed: list[Placement] = []
    for task in problem.tasks:
        if task.name not in schedule.starts:
            out.append(Violation(MISSING_TASK, f"task {task.name!r} is not scheduled"))
            continue
        start = schedule.starts[task.name]
        k = schedule.modes[task.name]
        if not 0 <= k < len(task.modes):
            out.append(
                Violation(
                    BAD_MODE,
                    f"task {task.name!r} is given mode {k}, but its modes are "
                    f"0..{len(task.modes) - 1}",
                )
            )
            continue
        mode = task.modes[k]
        end = start + mode.duration
        ends[task.name] = end
        placed.append(Placement(task.name, start, end, mode.demands))
        if start < task.release:
            out.append(
                Violation(
                    RELEASE,
                    f"task {task.name!r} starts at {start}, before its release {task.release}",
                )
            )
        if task.deadline is not None and end > task.deadline:
            out.append(
                Violation(
                    DEADLINE,
                    f"task {task.name!r} ends at {end}, after its deadline {task.deadline}",
                )
            )
        if problem.horizon is not None and end > problem.horizon:
            out.append(
                Violation(
                    HORIZON,
                    f"task {task.name!r} ends at {end}, after the horizon {problem.horizon}",
                )
            )
        if task.fixed_start is not None and start != task.fixed_start:
            out.append(
                Violation(
                    FIXED,
                    f"task {task.name!r} starts at {start}, but its start is fixed at "
                    f"{task.fixed_start}",
                )
            )
        if task.fixed_mode is not None and k != task.fixed_mode:
            out.append(
                Violation(
                    FIXED,
                    f"task {task.name!r} runs in mode {k}, but its mode is fixed to "
                    f"{task.fixed_mode}",
                )
            )
    for p in problem.precedences:
        if p.before in ends and p.after in schedule.starts and p.after in ends:
            earliest = ends[p.before] + p.lag
            if schedule.starts[p.after] < earliest:
                lag = f" + lag {p.lag}" if p.lag else ""
                out.append(
                    Violation(
                        PRECEDENCE,
                        f"task {p.after!r} starts at {schedule.starts[p.after]}, before "
                        f"{p.before!r} ends at {ends[p.before]}{lag}",
                    )
                )
    for resource in problem.resources:
        out.extend(capacity_violations(resource, placed))
    out.extend(_budget_violations(problem, placed))
    return out


def assert_valid(problem: Problem, schedule: Schedule) -> None:
    """Raise :class:`InvalidSchedule` listing every violation, if there is any."""
    violations = check_schedule(problem, schedule)
    if violations:
        raise InvalidSchedule(violations)


def capacity_violations(resource: Resource, placed: Sequence[Placement]) -> list[Violation]:
    """The periods where ``placed`` tasks use more of ``resource`` than it has.

    A sweep over the sorted starts, ends and capacity changes; consecutive overloaded
    periods are reported as one span, at most :data:`MAX_CAPACITY_REPORTS` per resource.
    """
    delta: dict[int, int] = defaultdict(int)
    for p in placed:
        amount = p.demands.get(resource.name, 0)
        if amount > 0 and p.end > p.start:
            delta[p.start] += amount
            delta[p.end] -= amount
    if not delta:
        return []
    first = min(delta)
    times = sorted(set(delta) | {t for t, _ in resource.capacity_profile if t > first})
    spans: list[tuple[int, int, int, int]] = []  # (from, to, peak use, capacity at peak)
    used = 0
    for k, t in enumerate(times):
        used += delta.get(t, 0)
        capacity = resource.capacity_at(t)
        if used > capacity:
            stop = times[k + 1] if k + 1 < len(times) else t + 1
            if spans and spans[-1][1] == t:
                a, _, peak, cap = spans[-1]
                if used - capacity > peak - cap:
                    peak, cap = used, capacity
                spans[-1] = (a, stop, peak, cap)
            else:
                spans.append((t, stop, used, capacity))
    out: list[Violation] = []
    for a, b, peak, cap in spans[:MAX_CAPACITY_REPORTS]:
        users = sorted(
            (p.name for p in placed if p.start < b and p.end > a and p.demands.get(resource.name)),
        )
        shown = ", ".join(users[:10]) + (f" and {len(users) - 10} more" if len(users) > 10 else "")
        out.append(
            Violation(
                CAPACITY,
                f"resource {resource.name!r} is over capacity in periods {a}..{b - 1}: "
                f"{peak} used where {cap} is available (tasks {shown})",
            )
        )
    if len(spans) > MAX_CAPACITY_REPORTS:
        out.append(
            Violation(
                CAPACITY,
                f"resource {resource.name!r} is over capacity in "
                f"{len(spans) - MAX_CAPACITY_REPORTS} more span(s)",
            )
        )
    return out


def _budget_violations(problem: Problem, placed: Sequence[Placement]) -> list[Violation]:
    out: list[Violation] = []
    for name, budget in problem.nonrenewable.items():
        used = sum(p.demands.get(name, 0) for p in placed)
        if used > budget:
            out.append(
                Violation(
                    NONRENEWABLE,
                    f"nonrenewable resource {name!r}: {used} consumed, budget {budget}",
                )
            )
    return out
