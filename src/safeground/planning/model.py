"""The scheduling problem and its answers, as typed immutable values.

A :class:`Problem` is a multi-mode resource-constrained project scheduling problem
(MRCPSP): :class:`Task` values, each run in exactly one of its :class:`Mode` values
(a duration and a demand per resource), renewable :class:`Resource` values whose capacity
may change over time, finish-to-start :class:`Precedence` values with a lag, and optional
nonrenewable budgets. Time is in whole periods (days, shifts) from 0; a task started at
``s`` in a mode of duration ``d`` occupies the periods ``s .. s + d - 1`` and ends at
``s + d``.

Every value checks itself when built and raises :class:`ValueError` saying what is wrong.
A :class:`Problem` that builds is well formed (unique names, known references, no
precedence cycle, every task has a mode some capacity can hold); whether it has a
schedule is for :func:`safeground.planning.solve` to find out.

Nonrenewable resources (budgets: explosives, fuel, money) are named in
``Problem.nonrenewable`` with their total over the project; a mode's demand on such a
name is consumed once, whatever the duration. Nothing here does I/O.
"""

from __future__ import annotations

import heapq
import math
import operator
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any


def _as_int(value: object, what: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"{what} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ValueError(f"{what} must be at least {minimum}, got {number}")
    return int(number)


def _as_name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value


def _frozen_counts(value: object, what: str) -> Mapping[str, int]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be a mapping of names to integers, got {value!r}")
    out: dict[str, int] = {}
    for key, amount in value.items():
        name = _as_name(key, f"{what}: a resource name")
        out[name] = _as_int(amount, f"{what}[{name!r}]", minimum=0)
    return MappingProxyType(out)


class Objective(StrEnum):
    """What :func:`~safeground.planning.solve` minimises."""

    MAKESPAN = "makespan"  # the end of the last task
    WEIGHTED_COMPLETION = "weighted_completion"  # sum of weight * end over tasks
    LEX_MAKESPAN_THEN_WEIGHTED = "lex_makespan_then_weighted"
    LEX_WEIGHTED_THEN_MAKESPAN = "lex_weighted_then_makespan"

    @property
    def criteria(self) -> tuple[Objective, ...]:
        """The single criteria in priority order (MAKESPAN and/or WEIGHTED_COMPLETION)."""
        if self is Objective.LEX_MAKESPAN_THEN_WEIGHTED:
            return (Objective.MAKESPAN, Objective.WEIGHTED_COMPLETION)
        if self is Objective.LEX_WEIGHTED_THEN_MAKESPAN:
            return (Objective.WEIGHTED_COMPLETION, Objective.MAKESPAN)
        return (self,)


class Status(StrEnum):
    OPTIMAL = "optimal"  # a schedule, proven best
    FEASIBLE = "feasible"  # a schedule, not proven best
    INFEASIBLE = "infeasible"  # proven: no schedule meets every constraint
    UNKNOWN = "unknown"  # no schedule found in the time given, and no proof there is none


@dataclass(frozen=True)
class Resource:
    """A renewable resource (a team, a machine park): ``capacity`` units at every period.

    ``capacity_profile`` is ``((from_time, capacity), ...)`` with strictly increasing
    times: from each ``from_time`` on, the capacity is the one given (until the next entry),
    overriding ``capacity``, which holds before the first entry. It models a workforce
    ramping up, seasons, or a machine away for repair.
    """

    name: str
    capacity: int
    capacity_profile: tuple[tuple[int, int], ...] = ()
    _times: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _as_name(self.name, "a resource name")
        object.__setattr__(
            self, "capacity", _as_int(self.capacity, f"capacity of {self.name!r}", minimum=0)
        )
        steps: list[tuple[int, int]] = []
        for entry in self.capacity_profile:
            if not isinstance(entry, Sequence) or len(entry) != 2:
                raise ValueError(
                    f"capacity profile of {self.name!r}: each entry is (from_time, capacity), "
                    f"got {entry!r}"
                )
            when = _as_int(entry[0], f"capacity profile of {self.name!r}: a time", minimum=0)
            amount = _as_int(
                entry[1], f"capacity profile of {self.name!r} at {when}: capacity", minimum=0
            )
            if steps and when <= steps[-1][0]:
                raise ValueError(
                    f"capacity profile of {self.name!r}: times must increase strictly, "
                    f"got {when} after {steps[-1][0]}"
                )
            steps.append((when, amount))
        object.__setattr__(self, "capacity_profile", tuple(steps))
        object.__setattr__(self, "_times", tuple(t for t, _ in steps))

    def capacity_at(self, time: int) -> int:
        """The capacity in period ``time``."""
        k = bisect_right(self._times, time)
        return self.capacity if k == 0 else self.capacity_profile[k - 1][1]

    @property
    def max_capacity(self) -> int:
        return max([self.capacity, *(c for _, c in self.capacity_profile)])

    @property
    def final_capacity(self) -> int:
        """The capacity from the last change on, for ever."""
        return self.capacity_profile[-1][1] if self.capacity_profile else self.capacity

    @property
    def last_change(self) -> int:
        """The time of the last capacity change (0 without a profile)."""
        return self.capacity_profile[-1][0] if self.capacity_profile else 0

    def max_capacity_from(self, time: int) -> int:
        """The largest capacity at any period from ``time`` on."""
        if not self.capacity_profile:
            return self.capacity
        k = bisect_right(self._times, time)
        current = self.capacity if k == 0 else self.capacity_profile[k - 1][1]
        return max([current, *(c for _, c in self.capacity_profile[k:])])

    def steps(self) -> list[tuple[int, int]]:
        """``[(from_time, capacity), ...]`` from time 0 on, merged and in order."""
        out: list[tuple[int, int]] = []
        if not self.capacity_profile or self.capacity_profile[0][0] > 0:
            out.append((0, self.capacity))
        for when, amount in self.capacity_profile:
            if out and out[-1][1] == amount:
                continue
            out.append((when, amount))
        return out


@dataclass(frozen=True)
class Mode:
    """One way to do a task: how long it takes and what it needs per resource name.

    Demands on renewable resources hold for every period the task runs; demands on
    nonrenewable resources (``Problem.nonrenewable``) are consumed once.
    """

    duration: int
    demands: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "duration", _as_int(self.duration, "duration", minimum=0))
        object.__setattr__(self, "demands", _frozen_counts(self.demands, "demands"))


