"""Fast schedules without a solver: the serial schedule-generation scheme and friends.

:func:`serial_sgs` takes the tasks one by one in a precedence-feasible order set by a
:class:`PriorityRule` and starts each at the earliest period where its predecessors are
done and its resources are free for its whole duration, in the mode a :class:`ModeRule`
picks. :func:`justify` is forward-backward improvement (Valls et al., 2005): shift every
task as late as it goes, in order of decreasing end, then as early as it goes, in order of
increasing start; the makespan never grows and often shrinks. :func:`heuristic_schedule`
runs a portfolio of rules, then regret-biased random sampling, until its time is up, and
keeps the best schedule for the problem's objective. It is the solver's warm start.

Capacity over time is kept per resource as a numpy array of free units per period, so
finding a start is a few vectorised operations however long the horizon. Nonrenewable
budgets are respected by reserving, for every task, a mode that keeps the totals within
budget, and allowing another mode only while the budget slack covers the difference.

A run may fail (return ``None``): a deadline or fixed start that the greedy order cannot
meet, or budgets no greedy mode choice satisfies. The solver then searches on its own.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from safeground.planning.model import Objective, Problem, Schedule, priority_order
from safeground.planning.windows import (
    earliest_starts,
    latest_finishes,
    shortest_durations,
    usable_modes,
)

Array = np.ndarray[Any, Any]
_FAR = 2**62


class PriorityRule(StrEnum):
    LFT = "lft"  # latest finish time first
    LST = "lst"  # latest start time first
    MTS = "mts"  # most total (transitive) successors first
    GRPW = "grpw"  # greatest rank positional weight: own + direct successors' durations
    WSPT = "wspt"  # heaviest weight downstream first (for weighted completion)
    RANDOM = "random"  # regret-biased random sampling on latest finish times


class ModeRule(StrEnum):
    EARLIEST_FINISH = "earliest-finish"  # try every mode, keep the one that ends first
    SHORTEST = "shortest"  # the shortest mode that fits its limits
    LEAST_RESOURCE = "least-resource"  # the mode with the least work on resources


@dataclass(frozen=True)
class HeuristicResult:
    """The best schedule found (or None), the recipe that found it, and what it cost."""

    schedule: Schedule | None
    label: str
    runs: int
    runtime: float


class _Compiled:
    """The problem as flat lists indexed by task and mode, for the inner loops."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        n = len(problem.tasks)
        self.n = n
        res_index = problem.resource_index
        budgets = list(problem.nonrenewable)
        self.budgets = [problem.nonrenewable[b] for b in budgets]
        peak = [max(r.max_capacity, 1) for r in problem.resources]
        self.dur: list[list[int]] = []
        self.dem: list[list[list[tuple[int, int]]]] = []
        self.cons: list[list[tuple[int, ...]]] = []
        self.energy: list[list[float]] = []
        for task in problem.tasks:
            self.dur.append([m.duration for m in task.modes])
            self.dem.append(
                [
                    [(res_index[r], q) for r, q in m.demands.items() if q > 0 and r in res_index]
                    for m in task.modes
                ]
            )
            self.cons.append([tuple(m.demands.get(b, 0) for b in budgets) for m in task.modes])
            self.energy.append(
                [
                    m.duration * sum(q / peak[r] for r, q in dem)
                    for m, dem in zip(task.modes, self.dem[-1], strict=True)
                ]
            )
        self.usable = [list(u) for u in usable_modes(problem)]
        self.weight = [t.weight for t in problem.tasks]
        self.preds = [list(p) for p in problem.predecessors]
        self.succs = [list(s) for s in problem.successors]
        self.topo = list(problem.topological_order)
        self.topo_pos = [0] * n
        for pos, j in enumerate(self.topo):
            self.topo_pos[j] = pos
        self.release = [t.release for t in problem.tasks]
        self.fixed_start = [t.fixed_start for t in problem.tasks]
        self.fixed_mode = [t.fixed_mode for t in problem.tasks]
        self.dmin = shortest_durations(problem, self.usable)
        early = earliest_starts(problem, self.dmin)
        self.est = early.start
        # hard limits: deadlines, the horizon and fixed successors, propagated backwards
        self.hard_lf = latest_finishes(problem, self.dmin, problem.horizon)
        self.cp_length = max((self.est[j] + self.dmin[j] for j in range(n)), default=0)
        self.steps = [r.steps() for r in problem.resources]
        self.lft = latest_finishes(problem, self.dmin, max(self.cp_length, 1))
        self.criteria = problem.objective.criteria

    def key(self, starts: Sequence[int], modes: Sequence[int]) -> tuple[float, ...]:
        ends = [starts[j] + self.dur[j][modes[j]] for j in range(self.n)]
        out: list[float] = []
        for c in self.criteria:
            if c is Objective.MAKESPAN:
                out.append(float(max(ends, default=0)))
            else:
                out.append(math.fsum(w * e for w, e in zip(self.weight, ends, strict=True)))
        return tuple(out)

    def schedule(self, starts: Sequence[int], modes: Sequence[int]) -> Schedule:
        names = [t.name for t in self.problem.tasks]
        return Schedule(dict(zip(names, starts, strict=True)), dict(zip(names, modes, strict=True)))


