"""The inner loop of :func:`safeground.forecast.simulate`: every run of a plan under its draws.

Written in the subset of Python that numba compiles. With numba installed it is compiled
the first time it is called (some seconds; the machine code is then cached beside this
module, as Python caches bytecode) and spreads the runs over the machine's cores; without
numba the very same code runs as plain Python: the same results, a thousand times slower
(fine for tests of a few tasks, not for a region).

**Capacity model.** Each renewable resource is a pool of identical units (teams), each
with the time it is next free, kept sorted. A unit joins the pool at its arrival (the
plan's capacity profile, delayed by the run's ramp-up) and is then always there. A task
needing ``q`` units can start once ``q`` units are free: at the ``q``-th smallest free
time. It takes, of the units free by its start, the ``q`` that became free last (best fit,
so the units free earliest stay for tasks that can use them earlier) and holds them until
it ends. Every unit does one task at a time, so no resource is ever used beyond the units
present: the limits are exact. What it gives up against a full time profile: a later task
never slips into the idle gap a unit leaves before a task that waits for it (the planner's
own schedule generation does that, the field mostly does not).

The arrays come from :mod:`safeground.forecast.simulate`, which documents them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

try:  # pragma: no cover - which branch runs depends on the machine
    import numba as _numba

    numba: ModuleType | None = _numba
    prange: Callable[..., range] = _numba.prange
except ImportError:  # pragma: no cover
    numba = None
    prange = range

Array = np.ndarray[Any, Any]

#: Whether the loop is compiled (numba installed) or runs as plain Python.
COMPILED = numba is not None


def _season_integral(t: float, months: Array, cum: Array, period: float) -> float:
    """The integral from 0 to ``t`` of the seasonal multiplier (months of ``period / 12``)."""
    laps = math.floor(t / period)
    x = t - laps * period
    month = int(x * 12.0 / period)
    if month > 11:
        month = 11
    return float(laps * cum[12] + cum[month] + months[month] * (x - month * period / 12.0))


def _count_upto(values: Array, lo: int, hi: int, limit: float) -> int:
    """The first index in ``lo .. hi`` whose value is above ``limit`` (``values[lo:hi]``
    sorted, ``hi`` if none is), by binary search."""
    size = hi - lo
    while size > 0:
        half = size // 2
        if values[lo + half] <= limit:
            lo += half + 1
            size -= half + 1
        else:
            size = half
    return lo


def _quantile(u: float, a: float, m: float, b: float, cdf: Array, grid: Array) -> float:
    """A three-point estimate's value at probability ``u``: the triangle's closed form, or
    (for a PERT) linear interpolation in its tabulated distribution function, as
    :meth:`ThreePoint.quantile` does."""
    if b <= a:
        return a
    if cdf.shape[0] == 0:
        if u < (m - a) / (b - a):
            return float(a + math.sqrt(u * ((b - a) * (m - a))))
        return float(b - math.sqrt((1.0 - u) * ((b - a) * (b - m))))
    lo = _count_upto(cdf, 0, cdf.shape[0], u)  # the first tabulated value above u
    if lo == 0:
        return float(a + (b - a) * grid[0])
    if lo >= cdf.shape[0]:
        return float(a + (b - a) * grid[cdf.shape[0] - 1])
    w = (u - cdf[lo - 1]) / (cdf[lo] - cdf[lo - 1])
    return float(a + (b - a) * (grid[lo - 1] + w * (grid[lo] - grid[lo - 1])))


def run_plan(
    durations: Array,
    not_before: Array,
    pred_ptr: Array,
    pred_idx: Array,
    pred_lag: Array,
    dem_ptr: Array,
    dem_res: Array,
    dem_q: Array,
    column: Array,
    survey_column: Array,
    unit_ptr: Array,
    arrivals: Array,
    productivity: Array,
    ramp_days: Array,
    attrition: Array,
    lost: Array,
    survey_u: Array,
    share: Array,
    survey_points: Array,
    confirmed_cdf: Array,
    confirmed_grid: Array,
    clean_cdf: Array,
    clean_grid: Array,
    lost_planned: float,
    attrition_planned: float,
    replacement_days: float,
    days_per_month: float,
    season_months: Array,
    season_cum: Array,
    season_period: float,
    season_offset: float,
    max_lost: float,
    planned_start: Array,
    detect: bool,
    hold: Array,
    finish: Array,
    start: Array,
    keep_start: bool,
) -> None:
    """Simulate every run (row of ``productivity``), writing ``finish[r, column[p]]`` (and
    ``start`` if ``keep_start``). Tasks come in the order they are dispatched (position
    ``p``), predecessors first. Per position: ``durations``, ``not_before`` (release or
    fixed start), ``planned_start`` and ``hold``; predecessors as compressed rows
    (``pred_ptr`` into positions ``pred_idx`` with lags ``pred_lag``), demands likewise
    (``dem_ptr`` into team types ``dem_res``, units ``dem_q``); ``survey_column`` is the
    task's column in ``survey_u`` (a clearance after a survey) or -1. Per team type,
    ``arrivals[unit_ptr[k]:unit_ptr[k + 1]]`` are its units' planned arrivals, in order.
    Per run: ``productivity``, ``ramp_days``, ``attrition`` (runs x team types), ``lost``
    and ``share`` (the contaminated share). ``survey_points`` holds the confirmed and the
    clean estimates' (low, mode, high) and the planned fraction; the ``*_cdf``/``*_grid``
    tables are a PERT's (empty for a triangle). ``season_months`` is empty, or the 12
    monthly multipliers with ``season_cum`` their integral at each month's start.

    A task the plan holds back (``hold[p] > 0``: in the plan it could start that much
    earlier) keeps the hold: it starts at its planned start, or as much earlier as it
    becomes ready earlier than in the plan, never later than it is ready and never before.
    With ``detect`` (one run, durations as planned), ``hold`` is filled in instead: a task
    that could start before its planned start is held back to it.
    """
    runs = productivity.shape[0]
    n = durations.shape[0]
    n_res = unit_ptr.shape[0] - 1
    season = season_months.shape[0] == 12
    for r in prange(runs):
        free = arrivals.copy()
        slow = np.empty(n_res)  # the run's duration factor of each team type's productivity
        steady = np.empty(n_res)  # the attrition factor once replacements arrive
        x_steady = replacement_days / days_per_month
        for k in range(n_res):
            slow[k] = 1.0 / productivity[r, k]
            steady[k] = (1.0 - attrition_planned * x_steady) / (1.0 - attrition[r, k] * x_steady)
            base = unit_ptr[k]
            units = unit_ptr[k + 1] - base
            for u in range(units):
                when = ramp_days[r, k] * (u + 0.5) / units
                if when > free[base + u]:
                    free[base + u] = when
        lost_factor = (1.0 - lost_planned) / (1.0 - lost[r])
        ends = np.empty(n)
        for p in range(n):
            es = not_before[p]
            for e in range(pred_ptr[p], pred_ptr[p + 1]):
                t = ends[pred_idx[e]] + pred_lag[e]
                if t > es:
                    es = t
            d = durations[p]
            first, last = dem_ptr[p], dem_ptr[p + 1]
            busy = d > 0.0 and last > first
            if busy:
                slowest = slow[dem_res[first]]
                for e in range(first + 1, last):
                    if slow[dem_res[e]] > slowest:
                        slowest = slow[dem_res[e]]
                d = d * slowest
                sc = survey_column[p]
                if sc >= 0:  # one uniform says whether the area holds mines, and how much
                    v = survey_u[r, sc]
                    if v < share[r]:
                        left = _quantile(
                            v / share[r],
                            survey_points[0],
                            survey_points[1],
                            survey_points[2],
                            confirmed_cdf,
                            confirmed_grid,
                        )
                    else:
                        left = _quantile(
                            (v - share[r]) / (1.0 - share[r]),
                            survey_points[3],
                            survey_points[4],
                            survey_points[5],
                            clean_cdf,
                            clean_grid,
                        )
                    d = d * (left / survey_points[6])
                busy = d > 0.0
            s = es
            if busy:
                for e in range(first, last):
                    t = free[unit_ptr[dem_res[e]] + dem_q[e] - 1]
                    if t > s:
                        s = t
            if detect:
                if s < planned_start[p]:
                    hold[p] = planned_start[p] - s
                    s = planned_start[p]
            elif hold[p] > 0.0:
                s = max(s, min(planned_start[p], s + hold[p]))
            if busy:
                if season:
                    a = s + season_offset
                    b = _season_integral(a + d, season_months, season_cum, season_period)
                    b -= _season_integral(a, season_months, season_cum, season_period)
                    lost_share = min(lost[r] * b / d, max_lost)
                    d = d * ((1.0 - lost_planned) / (1.0 - lost_share))
                else:
                    d = d * lost_factor
                worst = 0.0
                for e in range(first, last):
                    k = dem_res[e]
                    if s >= replacement_days:
                        f = steady[k]
                    else:
                        x = s / days_per_month
                        f = (1.0 - attrition_planned * x) / (1.0 - attrition[r, k] * x)
                    if e == first or f > worst:
                        worst = f
                d = d * worst
                end = s + d
                for e in range(first, last):
                    k = dem_res[e]
                    base = unit_ptr[k]
                    units = unit_ptr[k + 1] - base
                    q = dem_q[e]
                    # m: how many units are free by s (at least q: the task waited for them)
                    m = q
                    if m < units and free[base + m] <= s:
                        m = _count_upto(free, base + q + 1, base + units, s) - base
                    # i: how many are free by the end
                    i = _count_upto(free, base + m, base + units, end) - base
                    # the q units free last by s leave, those free by the end move down,
                    # and the q come back at the end: the pool stays sorted (unsigned
                    # indices spare numba's negative-index check, so the copy vectorises)
                    src_ = np.uint64(base + m)
                    dst_ = np.uint64(base + m - q)
                    for t_ in range(np.uint64(i - m)):
                        free[dst_ + t_] = free[src_ + t_]
                    for t_ in range(i - q, i):
                        free[base + t_] = end
            else:
                end = s + d
            ends[p] = end
            finish[r, column[p]] = end
            if keep_start:
                start[r, column[p]] = s


def _jit(function: Callable[..., Any], **options: bool) -> Any:
    """``function`` compiled by numba, its machine code cached beside this module (as
    Python caches bytecode) so that only the first process pays the compilation; where no
    cache can be written, compiled afresh in each process."""
    assert numba is not None
    try:
        return numba.njit(nogil=True, cache=True, **options)(function)
    except RuntimeError:  # pragma: no cover - a read-only install without a cache folder
        return numba.njit(nogil=True, cache=False, **options)(function)


if numba is not None:  # pragma: no branch
    _season_integral = _jit(_season_integral)
    _count_upto = _jit(_count_upto)
    _quantile = _jit(_quantile)
    run_plan = _jit(run_plan, parallel=True)
