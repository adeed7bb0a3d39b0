"""A genetic algorithm on activity lists for single-mode makespan problems, compiled by numba.

For the single-mode resource-constrained project scheduling problem the best upper bounds
in a few seconds come from metaheuristics on activity lists, not from a solver: CP-SAT
with two workers proves small instances but its incumbents on 120-task instances stay
several per cent above the best known. This is Hartmann's genetic algorithm (1998) with
the justification of Valls, Ballestín and Quintanilla (2005) on every child:

* an **individual** is an activity list, a precedence-feasible order of the tasks; the
  serial schedule-generation scheme decodes it (each task in turn at the earliest time its
  predecessors and the resources allow, over a time-indexed capacity profile, so capacity
  changes and releases are respected) and its **fitness** is the makespan;
* every decoded schedule is **justified**: right (tasks in order of decreasing end, each as
  late as it goes without passing the makespan), then left (in order of increasing start,
  each as early as it goes), repeated while the makespan shrinks. Neither pass can lengthen
  the schedule, because each task's old place stays free for it. The individual then takes
  the order of the justified starts, so what a child inherits is the improved schedule;
* **two-point crossover** (Hartmann's: the head from the mother, the middle in the
  father's relative order, the tail in the mother's) and a **mutation** that swaps
  neighbours not linked by a precedence, and a shift of one task to a random place
  between its last predecessor and first successor, all keep lists precedence-feasible;
* **survival**: parents and children together, the best distinct ones (by makespan, then
  schedule) stay, children first among equals;
* **restarts**: a population without a better makespan for :data:`STALE` generations
  keeps its two best lists and the best list of all islands and is refilled with
  regret-biased random lists (latest-finish priorities), themselves justified. Small
  populations that restart often found better schedules, for the same number of
  schedules, than large ones that converge once.

With ``islands`` > 1 several populations evolve in threads at once (the compiled code runs
without the GIL); they meet only when one restarts.
Random numbers come from a splitmix64 generator per island carried in an array, so a run
is repeatable for a given ``seed`` and number of generations (a time limit stops it
wherever it has got to).

:func:`evolve` applies to problems :func:`applies` accepts: every task with one usable
mode, makespan as the first criterion, no deadline, fixed start, horizon or budget (which a
greedy list decoder could break). Everything else goes to CP-SAT alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import numpy as np

from safeground.planning.model import Objective, Precedence, Problem, Schedule
from safeground.planning.windows import (
    earliest_starts,
    latest_finishes,
    shortest_durations,
    usable_modes,
)

try:  # pragma: no cover - which branch runs depends on the machine
    import numba as _numba

    numba: ModuleType | None = _numba
except ImportError:  # pragma: no cover
    numba = None

Array = np.ndarray[Any, Any]

#: Whether the kernels are compiled (numba installed) or run as plain Python.
COMPILED = numba is not None

#: The probability that a child has one task moved elsewhere in its list.
SHIFT_RATE = 1.0

#: Generations without a better makespan after which an island starts afresh.
STALE = 30

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _next(state: Array) -> Any:
    """The next 64 random bits of the splitmix64 generator whose state is ``state[0]``."""
    z = state[0] + _GOLDEN
    state[0] = z
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def _below(state: Array, k: int) -> int:
    """A random integer in ``0 .. k-1``."""
    return int(np.int64(_next(state) % np.uint64(k)))


def _uniform(state: Array) -> float:
    """A random float in [0, 1)."""
    return float(_next(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


def _forward(
    order: Array,
    dur: Array,
    dem: Array,
    cap: Array,
    free: Array,
    release: Array,
    pred_ptr: Array,
    pred_idx: Array,
    pred_lag: Array,
    start: Array,
    end: Array,
) -> int:
    """Serial SGS: each task of ``order`` at its earliest feasible start; the makespan,
    or -1 if a task does not fit before the end of ``cap``. ``free`` equals ``cap`` on
    entry and on return."""
    n = order.shape[0]
    resources, horizon = cap.shape
    span = 0
    failed = False
    for p in range(n):
        j = order[p]
        es = release[j]
        for e in range(pred_ptr[j], pred_ptr[j + 1]):
            t = end[pred_idx[e]] + pred_lag[e]
            if t > es:
                es = t
        d = dur[j]
        t = es
        if d > 0:
            while True:
                if t + d > horizon:
                    failed = True
                    break
                clash = -1
                for tt in range(t + d - 1, t - 1, -1):
                    for r in range(resources):
                        if free[r, tt] < dem[j, r]:
                            clash = tt
                            break
                    if clash >= 0:
                        break
                if clash < 0:
                    break
                t = clash + 1
            if failed:
                break
            for tt in range(t, t + d):
                for r in range(resources):
                    free[r, tt] -= dem[j, r]
        start[j] = t
        end[j] = t + d
        if t + d > span:
            span = t + d
    top = horizon if failed else span
    for r in range(resources):
        for tt in range(top):
            free[r, tt] = cap[r, tt]
    return -1 if failed else span


def _backward(
    span: int,
    start: Array,
    end: Array,
    dur: Array,
    dem: Array,
    cap: Array,
    free: Array,
    release: Array,
    succ_ptr: Array,
    succ_idx: Array,
    succ_lag: Array,
    topo_pos: Array,
    late: Array,
) -> bool:
    """Right justification of a feasible schedule ending at ``span``: in order of decreasing
    end, each task as late as it goes; the starts go to ``late``. Each task's old place
    is always free for it, so this fails (False) only on a broken input."""
    n = start.shape[0]
    resources = cap.shape[0]
    keys = np.empty(n, dtype=np.int64)
    for j in range(n):
        keys[j] = end[j] * (n + 1) + topo_pos[j]
    order = np.argsort(keys)
    ok = True
    for p in range(n - 1, -1, -1):
        j = order[p]
        lf = span
        for e in range(succ_ptr[j], succ_ptr[j + 1]):
            v = late[succ_idx[e]] - succ_lag[e]
            if v < lf:
                lf = v
        d = dur[j]
        t = lf - d
        if d > 0:
            while True:
                if t < release[j] or t < 0:
                    ok = False
                    break
                clash = -1
                for tt in range(t, t + d):
                    for r in range(resources):
                        if free[r, tt] < dem[j, r]:
                            clash = tt
                            break
                    if clash >= 0:
                        break
                if clash < 0:
                    break
                t = clash - d
            if not ok:
                break
            for tt in range(t, t + d):
                for r in range(resources):
                    free[r, tt] -= dem[j, r]
        late[j] = t
    for r in range(resources):
        for tt in range(span):
            free[r, tt] = cap[r, tt]
    return ok


def _decode(
    order: Array,
    dur: Array,
    dem: Array,
    cap: Array,
    free: Array,
    release: Array,
    pred_ptr: Array,
    pred_idx: Array,
    pred_lag: Array,
    succ_ptr: Array,
    succ_idx: Array,
    succ_lag: Array,
    topo_pos: Array,
    start: Array,
    end: Array,
    late: Array,
) -> int:
    """Decode ``order``, justify the schedule while the makespan shrinks, and rewrite
    ``order`` as the order of the final starts; the makespan (-1: no fit)."""
    n = order.shape[0]
    span = _forward(order, dur, dem, cap, free, release, pred_ptr, pred_idx, pred_lag, start, end)
    if span < 0:
        return -1
    keys = np.empty(n, dtype=np.int64)
    trial = np.empty(n, dtype=np.int64)
    for _ in range(8):
        if not _backward(
            span,
            start,
            end,
            dur,
            dem,
            cap,
            free,
            release,
            succ_ptr,
            succ_idx,
            succ_lag,
            topo_pos,
            late,
        ):
            break
        for j in range(n):
            keys[j] = late[j] * (n + 1) + topo_pos[j]
        trial[:] = np.argsort(keys)
        new_start = np.empty(n, dtype=np.int64)
        new_end = np.empty(n, dtype=np.int64)
        got = _forward(
            trial, dur, dem, cap, free, release, pred_ptr, pred_idx, pred_lag, new_start, new_end
        )
        if got < 0 or got > span:
            break
        start[:] = new_start
        end[:] = new_end
        improved = got < span
        span = got
        if not improved:
            break
    for j in range(n):
        keys[j] = start[j] * (n + 1) + topo_pos[j]
    order[:] = np.argsort(keys)
    return span


def _biased_list(
    lft: Array,
    pred_ptr: Array,
    succ_ptr: Array,
    succ_idx: Array,
    state: Array,
    alpha: float,
    out: Array,
) -> None:
    """Regret-biased random sampling: an eligible task is drawn with probability
    proportional to (largest latest finish among the eligible - its own + 1) ** alpha."""
    n = lft.shape[0]
    waiting = np.empty(n, dtype=np.int64)
    eligible = np.empty(n, dtype=np.int64)
    weights = np.empty(n, dtype=np.float64)
    count = 0
    for j in range(n):
        waiting[j] = pred_ptr[j + 1] - pred_ptr[j]
        if waiting[j] == 0:
            eligible[count] = j
            count += 1
    for p in range(n):
        worst = lft[eligible[0]]
        for q in range(1, count):
            if lft[eligible[q]] > worst:
                worst = lft[eligible[q]]
        total = 0.0
        for q in range(count):
            weights[q] = (worst - lft[eligible[q]] + 1.0) ** alpha
            total += weights[q]
        pick = _uniform(state) * total
        chosen = count - 1
        for q in range(count):
            pick -= weights[q]
            if pick < 0.0:
                chosen = q
                break
        i = eligible[chosen]
        eligible[chosen] = eligible[count - 1]
        count -= 1
        out[p] = i
        for e in range(succ_ptr[i], succ_ptr[i + 1]):
            k = succ_idx[e]
            waiting[k] -= 1
            if waiting[k] == 0:
                eligible[count] = k
                count += 1


def _crossover(mother: Array, father: Array, q1: int, q2: int, taken: Array, child: Array) -> None:
    """Hartmann's two-point crossover: positions before ``q1`` from the mother, up to
    ``q2`` the father's remaining tasks in his order, the rest in the mother's order."""
    n = mother.shape[0]
    taken[:] = False
    p = 0
    for i in range(q1):
        child[p] = mother[i]
        taken[mother[i]] = True
        p += 1
    for i in range(n):
        if p >= q2:
            break
        if not taken[father[i]]:
            child[p] = father[i]
            taken[father[i]] = True
            p += 1
    for i in range(n):
        if not taken[mother[i]]:
            child[p] = mother[i]
            taken[mother[i]] = True
            p += 1


def _mutate(child: Array, rate: float, pred_ptr: Array, pred_idx: Array, state: Array) -> None:
    """Swap neighbours with probability ``rate`` each, unless the first precedes the second
    (a transitive precedence would put a task between them)."""
    n = child.shape[0]
    for i in range(n - 1):
        if _uniform(state) >= rate:
            continue
        a = child[i]
        b = child[i + 1]
        linked = False
        for e in range(pred_ptr[b], pred_ptr[b + 1]):
            if pred_idx[e] == a:
                linked = True
                break
        if not linked:
            child[i] = b
            child[i + 1] = a


def _shift(
    child: Array,
    pred_ptr: Array,
    pred_idx: Array,
    succ_ptr: Array,
    succ_idx: Array,
    state: Array,
    position: Array,
) -> None:
    """Move one random task to a random place between its last predecessor and its first
    successor in the list (so the list stays precedence-feasible)."""
    n = child.shape[0]
    for p in range(n):
        position[child[p]] = p
    p = _below(state, n)
    a = child[p]
    lo = 0
    for e in range(pred_ptr[a], pred_ptr[a + 1]):
        q = position[pred_idx[e]] + 1
        if q > lo:
            lo = q
    hi = n - 1
    for e in range(succ_ptr[a], succ_ptr[a + 1]):
        q = position[succ_idx[e]] - 1
        if q < hi:
            hi = q
    if hi <= lo:
        return
    target = lo + _below(state, hi - lo + 1)
    if target > p:
        for q in range(p, target):
            child[q] = child[q + 1]
    else:
        for q in range(p, target, -1):
            child[q] = child[q - 1]
    child[target] = a


def _list_hash(order: Array, salt: Array) -> Any:
    h = np.uint64(0)
    for p in range(order.shape[0]):
        h += np.uint64(order[p] + 1) * salt[p]
        h ^= h >> np.uint64(29)
    return h


def _generations(
    count: int,
    pop: Array,
    fit: Array,
    hashes: Array,
    state: Array,
    rate: float,
    dur: Array,
    dem: Array,
    cap: Array,
    release: Array,
    pred_ptr: Array,
    pred_idx: Array,
    pred_lag: Array,
    succ_ptr: Array,
    succ_idx: Array,
    succ_lag: Array,
    topo_pos: Array,
    salt: Array,
) -> int:
    """``count`` generations of the population ``pop`` (sorted by ``fit``, best first):
    children by tournament, crossover, mutation and justified decoding; the best distinct
    of parents and children survive. Returns the number of schedules generated."""
    size, n = pop.shape
    free = cap.copy()
    start = np.empty(n, dtype=np.int64)
    end = np.empty(n, dtype=np.int64)
    late = np.empty(n, dtype=np.int64)
    taken = np.zeros(n, dtype=np.bool_)
    position = np.empty(n, dtype=np.int64)
    kids = np.empty((size, n), dtype=np.int64)
    kid_fit = np.empty(size, dtype=np.int64)
    kid_hash = np.empty(size, dtype=np.uint64)
    all_pop = np.empty((2 * size, n), dtype=np.int64)
    all_fit = np.empty(2 * size, dtype=np.int64)
    all_hash = np.empty(2 * size, dtype=np.uint64)
    big = np.int64(1) << np.int64(60)
    decoded = 0
    for _ in range(count):
        c = 0
        while c < size:
            # binary tournaments on a population sorted best first
            a = min(_below(state, size), _below(state, size))
            b = min(_below(state, size), _below(state, size))
            if b == a:
                b = (a + 1 + _below(state, size - 1)) % size if size > 1 else a
            q1 = _below(state, n + 1)
            q2 = _below(state, n + 1)
            if q1 > q2:
                q1, q2 = q2, q1
            for side in range(2):
                if c >= size:
                    break
                if side == 0:
                    _crossover(pop[a], pop[b], q1, q2, taken, kids[c])
                else:
                    _crossover(pop[b], pop[a], q1, q2, taken, kids[c])
                _mutate(kids[c], rate, pred_ptr, pred_idx, state)
                if _uniform(state) < SHIFT_RATE:
                    _shift(kids[c], pred_ptr, pred_idx, succ_ptr, succ_idx, state, position)
                span = _decode(
                    kids[c],
                    dur,
                    dem,
                    cap,
                    free,
                    release,
                    pred_ptr,
                    pred_idx,
                    pred_lag,
                    succ_ptr,
                    succ_idx,
                    succ_lag,
                    topo_pos,
                    start,
                    end,
                    late,
                )
                decoded += 1
                kid_fit[c] = span if span >= 0 else big
                kid_hash[c] = _list_hash(kids[c], salt)
                c += 1
        # survival: children first among equals, so that the population drifts
        all_pop[:size] = kids
        all_fit[:size] = kid_fit
        all_hash[:size] = kid_hash
        all_pop[size:] = pop
        all_fit[size:] = fit
        all_hash[size:] = hashes
        ranked = np.argsort(all_fit, kind="mergesort")
        kept = 0
        spare = np.empty(2 * size, dtype=np.int64)
        spares = 0
        for idx in range(2 * size):
            i = ranked[idx]
            duplicate = False
            for q in range(kept):
                if fit[q] == all_fit[i] and hashes[q] == all_hash[i]:
                    duplicate = True
                    break
            if duplicate or kept >= size:
                spare[spares] = i
                spares += 1
                continue
            pop[kept] = all_pop[i]
            fit[kept] = all_fit[i]
            hashes[kept] = all_hash[i]
            kept += 1
        s = 0
        while kept < size:
            i = spare[s]
            s += 1
            pop[kept] = all_pop[i]
            fit[kept] = all_fit[i]
            hashes[kept] = all_hash[i]
            kept += 1
    return decoded


def _jit(function: Callable[..., Any]) -> Any:
    """``function`` compiled by numba, its machine code cached beside this module so that
    only the first process pays the compilation (some seconds)."""
    assert numba is not None
    try:
        return numba.njit(nogil=True, cache=True)(function)
    except RuntimeError:  # pragma: no cover - a read-only install without a cache folder
        return numba.njit(nogil=True, cache=False)(function)


if numba is not None:  # pragma: no branch
    _next = _jit(_next)
    _below = _jit(_below)
    _uniform = _jit(_uniform)
    _forward = _jit(_forward)
    _backward = _jit(_backward)
    _decode = _jit(_decode)
    _biased_list = _jit(_biased_list)
    _crossover = _jit(_crossover)
    _mutate = _jit(_mutate)
    _list_hash = _jit(_list_hash)
    _shift = _jit(_shift)
    _generations = _jit(_generations)


def applies(problem: Problem) -> bool:
    """Whether :func:`evolve` can schedule ``problem``: one usable mode per task, makespan
    first, and no deadline, fixed start, horizon or budget."""
    if not problem.tasks or problem.objective.criteria[0] is not Objective.MAKESPAN:
        return False
    if problem.horizon is not None or problem.nonrenewable:
        return False
    if any(t.deadline is not None or t.fixed_start is not None for t in problem.tasks):
        return False
    return all(len(u) == 1 for u in usable_modes(problem))


def reversible(problem: Problem) -> bool:
    """Whether ``problem`` can be scheduled backwards (:func:`evolve` with ``backward``):
    no release and constant capacities, so that a schedule read from its end is one too."""
    return all(t.release == 0 for t in problem.tasks) and all(
        len(r.steps()) == 1 for r in problem.resources
    )


def _mirror(problem: Problem) -> Problem:
    """``problem`` with every precedence turned round (the same lag)."""
    turned = tuple(Precedence(p.after, p.before, p.lag) for p in problem.precedences)
    return replace(problem, precedences=turned)


def _flip(problem: Problem, schedule: Schedule) -> Schedule:
    """``schedule`` read from its end: a task ending ``d`` before the makespan starts at
    ``d``. A schedule of ``problem`` becomes one of its mirror and back, same makespan."""
    span = schedule.makespan(problem)
    ends = schedule.ends(problem)
    return Schedule({name: span - end for name, end in ends.items()}, dict(schedule.modes))


@dataclass(frozen=True)
class GeneticResult:
    """The best schedule found, its makespan, and what the search cost."""

    schedule: Schedule
    makespan: int
    generations: int
    schedules: int
    runtime: float


class _Arrays:
    """The problem as the kernels' arrays."""

    def __init__(self, problem: Problem) -> None:
        usable = usable_modes(problem)
        n = len(problem.tasks)
        self.n = n
        self.modes = [u[0] for u in usable]
        modes = [t.modes[k] for t, k in zip(problem.tasks, self.modes, strict=True)]
        self.dur = np.array([m.duration for m in modes], dtype=np.int64)
        resources = problem.resources
        self.dem = np.zeros((n, max(1, len(resources))), dtype=np.int64)
        for j, m in enumerate(modes):
            for name, q in m.demands.items():
                if name in problem.resource_index:
                    self.dem[j, problem.resource_index[name]] = q
        self.release = np.array([t.release for t in problem.tasks], dtype=np.int64)
        lags = sum(lag for preds in problem.predecessors for _, lag in preds)
        base = max([0, *(t.release for t in problem.tasks), *(r.last_change for r in resources)])
        horizon = base + int(self.dur.sum()) + lags + 1
        self.cap = np.zeros((self.dem.shape[1], horizon), dtype=np.int64)
        for r, resource in enumerate(resources):
            steps = resource.steps()
            for s, (when, capacity) in enumerate(steps):
                until = steps[s + 1][0] if s + 1 < len(steps) else horizon
                self.cap[r, min(when, horizon) : min(until, horizon)] = capacity
        self.pred_ptr, self.pred_idx, self.pred_lag = _csr(problem.predecessors)
        self.succ_ptr, self.succ_idx, self.succ_lag = _csr(problem.successors)
        self.topo_pos = np.empty(n, dtype=np.int64)
        for pos, j in enumerate(problem.topological_order):
            self.topo_pos[j] = pos
        durations = shortest_durations(problem, usable)
        est = earliest_starts(problem, durations).start
        length = max((est[j] + durations[j] for j in range(n)), default=1)
        self.lft = np.array(latest_finishes(problem, durations, max(1, length)), dtype=np.float64)

    def decode(self, order: Array) -> tuple[int, Array]:
        """The justified makespan of ``order`` (rewritten to its start order) and starts."""
        start = np.empty(self.n, dtype=np.int64)
        span = _decode(
            order,
            self.dur,
            self.dem,
            self.cap,
            self.cap.copy(),
            self.release,
            self.pred_ptr,
            self.pred_idx,
            self.pred_lag,
            self.succ_ptr,
            self.succ_idx,
            self.succ_lag,
            self.topo_pos,
            start,
            np.empty(self.n, dtype=np.int64),
            np.empty(self.n, dtype=np.int64),
        )
        return span, start