class _Timeline:
    """Free units per resource and period; beyond ``limit[r]`` the capacity is ``tail[r]``."""

    def __init__(self, arrays: list[Array], tail: list[int], limit: list[int]) -> None:
        self.free = arrays
        self.tail = tail
        self.limit = limit

    @classmethod
    def forward(cls, steps: list[list[tuple[int, int]]], length: int) -> _Timeline:
        arrays, tail, limit = [], [], []
        for s in steps:
            length = max(length, s[-1][0] + 1)
        for s in steps:
            arr = np.empty(length, dtype=np.int64)
            for k, (when, capacity) in enumerate(s):
                until = s[k + 1][0] if k + 1 < len(s) else length
                arr[when:until] = capacity
            arrays.append(arr)
            tail.append(s[-1][1])
            limit.append(s[-1][0])
        return cls(arrays, tail, limit)

    @classmethod
    def mirrored(cls, steps: list[list[tuple[int, int]]], horizon: int) -> _Timeline:
        """Time runs backwards from ``horizon``: period t' is period ``horizon - 1 - t'``."""
        ahead = cls.forward(steps, horizon)
        arrays = [a[:horizon][::-1].copy() for a in ahead.free]
        return cls(arrays, [0] * len(steps), [horizon] * len(steps))

    def _ensure(self, length: int) -> None:
        if not self.free or length <= len(self.free[0]):
            return
        grow = max(length, 2 * len(self.free[0]))
        for r, arr in enumerate(self.free):
            extra = np.full(grow - len(arr), self.tail[r], dtype=np.int64)
            self.free[r] = np.concatenate([arr, extra])

    def earliest_fit(
        self, es: int, d: int, dem: Sequence[tuple[int, int]], latest: int = _FAR
    ) -> int | None:
        """The earliest start in ``es .. latest`` with ``dem`` free for ``d`` periods."""
        if d == 0 or not dem:
            return es if es <= latest else None
        cutoff = latest
        for r, q in dem:
            if q > self.tail[r]:
                cutoff = min(cutoff, self.limit[r] - d)
        span = max(4 * d, 128)
        while es <= cutoff:
            stop = min(es + span, cutoff + 1)  # candidate starts: es .. stop - 1
            end = stop - 1 + d
            self._ensure(end)
            r, q = dem[0]
            bad = self.free[r][es:end] < q
            for r, q in dem[1:]:
                bad |= self.free[r][es:end] < q
            bads = bad.nonzero()[0]
            if bads.size == 0 or bads[0] >= d:
                return es
            # a run of free periods between two bad ones, long enough for the task
            runs = ((bads[1:] - bads[:-1]) > d).nonzero()[0]
            if runs.size:
                return es + int(bads[runs[0]]) + 1
            last = int(bads[-1]) + 1
            if end - es - last >= d:
                return es + last
            es += last
            span *= 4
        return None

    def reserve(self, t: int, d: int, dem: Sequence[tuple[int, int]]) -> None:
        if d == 0:
            return
        self._ensure(t + d)
        for r, q in dem:
            self.free[r][t : t + d] -= q

    def fits_at(self, t: int, d: int, dem: Sequence[tuple[int, int]]) -> bool:
        if d == 0:
            return True
        self._ensure(t + d)
        return all(int(self.free[r][t : t + d].min()) >= q for r, q in dem)