@dataclass(frozen=True)
class Task:
    """A task (a survey, a clearance, a reconstruction job) run in one of its modes.

    ``weight`` is its priority in the weighted-completion objective. The task may not start
    before ``release`` and must end by ``deadline``. ``fixed_start`` / ``fixed_mode`` pin
    it, for re-planning: work done or under way stays as it is.
    """

    name: str
    modes: tuple[Mode, ...]
    weight: float = 0.0
    release: int = 0
    deadline: int | None = None
    fixed_start: int | None = None
    fixed_mode: int | None = None

    def __post_init__(self) -> None:
        _as_name(self.name, "a task name")
        modes = tuple(self.modes) if isinstance(self.modes, Iterable) else ()
        if not modes:
            raise ValueError(f"task {self.name!r} needs at least one mode")
        for mode in modes:
            if not isinstance(mode, Mode):
                raise ValueError(f"task {self.name!r}: modes must be Mode values, got {mode!r}")
        object.__setattr__(self, "modes", modes)
        weight = self.weight
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ValueError(f"weight of task {self.name!r} must be a number, got {weight!r}")
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"weight of task {self.name!r} must be finite and >= 0, got {weight}")
        object.__setattr__(self, "weight", float(weight))
        object.__setattr__(
            self, "release", _as_int(self.release, f"release of task {self.name!r}", minimum=0)
        )
        if self.deadline is not None:
            object.__setattr__(
                self,
                "deadline",
                _as_int(self.deadline, f"deadline of task {self.name!r}", minimum=0),
            )
        if self.fixed_start is not None:
            object.__setattr__(
                self,
                "fixed_start",
                _as_int(self.fixed_start, f"fixed start of task {self.name!r}", minimum=0),
            )
        if self.fixed_mode is not None:
            index = _as_int(self.fixed_mode, f"fixed mode of task {self.name!r}", minimum=0)
            if index >= len(modes):
                raise ValueError(
                    f"fixed mode of task {self.name!r} is {index}, but it has only "
                    f"{len(modes)} mode(s) (indices from 0)"
                )
            object.__setattr__(self, "fixed_mode", index)

    @classmethod
    def single(
        cls,
        name: str,
        duration: int,
        demands: Mapping[str, int] | None = None,
        **options: object,
    ) -> Task:
        """A task with one mode: ``Task.single("clear-A", 5, {"deminers": 4}, weight=2)``."""
        return cls(name, (Mode(duration, dict(demands or {})),), **options)  # type: ignore[arg-type]

    @property
    def min_duration(self) -> int:
        return min(m.duration for m in self.modes)