def _csr(lists: tuple[tuple[tuple[int, int], ...], ...]) -> tuple[Array, Array, Array]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    for j, items in enumerate(lists):
        ptr[j + 1] = ptr[j] + len(items)
    idx = np.array([i for items in lists for i, _ in items], dtype=np.int64)
    lag = np.array([lag for items in lists for _, lag in items], dtype=np.int64)
    return ptr, idx, lag


class _Island:
    """One population, sorted best first, with its own random generator."""

    def __init__(self, arrays: _Arrays, size: int, seed: int, seeds: list[Array]) -> None:
        self.a = arrays
        n = arrays.n
        self.state = np.array([(seed * 0x2545F4914F6CDD1D + 1) % 2**64], dtype=np.uint64)
        salt_state = np.array([0x5EED], dtype=np.uint64)
        self.salt = np.array([_next(salt_state) | np.uint64(1) for _ in range(n)], dtype=np.uint64)
        self.pop = np.empty((size, n), dtype=np.int64)
        self.fit = np.empty(size, dtype=np.int64)
        self.hashes = np.empty(size, dtype=np.uint64)
        self.schedules = 0
        self.stale = 0
        for i in range(size):
            if i < len(seeds):
                self.pop[i] = seeds[i]
            else:
                self.fresh(i)
            self.evaluate(i)
        self.sort()
        self.best = int(self.fit[0])

    def fresh(self, i: int) -> None:
        a = self.a
        alpha = (1.0, 2.0, 4.0)[_below(self.state, 3)]
        _biased_list(a.lft, a.pred_ptr, a.succ_ptr, a.succ_idx, self.state, alpha, self.pop[i])

    def evaluate(self, i: int) -> None:
        span, _ = self.a.decode(self.pop[i])
        self.schedules += 1
        self.fit[i] = span if span >= 0 else np.int64(1) << np.int64(60)
        self.hashes[i] = _list_hash(self.pop[i], self.salt)

    def sort(self) -> None:
        order = np.argsort(self.fit, kind="stable")
        self.pop[:] = self.pop[order]
        self.fit[:] = self.fit[order]
        self.hashes[:] = self.hashes[order]

    def run(self, generations: int, rate: float) -> None:
        a = self.a
        self.schedules += _generations(
            generations,
            self.pop,
            self.fit,
            self.hashes,
            self.state,
            rate,
            a.dur,
            a.dem,
            a.cap,
            a.release,
            a.pred_ptr,
            a.pred_idx,
            a.pred_lag,
            a.succ_ptr,
            a.succ_idx,
            a.succ_lag,
            a.topo_pos,
            self.salt,
        )

    def restart(self, keep: int) -> None:
        """Keep the ``keep`` best lists, refill the rest with fresh random ones."""
        for i in range(keep, self.pop.shape[0]):
            self.fresh(i)
            self.evaluate(i)
        self.sort()

    def receive(self, order: Array) -> None:
        """Put a migrant list in place of the worst."""
        last = self.pop.shape[0] - 1
        self.pop[last] = order
        self.evaluate(last)
        self.sort()