@dataclass
class _Direction:
    """One direction of time: the constraints a serial pass must meet, in its own clock."""

    preds: list[list[tuple[int, int]]]
    lo: list[int]  # earliest start
    hard_end: list[int]  # latest end
    fixed: list[int | None]  # fixed start in this clock
    timeline: _Timeline


ModeChooser = Callable[[int, int, _Timeline], tuple[int, int] | None]


def _run(
    c: _Compiled,
    order: Sequence[int],
    way: _Direction,
    choose: ModeChooser,
    fixed_modes: Sequence[int | None],
) -> tuple[list[int], list[int]] | None:
    """One serial pass. ``choose(j, es, timeline)`` returns (start, mode) or None."""
    n = c.n
    start = [-1] * n
    mode = [-1] * n
    end = [0] * n
    tl = way.timeline
    for j in range(n):
        fs = way.fixed[j]
        if fs is None:
            continue
        m = fixed_modes[j]
        if m is None:
            m = next(
                (
                    k
                    for k in sorted(c.usable[j], key=lambda k: c.dur[j][k])
                    if tl.fits_at(fs, c.dur[j][k], c.dem[j][k])
                ),
                None,
            )
            if m is None:
                return None
        d = c.dur[j][m]
        if not tl.fits_at(fs, d, c.dem[j][m]):
            return None
        tl.reserve(fs, d, c.dem[j][m])
        start[j], mode[j], end[j] = fs, m, fs + d
    for j in order:
        if start[j] >= 0:
            continue
        es = way.lo[j]
        for i, lag in way.preds[j]:
            if end[i] + lag > es:
                es = end[i] + lag
        picked = choose(j, es, tl)
        if picked is None:
            return None
        t, m = picked
        d = c.dur[j][m]
        tl.reserve(t, d, c.dem[j][m])
        start[j], mode[j], end[j] = t, m, t + d
    for j in range(n):
        if way.fixed[j] is not None:
            for i, lag in way.preds[j]:
                if end[i] + lag > start[j]:
                    return None
    return start, mode


def _budget_modes(c: _Compiled) -> list[int] | None:
    """A mode per task within every nonrenewable budget (greedy, then a repair), or None."""
    if not c.budgets:
        return [min(u, key=lambda k: (c.dur[j][k], k)) if u else 0 for j, u in enumerate(c.usable)]
    if any(not u for u in c.usable):
        return None
    scale = [1.0 / b if b > 0 else 1e9 for b in c.budgets]

    def load(j: int, k: int) -> float:
        return sum(x * s for x, s in zip(c.cons[j][k], scale, strict=True))

    chosen = [min(u, key=lambda k: (load(j, k), c.dur[j][k])) for j, u in enumerate(c.usable)]
    totals = [sum(c.cons[j][chosen[j]][b] for j in range(c.n)) for b in range(len(c.budgets))]
    for _ in range(4 * c.n):
        over = [b for b in range(len(c.budgets)) if totals[b] > c.budgets[b]]
        if not over:
            return chosen
        b = over[0]
        best: tuple[int, int, int] | None = None  # (gain, task, mode)
        for j in range(c.n):
            for k in c.usable[j]:
                gain = c.cons[j][chosen[j]][b] - c.cons[j][k][b]
                if gain <= 0 or (best is not None and gain <= best[0]):
                    continue
                if all(
                    totals[o] - c.cons[j][chosen[j]][o] + c.cons[j][k][o] <= c.budgets[o] or o == b
                    for o in range(len(c.budgets))
                ):
                    best = (gain, j, k)
        if best is None:
            return None
        _, j, k = best
        for o in range(len(c.budgets)):
            totals[o] += c.cons[j][k][o] - c.cons[j][chosen[j]][o]
        chosen[j] = k
    return None