@dataclass(frozen=True)
class Precedence:
    """``after`` may start only ``lag`` periods after ``before`` ends (finish-to-start).

    Lags are >= 0: an overlap is modelled by splitting a task.
    """

    before: str
    after: str
    lag: int = 0

    def __post_init__(self) -> None:
        _as_name(self.before, "a precedence's 'before' task")
        _as_name(self.after, "a precedence's 'after' task")
        if self.before == self.after:
            raise ValueError(f"task {self.before!r} cannot precede itself")
        object.__setattr__(
            self,
            "lag",
            _as_int(self.lag, f"lag of {self.before!r} -> {self.after!r}", minimum=0),
        )


@dataclass(frozen=True)
class Problem:
    """A whole scheduling problem. Raises :class:`ValueError` if it is not well formed.

    ``horizon``, if given, is a hard limit: every task ends by it. ``nonrenewable`` maps
    budget names to their total over the project. The derived fields (``task_index``,
    ``predecessors``, ``successors``, ``topological_order``) index tasks by position.
    """

    tasks: tuple[Task, ...]
    resources: tuple[Resource, ...] = ()
    precedences: tuple[Precedence, ...] = ()
    objective: Objective = Objective.MAKESPAN
    horizon: int | None = None
    nonrenewable: Mapping[str, int] = field(default_factory=dict)
    task_index: Mapping[str, int] = field(init=False, repr=False, compare=False)
    resource_index: Mapping[str, int] = field(init=False, repr=False, compare=False)
    # predecessors[j] = ((i, lag), ...): precedences i -> j, the largest lag per pair
    predecessors: tuple[tuple[tuple[int, int], ...], ...] = field(
        init=False, repr=False, compare=False
    )
    successors: tuple[tuple[tuple[int, int], ...], ...] = field(
        init=False, repr=False, compare=False
    )
    topological_order: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tasks = tuple(self.tasks)
        resources = tuple(self.resources)
        precedences = tuple(self.precedences)
        for what, values, kind in (
            ("tasks", tasks, Task),
            ("resources", resources, Resource),
            ("precedences", precedences, Precedence),
        ):
            for value in values:
                if not isinstance(value, kind):
                    raise ValueError(f"{what} must be {kind.__name__} values, got {value!r}")
        object.__setattr__(self, "tasks", tasks)
        object.__setattr__(self, "resources", resources)
        object.__setattr__(self, "precedences", precedences)
        try:
            object.__setattr__(self, "objective", Objective(self.objective))
        except ValueError:
            choices = ", ".join(o.value for o in Objective)
            raise ValueError(
                f"objective must be one of {choices}; got {self.objective!r}"
            ) from None
        if self.horizon is not None:
            object.__setattr__(self, "horizon", _as_int(self.horizon, "horizon", minimum=0))
        budgets = _frozen_counts(self.nonrenewable, "nonrenewable")
        object.__setattr__(self, "nonrenewable", budgets)

        duplicates = _repeated(t.name for t in tasks)
        if duplicates:
            raise ValueError(f"task names must be unique; repeated: {', '.join(duplicates)}")
        index = {t.name: i for i, t in enumerate(tasks)}
        repeated = _repeated(r.name for r in resources)
        if repeated:
            raise ValueError(f"resource names must be unique; repeated: {', '.join(repeated)}")
        both = sorted({r.name for r in resources} & set(budgets))
        if both:
            raise ValueError(
                f"names used for both a renewable and a nonrenewable resource: {', '.join(both)}"
            )
        self._check_demands(tasks, resources, budgets)

        preds: list[dict[int, int]] = [{} for _ in tasks]
        for p in precedences:
            for end in (p.before, p.after):
                if end not in index:
                    raise ValueError(
                        f"precedence {p.before!r} -> {p.after!r} names an unknown task {end!r}"
                    )
            i, j = index[p.before], index[p.after]
            preds[j][i] = max(p.lag, preds[j].get(i, 0))
        succs: list[list[tuple[int, int]]] = [[] for _ in tasks]
        for j, pj in enumerate(preds):
            for i, lag in pj.items():
                succs[i].append((j, lag))
        order = _topological_order(preds, succs)
        if order is None:
            cycle = _find_cycle(succs)
            names = " -> ".join(tasks[k].name for k in [*cycle, cycle[0]])
            raise ValueError(f"the precedences form a cycle: {names}")
        object.__setattr__(self, "task_index", MappingProxyType(index))
        object.__setattr__(
            self, "resource_index", MappingProxyType({r.name: k for k, r in enumerate(resources)})
        )
        object.__setattr__(self, "predecessors", tuple(tuple(sorted(pj.items())) for pj in preds))
        object.__setattr__(self, "successors", tuple(tuple(s) for s in succs))
        object.__setattr__(self, "topological_order", tuple(order))

    @staticmethod
    def _check_demands(
        tasks: tuple[Task, ...], resources: tuple[Resource, ...], budgets: Mapping[str, int]
    ) -> None:
        peak = {r.name: r.max_capacity for r in resources}
        for task in tasks:
            reasons: list[str] = []
            for k, mode in enumerate(task.modes):
                for name in mode.demands:
                    if name not in peak and name not in budgets:
                        raise ValueError(
                            f"task {task.name!r} mode {k} asks for an unknown resource {name!r}"
                        )
                too_much = [
                    f"{amount} of {name!r} (capacity at most {peak[name]})"
                    if name in peak
                    else f"{amount} of {name!r} (budget {budgets[name]})"
                    for name, amount in mode.demands.items()
                    if amount > (peak[name] if name in peak else budgets[name])
                ]
                if too_much:
                    reasons.append(f"mode {k} needs {', '.join(too_much)}")
            if len(reasons) == len(task.modes):
                raise ValueError(f"task {task.name!r} can never run: {'; '.join(reasons)}")

    def task(self, name: str) -> Task:
        """The task called ``name``; KeyError if there is none."""
        return self.tasks[self.task_index[name]]

    def resource(self, name: str) -> Resource:
        """The renewable resource called ``name``; KeyError if there is none."""
        return self.resources[self.resource_index[name]]