def evolve(
    problem: Problem,
    *,
    time_limit: float,
    seed: int = 0,
    islands: int = 1,
    lower_bound: int = 0,
    population: int | None = None,
    generations: int | None = None,
    initial: Schedule | None = None,
    backward: bool = False,
) -> GeneticResult:
    """The best schedule the genetic algorithm finds within about ``time_limit`` seconds
    (and ``generations``, if given), stopping early at ``lower_bound``.

    ``islands`` populations evolve in as many threads; ``initial`` (a valid schedule) seeds
    them with its order of starts. With ``backward`` the lists schedule the project from
    its end (the mirrored problem, every precedence turned round), a different search
    space in which some instances have their best schedules much nearer; it needs
    :func:`reversible`. Raises ValueError if :func:`applies` (or, backward,
    :func:`reversible`) refuses ``problem``. The schedule is feasible by construction;
    callers check it all the same.
    """
    if not applies(problem):
        raise ValueError(
            "the genetic algorithm needs one mode per task, makespan first, and no deadline, "
            "fixed start, horizon or budget"
        )
    if backward:
        if not reversible(problem):
            raise ValueError("scheduling backwards needs no release and constant capacities")
        mirror = _mirror(problem)
        found = evolve(
            mirror,
            time_limit=time_limit,
            seed=seed,
            islands=islands,
            lower_bound=lower_bound,
            population=population,
            generations=generations,
            initial=None if initial is None else _flip(problem, initial),
        )
        return replace(found, schedule=_flip(mirror, found.schedule))
    began = time.perf_counter()
    deadline = began + time_limit
    arrays = _Arrays(problem)
    n = arrays.n
    size = population if population is not None else max(16, min(32, n))
    seeds: list[Array] = []
    lft_order = np.argsort(arrays.lft * (n + 1) + arrays.topo_pos, kind="stable")
    seeds.append(_respect_precedences(arrays, lft_order))
    if initial is not None:
        keys = [initial.starts[t.name] * (n + 1) for t in problem.tasks]
        by_start = np.argsort(np.array(keys, dtype=np.int64) + arrays.topo_pos, kind="stable")
        seeds.append(by_start.astype(np.int64))
    count = max(1, islands)
    pool = [_Island(arrays, size, seed * 1000 + k, seeds) for k in range(count)]
    done = 0
    chunk = 2
    best = min(int(island.fit[0]) for island in pool)
    executor = ThreadPoolExecutor(max_workers=count) if count > 1 else None
    try:
        while best > lower_bound and time.perf_counter() < deadline:
            if generations is not None and done >= generations:
                break
            tick = time.perf_counter()
            if executor is None:
                pool[0].run(chunk, 0.05)
            else:
                futures = [executor.submit(island.run, chunk, 0.05) for island in pool]
                for future in futures:
                    future.result()
            done += chunk
            leader = min(pool, key=lambda island: int(island.fit[0]))
            best = int(leader.fit[0])
            for island in pool:
                if island.fit[0] < island.best:
                    island.best, island.stale = int(island.fit[0]), 0
                    continue
                island.stale += chunk
                if island.stale >= STALE:
                    # a population that has stopped improving starts afresh around its
                    # best list and the best of all islands
                    migrant = leader.pop[0].copy()
                    island.restart(2)
                    if island is not leader:
                        island.receive(migrant)
                    island.best, island.stale = int(island.fit[0]), 0
            # chunks of about a tenth of a second keep the time limit honest
            spent = time.perf_counter() - tick
            if spent < 0.05 and chunk < 64:
                chunk *= 2
            elif spent > 0.2 and chunk > 1:
                chunk //= 2
    finally:
        if executor is not None:
            executor.shutdown()
    winner = min(pool, key=lambda island: int(island.fit[0]))
    order = winner.pop[0].copy()
    span, start = arrays.decode(order)
    names = [t.name for t in problem.tasks]
    schedule = Schedule(
        {name: int(s) for name, s in zip(names, start, strict=True)},
        dict(zip(names, arrays.modes, strict=True)),
    )
    return GeneticResult(
        schedule,
        int(span),
        done,
        sum(island.schedules for island in pool),
        time.perf_counter() - began,
    )


def _respect_precedences(arrays: _Arrays, order: Array) -> Array:
    """``order`` made precedence-feasible: each task once all its predecessors are in."""
    n = arrays.n
    waiting = np.diff(arrays.pred_ptr).copy()
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    import heapq

    heap = [(int(rank[j]), j) for j in range(n) if waiting[j] == 0]
    heapq.heapify(heap)
    out = np.empty(n, dtype=np.int64)
    p = 0
    while heap:
        _, i = heapq.heappop(heap)
        out[p] = i
        p += 1
        for e in range(arrays.succ_ptr[i], arrays.succ_ptr[i + 1]):
            k = int(arrays.succ_idx[e])
            waiting[k] -= 1
            if waiting[k] == 0:
                heapq.heappush(heap, (int(rank[k]), k))
    return out