def _chooser(c: _Compiled, rule: ModeRule, reserve: list[int], way: _Direction) -> ModeChooser:
    """Mode choice for forward generation, within the budget slack of the reserved modes."""
    slack_box = [
        c.budgets[b] - sum(c.cons[j][reserve[j]][b] for j in range(c.n))
        for b in range(len(c.budgets))
    ]
    n_budgets = len(c.budgets)

    def allowed(j: int, k: int) -> bool:
        if not n_budgets:
            return True
        base = c.cons[j][reserve[j]]
        return all(c.cons[j][k][b] - base[b] <= slack_box[b] for b in range(n_budgets))

    def commit(j: int, k: int) -> None:
        base = c.cons[j][reserve[j]]
        for b in range(n_budgets):
            slack_box[b] -= c.cons[j][k][b] - base[b]

    if rule is ModeRule.SHORTEST:

        def rank(j: int, k: int) -> tuple[float, float]:
            return (c.dur[j][k], c.energy[j][k])
    else:

        def rank(j: int, k: int) -> tuple[float, float]:
            return (c.energy[j][k], c.dur[j][k])

    def choose(j: int, es: int, tl: _Timeline) -> tuple[int, int] | None:
        candidates = [k for k in c.usable[j] if allowed(j, k)]
        if len(candidates) == 1 or rule is not ModeRule.EARLIEST_FINISH:
            for k in sorted(candidates, key=lambda k: rank(j, k)):
                t = tl.earliest_fit(es, c.dur[j][k], c.dem[j][k])
                if t is not None and t + c.dur[j][k] <= way.hard_end[j]:
                    commit(j, k)
                    return t, k
            return None
        best: tuple[int, float, int, int] | None = None
        for k in candidates:
            latest = _FAR if best is None else best[0] - c.dur[j][k]  # only a finish as early
            t = tl.earliest_fit(es, c.dur[j][k], c.dem[j][k], latest)
            if t is None or t + c.dur[j][k] > way.hard_end[j]:
                continue
            option = (t + c.dur[j][k], c.energy[j][k], k, t)
            if best is None or option < best:
                best = option
        if best is None:
            return None
        commit(j, best[2])
        return best[3], best[2]

    return choose


def _fixed_chooser(c: _Compiled, modes: Sequence[int], way: _Direction) -> ModeChooser:
    def choose(j: int, es: int, tl: _Timeline) -> tuple[int, int] | None:
        k = modes[j]
        t = tl.earliest_fit(es, c.dur[j][k], c.dem[j][k])
        if t is None or t + c.dur[j][k] > way.hard_end[j]:
            return None
        return t, k

    return choose


def _forward_direction(c: _Compiled) -> _Direction:
    length = max(64, 2 * c.cp_length + 1)
    for j, fs in enumerate(c.fixed_start):
        if fs is not None:
            length = max(length, fs + max(c.dur[j]) + 1)
    hard_end = [min(lf, _FAR) for lf in c.hard_lf]
    return _Direction(
        c.preds,
        list(c.release),
        hard_end,
        list(c.fixed_start),
        _Timeline.forward(c.steps, length),
    )


def _priorities(c: _Compiled, rule: PriorityRule) -> list[float]:
    if rule is PriorityRule.LFT or rule is PriorityRule.RANDOM:
        return [float(x) for x in c.lft]
    if rule is PriorityRule.LST:
        return [float(c.lft[j] - c.dmin[j]) for j in range(c.n)]
    if rule is PriorityRule.MTS:
        below = [0] * c.n
        for j in reversed(c.topo):
            bits = 0
            for k, _ in c.succs[j]:
                bits |= below[k] | (1 << k)
            below[j] = bits
        return [-float(b.bit_count()) for b in below]
    if rule is PriorityRule.GRPW:
        return [-float(c.dmin[j] + sum(c.dmin[k] for k, _ in c.succs[j])) for j in range(c.n)]
    heavy = [0.0] * c.n  # WSPT: the heaviest chain of weights from the task on
    for j in reversed(c.topo):
        heavy[j] = c.weight[j] + max((heavy[k] for k, _ in c.succs[j]), default=0.0)
    return [-heavy[j] / (c.dmin[j] + 1) for j in range(c.n)]