def _repeated(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: set[str] = set()
    for name in names:
        if name in seen:
            out.add(name)
        seen.add(name)
    return sorted(out)


def _topological_order(
    preds: Sequence[Mapping[int, int]], succs: Sequence[Sequence[tuple[int, int]]]
) -> list[int] | None:
    indegree = [len(p) for p in preds]
    ready = [j for j, d in enumerate(indegree) if d == 0]
    ready.reverse()
    order: list[int] = []
    while ready:
        i = ready.pop()
        order.append(i)
        for j, _ in succs[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                ready.append(j)
    return order if len(order) == len(preds) else None


def priority_order(
    preds: Sequence[Sized],
    succs: Sequence[Sequence[tuple[int, int]]],
    key: Callable[[int], Any],
) -> list[int]:
    """A precedence-feasible order of tasks ``0 .. n-1`` that always takes the eligible task
    of smallest ``key`` next (``preds[j]``: the predecessors of j, ``succs[i]``: pairs
    (successor, lag)); list scheduling dispatches tasks in such orders."""
    waiting = [len(p) for p in preds]
    heap = [(key(j), j) for j in range(len(preds)) if not waiting[j]]
    heapq.heapify(heap)
    out: list[int] = []
    while heap:
        _, i = heapq.heappop(heap)
        out.append(i)
        for k, _ in succs[i]:
            waiting[k] -= 1
            if waiting[k] == 0:
                heapq.heappush(heap, (key(k), k))
    return out


def _find_cycle(succs: Sequence[Sequence[tuple[int, int]]]) -> list[int]:
    """One cycle of a graph known to have one, found by an iterative depth-first search."""
    state = [0] * len(succs)  # 0 new, 1 on the stack, 2 done
    for root in range(len(succs)):
        if state[root]:
            continue
        path: list[int] = [root]
        iters = [iter(succs[root])]
        state[root] = 1
        while path:
            step = next(iters[-1], None)
            if step is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            j = step[0]
            if state[j] == 1:
                return path[path.index(j) :]
            if state[j] == 0:
                state[j] = 1
                path.append(j)
                iters.append(iter(succs[j]))
    raise AssertionError("no cycle found in a graph said to have one")


@dataclass(frozen=True)
class Schedule:
    """A start time and a mode index (from 0) per task name."""

    starts: Mapping[str, int]
    modes: Mapping[str, int]

    def __post_init__(self) -> None:
        starts = {
            _as_name(k, "a scheduled task name"): _as_int(v, f"start of {k!r}")
            for k, v in dict(self.starts).items()
        }
        modes = {
            _as_name(k, "a scheduled task name"): _as_int(v, f"mode of {k!r}")
            for k, v in dict(self.modes).items()
        }
        if starts.keys() != modes.keys():
            only_start = sorted(starts.keys() - modes.keys())
            only_mode = sorted(modes.keys() - starts.keys())
            raise ValueError(
                "a schedule needs a start and a mode for the same tasks; "
                f"start without mode: {only_start}, mode without start: {only_mode}"
            )
        object.__setattr__(self, "starts", MappingProxyType(starts))
        object.__setattr__(self, "modes", MappingProxyType(modes))

    def end(self, problem: Problem, name: str) -> int:
        """When task ``name`` ends in this schedule."""
        return self.starts[name] + problem.task(name).modes[self.modes[name]].duration

    def ends(self, problem: Problem) -> dict[str, int]:
        """Each task's end. Raises ValueError if a task of ``problem`` is not scheduled."""
        out: dict[str, int] = {}
        for task in problem.tasks:
            if task.name not in self.starts:
                raise ValueError(f"the schedule has no start for task {task.name!r}")
            out[task.name] = self.starts[task.name] + task.modes[self.modes[task.name]].duration
        return out

    def makespan(self, problem: Problem) -> int:
        """The end of the last task (0 for a problem without tasks)."""
        return max(self.ends(problem).values(), default=0)

    def weighted_completion(self, problem: Problem) -> float:
        """The sum over tasks of weight times end."""
        ends = self.ends(problem)
        return math.fsum(t.weight * ends[t.name] for t in problem.tasks)

    def value(self, problem: Problem, criterion: Objective) -> float:
        """The value of a single criterion (MAKESPAN or WEIGHTED_COMPLETION)."""
        if criterion is Objective.MAKESPAN:
            return float(self.makespan(problem))
        if criterion is Objective.WEIGHTED_COMPLETION:
            return self.weighted_completion(problem)
        raise ValueError(f"{criterion} is not a single criterion")

    def key(self, problem: Problem) -> tuple[float, ...]:
        """The problem's objective as a tuple to compare lexicographically (smaller is better)."""
        return tuple(self.value(problem, c) for c in problem.objective.criteria)


@dataclass(frozen=True)
class StageResult:
    """One criterion of a (lexicographic) objective: its value, bound, and whether proven."""

    criterion: Objective
    value: float
    bound: float | None
    optimal: bool


@dataclass(frozen=True)
class Result:
    """What :func:`~safeground.planning.solve` found.

    ``objective``, ``lower_bound`` and ``gap`` are those of the first criterion of the
    objective (the one with priority); ``stages`` gives every criterion's value and bound
    for lexicographic objectives. ``gap`` is ``(objective - lower_bound) / max(objective, 1)``.
    ``explanation`` says, in plain words, what was done and, when there is no schedule, why.
    """

    status: Status
    schedule: Schedule | None
    objective: float | None
    lower_bound: float | None
    gap: float | None
    runtime: float
    explanation: list[str]
    stages: tuple[StageResult, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))
        has = self.schedule is not None
        if self.status in (Status.OPTIMAL, Status.FEASIBLE) and not has:
            raise ValueError(f"a result with status {self.status} needs a schedule")
        if self.status in (Status.INFEASIBLE, Status.UNKNOWN) and has:
            raise ValueError(f"a result with status {self.status} has no schedule")
        if self.runtime < 0:
            raise ValueError(f"runtime must be >= 0, got {self.runtime}")
