"""Large-neighbourhood search for problems too big for one CP-SAT model.

Start from a feasible schedule; repeatedly free a neighbourhood (the tasks starting in a
window of time, the tail of the schedule, or a random part of a wider window), keep every
other task where it is, and let CP-SAT re-schedule the freed tasks in a small model: the
kept tasks become bounds on the freed tasks' starts (through precedences) and capacity
already taken (a capacity profile of what they leave free). The small model minimises the
objective, the makespan counting at least the kept tasks' last end, then the sum of the
freed tasks' ends so that work drifts left and makes room for later moves. A result no
worse than the current schedule is accepted. The neighbourhood grows while CP-SAT proves
its small models optimal quickly and shrinks when it does not.

The small model is itself a :class:`Problem`, so it is built and checked by the same code
as any other.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from safeground.planning.model import Objective, Precedence, Problem, Resource, Schedule, Task

Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class LnsStats:
    iterations: int
    improvements: int
    final_size: int


class _State:
    def __init__(self, problem: Problem, schedule: Schedule) -> None:
        self.problem = problem
        tasks = problem.tasks
        self.n = len(tasks)
        self.start = [schedule.starts[t.name] for t in tasks]
        self.mode = [schedule.modes[t.name] for t in tasks]
        self.dur = [[m.duration for m in t.modes] for t in tasks]
        self.demand = [
            [
                [
                    (problem.resource_index[r], q)
                    for r, q in m.demands.items()
                    if q > 0 and r in problem.resource_index
                ]
                for m in t.modes
            ]
            for t in tasks
        ]
        self.weight = [t.weight for t in tasks]
        self.movable = [t.fixed_start is None for t in tasks]
        self.criteria = problem.objective.criteria
        length = max(self.makespan(), 1) * 2 + 1
        self.capacity: list[Array] = []
        self.used: list[Array] = []
        for r in problem.resources:
            cap = np.empty(length, dtype=np.int64)
            steps = r.steps()
            for s, (when, c) in enumerate(steps):
                until = steps[s + 1][0] if s + 1 < len(steps) else length
                cap[min(when, length) : min(until, length)] = c
            self.capacity.append(cap)
            self.used.append(np.zeros(length, dtype=np.int64))
        for j in range(self.n):
            self._use(j, +1)

    def end(self, j: int) -> int:
        return self.start[j] + self.dur[j][self.mode[j]]

    def makespan(self) -> int:
        return max((self.end(j) for j in range(self.n)), default=0)

    def key(self) -> tuple[float, ...]:
        ends = [self.end(j) for j in range(self.n)]
        out: list[float] = []
        for c in self.criteria:
            if c is Objective.MAKESPAN:
                out.append(float(max(ends, default=0)))
            else:
                out.append(sum(w * e for w, e in zip(self.weight, ends, strict=True)))
        out.append(float(sum(ends)))
        return tuple(out)

    def _use(self, j: int, sign: int) -> None:
        s, e = self.start[j], self.end(j)
        if self.capacity and e > len(self.capacity[0]):
            self.grow(e)
        for r, q in self.demand[j][self.mode[j]]:
            self.used[r][s:e] += sign * q

    def grow(self, length: int) -> None:
        new = max(length, 2 * len(self.capacity[0]))
        for r, res in enumerate(self.problem.resources):
            extra = new - len(self.capacity[r])
            self.capacity[r] = np.concatenate(
                [self.capacity[r], np.full(extra, res.final_capacity, dtype=np.int64)]
            )
            self.used[r] = np.concatenate([self.used[r], np.zeros(extra, dtype=np.int64)])

    def move(self, changes: dict[int, tuple[int, int]]) -> None:
        for j in changes:
            self._use(j, -1)
        for j, (s, m) in changes.items():
            self.start[j], self.mode[j] = s, m
        for j in changes:
            self._use(j, +1)

    def reset(self, starts: list[int], modes: list[int]) -> None:
        for j in range(self.n):
            self._use(j, -1)
        self.start, self.mode = list(starts), list(modes)
        for j in range(self.n):
            self._use(j, +1)

    def schedule(self) -> Schedule:
        names = [t.name for t in self.problem.tasks]
        return Schedule(
            dict(zip(names, self.start, strict=True)), dict(zip(names, self.mode, strict=True))
        )


def _neighbourhood(
    state: _State, size: int, rng: random.Random, cursor: list[int]
) -> tuple[list[int], int, int]:
    """Freed tasks and the window [a, b) they must stay in.

    Mostly consecutive tasks in order of start, the window sweeping from the start of the
    schedule to its end and over again by half a window at a time (``cursor`` holds the
    position), so that every part is compacted in turn; sometimes the tasks that end last,
    or a random half of a window twice as wide."""
    movable = [j for j in range(state.n) if state.movable[j]]
    movable.sort(key=lambda j: (state.start[j], j))
    size = min(size, len(movable))
    kind = rng.random()
    if kind < 0.7:
        first = cursor[0] if cursor[0] + size <= len(movable) else 0
        chosen = movable[first : first + size]
        cursor[0] = first + max(1, size // 2)
    elif kind < 0.85:
        chosen = sorted(movable, key=lambda j: -state.end(j))[:size]
    else:
        wide = min(len(movable), 2 * size)
        first = rng.randrange(0, len(movable) - wide + 1)
        chosen = rng.sample(movable[first : first + wide], size)
    a = min(state.start[j] for j in chosen)
    b = max(state.end(j) for j in chosen)
    pad = max(1, (b - a) // 4)
    return chosen, max(0, a - pad), b + pad


def _subproblem(
    state: _State, free: Sequence[int], a: int, b: int
) -> tuple[Problem, Schedule, int] | None:
    """The small problem over ``free`` in [a, b), its current schedule, and the kept tasks'
    last end (the makespan floor). None if the window holds no room to move."""
    problem = state.problem
    inside = set(free)
    tasks: list[Task] = []
    starts: dict[str, int] = {}
    modes: dict[str, int] = {}
    for j in free:
        task = problem.tasks[j]
        lo = max(task.release, a)
        hi = b
        if task.deadline is not None:
            hi = min(hi, task.deadline)
        if problem.horizon is not None:
            hi = min(hi, problem.horizon)
        for i, lag in problem.predecessors[j]:
            if i not in inside:
                lo = max(lo, state.end(i) + lag)
        for k, lag in problem.successors[j]:
            if k not in inside:
                hi = min(hi, state.start[k] - lag)
        tasks.append(Task(task.name, task.modes, task.weight, lo, hi, None, task.fixed_mode))
        starts[task.name] = state.start[j]
        modes[task.name] = state.mode[j]
    precedences = [
        Precedence(problem.tasks[i].name, problem.tasks[k].name, lag)
        for i in free
        for k, lag in problem.successors[i]
        if k in inside
    ]
    needed = {name for j in free for mode in problem.tasks[j].modes for name in mode.demands}
    resources: list[Resource] = []
    if problem.resources and b > len(state.capacity[0]):
        state.grow(b)
    for r, res in enumerate(problem.resources):
        if res.name not in needed:
            continue
        left = state.capacity[r][a:b] - state.used[r][a:b]
        for j in free:
            for rr, q in state.demand[j][state.mode[j]]:
                if rr == r:
                    left[state.start[j] - a : state.end(j) - a] += q
        changes = np.flatnonzero(np.diff(left)) + 1
        profile = tuple((a + int(t), int(left[t])) for t in changes)
        first = int(left[0]) if len(left) else 0
        resources.append(Resource(res.name, first, ((a, first), *profile)))
    budgets = dict(problem.nonrenewable)
    if budgets:
        for j in range(state.n):
            if j in inside:
                continue
            for name, q in problem.tasks[j].modes[state.mode[j]].demands.items():
                if name in budgets:
                    budgets[name] -= q
    floor = max((state.end(j) for j in range(state.n) if j not in inside), default=0)
    try:
        sub = Problem(
            tuple(tasks), tuple(resources), tuple(precedences), problem.objective, None, budgets
        )
    except ValueError:
        return None
    return sub, Schedule(starts, modes), floor


def improve(
    problem: Problem,
    schedule: Schedule,
    *,
    deadline: float,
    seed: int = 0,
    workers: int = 2,
    initial_size: int = 40,
    sub_time: float = 0.2,
) -> tuple[Schedule, LnsStats]:
    """Improve a feasible ``schedule`` until ``deadline`` (a ``time.perf_counter()`` value).

    Every few accepted moves, forward-backward justification of the whole schedule turns
    the room the moves made into a shorter makespan."""
    from safeground.planning.cpsat import solve_combined
    from safeground.planning.heuristics import Justifier

    rng = random.Random(seed)
    state = _State(problem, schedule)
    movable = sum(state.movable)
    if movable == 0:
        return schedule, LnsStats(0, 0, 0)
    justifier = Justifier(problem)
    size = max(2, min(initial_size, movable))
    cursor = [0]
    iterations = improvements = since_justified = rounds = 0
    justify_cost = 0.0
    current = state.key()
    while True:
        left = deadline - time.perf_counter()
        if left < 0.1:
            break
        if since_justified >= 4 and left > 3 * justify_cost + 0.2:
            began = time.perf_counter()
            before = (list(state.start), list(state.mode))
            if rounds % 4 == 3:
                deadline_here = min(deadline - 0.1, began + 5.0)
                starts, modes = justifier.improve(before[0], before[1], deadline_here)
            else:
                starts, modes = justifier.left_shift(before[0], before[1])
            rounds += 1
            since_justified = 0
            justify_cost = max(justify_cost, time.perf_counter() - began)
            state.reset(starts, modes)
            after = state.key()
            if after < current:
                improvements += after[0] < current[0]
                current = after
            else:
                state.reset(*before)
            continue
        iterations += 1
        free, a, b = _neighbourhood(state, size, rng, cursor)
        built = _subproblem(state, free, a, b)
        if built is None:
            continue
        sub, sub_schedule, floor = built
        limit = min(sub_time, left - 0.05 - 0.0005 * len(free))
        if limit < 0.02:
            break
        outcome = solve_combined(
            sub,
            horizon=b,
            time_limit=limit,
            workers=workers,
            seed=rng.randrange(2**31),
            incumbent=sub_schedule,
            makespan_floor=floor,
            compact=True,
        )
        if outcome.status == "OPTIMAL" and outcome.wall < 0.5 * limit:
            size = min(movable, int(size * 1.2) + 1)
        elif outcome.status != "OPTIMAL":
            size = max(2, int(size * 0.9))
        if outcome.schedule is None:
            continue
        names = [problem.tasks[j].name for j in free]
        changes = {
            j: (outcome.schedule.starts[name], outcome.schedule.modes[name])
            for j, name in zip(free, names, strict=True)
        }
        previous = {j: (state.start[j], state.mode[j]) for j in free}
        state.move(changes)
        after = state.key()
        if after <= current:
            if after < current:
                since_justified += 1
                improvements += after[0] < current[0]
            current = after
        else:
            state.move(previous)
    return state.schedule(), LnsStats(iterations, improvements, size)