def _order(c: _Compiled, priority: Sequence[float]) -> list[int]:
    """A precedence-feasible order taking the best eligible task first (ties: lft, index)."""
    return priority_order(c.preds, c.succs, lambda j: (priority[j], c.lft[j]))


def _biased_order(c: _Compiled, rng: random.Random, alpha: float) -> list[int]:
    """Regret-biased random sampling: an eligible task is drawn with probability
    proportional to (largest LFT among the eligible - its LFT + 1) ** alpha."""
    waiting = [len(p) for p in c.preds]
    eligible = [j for j in range(c.n) if waiting[j] == 0]
    out: list[int] = []
    while eligible:
        worst = max(c.lft[j] for j in eligible)
        weights = [(worst - c.lft[j] + 1) ** alpha for j in eligible]
        pick = rng.choices(range(len(eligible)), weights=weights)[0]
        i = eligible[pick]
        eligible[pick] = eligible[-1]
        eligible.pop()
        out.append(i)
        for k, _ in c.succs[i]:
            waiting[k] -= 1
            if waiting[k] == 0:
                eligible.append(k)
    return out


def _generate(
    c: _Compiled, order: Sequence[int], mode_rule: ModeRule
) -> tuple[list[int], list[int]] | None:
    reserve = _budget_modes(c)
    if reserve is None:
        return None
    way = _forward_direction(c)
    return _run(c, order, way, _chooser(c, mode_rule, reserve, way), c.fixed_mode)


def _justify(
    c: _Compiled, starts: list[int], modes: list[int], deadline: float
) -> tuple[list[int], list[int]]:
    """Forward-backward improvement until the makespan stops shrinking or time is up."""
    best = (starts, modes)
    best_span = max(
        (s + c.dur[j][m] for j, (s, m) in enumerate(zip(starts, modes, strict=True))), default=0
    )
    while time.perf_counter() < deadline:
        starts, modes = best
        span = best_span
        ends = [starts[j] + c.dur[j][modes[j]] for j in range(c.n)]
        # backwards: time runs from the makespan down; successors become predecessors
        mirror_fixed: list[int | None] = [
            None if fs is None else span - ends[j] for j, fs in enumerate(c.fixed_start)
        ]
        back = _Direction(
            c.succs,
            [max(0, span - min(lf, span)) for lf in c.hard_lf],
            [span - e for e in c.est],
            mirror_fixed,
            _Timeline.mirrored(c.steps, span),
        )
        order = sorted(range(c.n), key=lambda j: (-ends[j], -c.topo_pos[j]))
        kept: list[int | None] = list(modes)  # fixed tasks keep the mode they have
        got = _run(c, order, back, _fixed_chooser(c, modes, back), kept)
        if got is None:
            break
        right = [span - got[0][j] - c.dur[j][modes[j]] for j in range(c.n)]
        ahead = _forward_direction(c)
        order = sorted(range(c.n), key=lambda j: (right[j], c.topo_pos[j]))
        got = _run(c, order, ahead, _fixed_chooser(c, modes, ahead), kept)
        if got is None:
            break
        new_span = max((got[0][j] + c.dur[j][modes[j]] for j in range(c.n)), default=0)
        if new_span >= best_span:
            if c.key(*got) < c.key(*best):
                best = got
            break
        best, best_span = got, new_span
    return best


def _left_shift(
    c: _Compiled, starts: list[int], modes: list[int]
) -> tuple[list[int], list[int]] | None:
    """One forward pass in order of the current starts: every task as early as it goes,
    none later than it was (the modes kept)."""
    ahead = _forward_direction(c)
    order = sorted(range(c.n), key=lambda j: (starts[j], c.topo_pos[j]))
    kept: list[int | None] = list(modes)
    return _run(c, order, ahead, _fixed_chooser(c, modes, ahead), kept)


def serial_sgs(
    problem: Problem,
    rule: PriorityRule = PriorityRule.LFT,
    mode_rule: ModeRule = ModeRule.EARLIEST_FINISH,
    *,
    seed: int = 0,
) -> Schedule | None:
    """One serial SGS pass with ``rule`` (RANDOM: biased sampling with ``seed``); None when
    the greedy pass cannot meet a deadline, a fixed start or the budgets."""
    c = _Compiled(problem)
    if rule is PriorityRule.RANDOM:
        order = _biased_order(c, random.Random(seed), 1.0)
    else:
        order = _order(c, _priorities(c, rule))
    got = _generate(c, order, mode_rule)
    return None if got is None else c.schedule(*got)


class Justifier:
    """Forward-backward improvement of many schedules of one problem (compiled once)."""

    def __init__(self, problem: Problem) -> None:
        self._c = _Compiled(problem)

    def improve(
        self, starts: list[int], modes: list[int], deadline: float
    ) -> tuple[list[int], list[int]]:
        """Starts and modes indexed like ``problem.tasks``; never worse in makespan."""
        return _justify(self._c, starts, modes, deadline)

    def left_shift(self, starts: list[int], modes: list[int]) -> tuple[list[int], list[int]]:
        """Every task as early as it goes in order of its current start; none moves later."""
        got = _left_shift(self._c, starts, modes)
        return (starts, modes) if got is None else got


def justify(problem: Problem, schedule: Schedule, *, time_limit: float = 1.0) -> Schedule:
    """Forward-backward improvement of a feasible ``schedule``: never worse in makespan."""
    c = _Compiled(problem)
    names = [t.name for t in problem.tasks]
    starts = [schedule.starts[n] for n in names]
    modes = [schedule.modes[n] for n in names]
    got = _justify(c, starts, modes, time.perf_counter() + time_limit)
    return c.schedule(*got)


def heuristic_schedule(
    problem: Problem, *, time_limit: float = 1.0, seed: int = 0
) -> HeuristicResult:
    """The best schedule of a portfolio of priority and mode rules, each improved by
    forward-backward justification, then random sampling while ``time_limit`` lasts.
    The first rule always runs to the end, whatever the time limit."""
    began = time.perf_counter()
    deadline = began + time_limit
    c = _Compiled(problem)
    rng = random.Random(seed)
    multi = any(len(u) > 1 for u in c.usable)
    rules = [PriorityRule.LFT, PriorityRule.LST, PriorityRule.MTS, PriorityRule.GRPW]
    if Objective.WEIGHTED_COMPLETION in c.criteria and any(w > 0 for w in c.weight):
        rules.insert(0 if c.criteria[0] is Objective.WEIGHTED_COMPLETION else 1, PriorityRule.WSPT)
    mode_rules = [ModeRule.EARLIEST_FINISH]
    if multi:
        mode_rules += [ModeRule.SHORTEST, ModeRule.LEAST_RESOURCE]
    plan: list[tuple[PriorityRule, ModeRule]] = [(r, mode_rules[0]) for r in rules]
    plan += [(PriorityRule.LFT, m) for m in mode_rules[1:]]
    best: tuple[tuple[float, ...], list[int], list[int], str] | None = None
    runs = 0

    def consider(got: tuple[list[int], list[int]] | None, label: str) -> None:
        nonlocal best, runs
        runs += 1
        if got is None:
            return
        k = c.key(*got)
        if best is None or k < best[0]:
            best = (k, got[0], got[1], label)
        improved = _justify(c, got[0], got[1], deadline)
        k2 = c.key(*improved)
        if best is None or k2 < best[0]:
            best = (k2, improved[0], improved[1], f"{label} + justification")

    for rule, mode_rule in plan:
        if runs and time.perf_counter() >= deadline:
            break
        consider(_generate(c, _order(c, _priorities(c, rule)), mode_rule), f"{rule}/{mode_rule}")
    while time.perf_counter() < deadline and c.n > 1:
        mode_rule = mode_rules[runs % len(mode_rules)]
        alpha = rng.choice((1.0, 2.0, 4.0))
        order = _biased_order(c, rng, alpha)
        consider(_generate(c, order, mode_rule), f"random/{mode_rule}")
    elapsed = time.perf_counter() - began
    if best is None:
        return HeuristicResult(None, "none", runs, elapsed)
    return HeuristicResult(c.schedule(best[1], best[2]), best[3], runs, elapsed)
