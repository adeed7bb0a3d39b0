"""What a forecast tells a programme: when land is released and assets rebuilt, and why.

From a :class:`~safeground.forecast.simulate.Simulation` and what each task delivers
(:class:`Deliverables`):

* :func:`milestones`: the days by which 50 %, 90 % and 100 % of priority land is released
  and of assets rebuilt, at P10 / P50 / P80 / P90 (the day by which that share of runs is
  there), beside the plan's own day;
* :func:`s_curves`: cumulative m² released and assets rebuilt by the end of each day, as
  P10 / P50 / P90 bands and the plan's curve;
* :func:`tornado`: for each uncertainty, the P50 completion with it at its low and at its
  high end, everything else as the plan assumes: which uncertainty moves the date most;
* :func:`workforce_floor`: the ends with planned durations and unlimited teams (the
  critical path), below which no number of teams brings a date: where adding people
  stops helping.

Days are the plan's periods from its start (working days for a fieldwork plan). Everything
is plain dataclasses and numpy arrays; charts are drawn elsewhere. Nothing here does I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from safeground.forecast.simulate import CLEARANCE_WORK, Prepared, Simulation
from safeground.forecast.uncertainty import Uncertainty
from safeground.planning.fieldwork import AreaWork, FieldProblem
from safeground.planning.model import Problem, Schedule

Array = np.ndarray[Any, Any]
Measure = Literal["priority land", "land", "assets", "all"]

LEVELS = (0.5, 0.9, 1.0)
PERCENTILES = (10.0, 50.0, 80.0, 90.0)
BANDS = (10.0, 50.0, 90.0)
_RECONSTRUCTION = "reconstruction"
_CHUNK = 1_000  # runs at a time for the S-curves: bounds the memory to a few hundred MB


@dataclass(frozen=True)
class Deliverables:
    """What the tasks deliver: ``land_m2`` maps a task to the m² released when it ends
    (the clearance of an area, which follows its survey); ``priority`` names the land tasks
    whose land is priority; ``assets`` names the tasks that each rebuild one asset.
    Raises ValueError for a negative or non-finite area or a priority task without land."""

    land_m2: Mapping[str, float]
    priority: frozenset[str] = frozenset()
    assets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        land: dict[str, float] = {}
        for name, m2 in dict(self.land_m2).items():
            if isinstance(m2, bool) or not isinstance(m2, int | float) or not math.isfinite(m2):
                raise ValueError(f"land of {name!r} must be a finite number of m², got {m2!r}")
            if m2 < 0:
                raise ValueError(f"land of {name!r} must be >= 0 m², got {m2}")
            land[str(name)] = float(m2)
        object.__setattr__(self, "land_m2", MappingProxyType(land))
        priority = frozenset(self.priority)
        stray = sorted(priority - land.keys())
        if stray:
            raise ValueError(f"priority tasks without land: {', '.join(stray[:5])}")
        object.__setattr__(self, "priority", priority)
        assets = tuple(self.assets)
        if len(set(assets)) != len(assets):
            raise ValueError("an asset task is named twice")
        object.__setattr__(self, "assets", assets)

    @classmethod
    def from_fieldwork(
        cls, field_problem: FieldProblem, areas: Sequence[AreaWork], *, priority_weight: float = 4.0
    ) -> Deliverables:
        """From :func:`~safeground.planning.fieldwork.build_problem`'s output and its areas:
        each area's clearance releases its remaining m²; areas of weight at least
        ``priority_weight`` are priority; each reconstruction task rebuilds an asset."""
        by_id = {a.area_id: a for a in areas}
        land: dict[str, float] = {}
        priority: set[str] = set()
        assets: list[str] = []
        for task, (kind, record) in field_problem.tasks.items():
            if kind == CLEARANCE_WORK and record in by_id:
                land[task] = by_id[record].remaining_m2
                if by_id[record].weight >= priority_weight:
                    priority.add(task)
            elif kind == _RECONSTRUCTION:
                assets.append(task)
        return cls(land, frozenset(priority), tuple(assets))

    def weights(self, what: Measure) -> dict[str, float]:
        """The tasks that make up ``what`` and how much each counts (m², or 1 an asset)."""
        if what == "priority land":
            return {t: self.land_m2[t] for t in sorted(self.priority) if self.land_m2[t] > 0}
        if what == "land":
            return {t: m2 for t, m2 in self.land_m2.items() if m2 > 0}
        if what == "assets":
            return dict.fromkeys(self.assets, 1.0)
        raise ValueError(f"no deliverable called {what!r}: priority land, land or assets")


def _columns(simulation: Simulation, weights: Mapping[str, float]) -> tuple[list[int], Array]:
    try:
        cols = [simulation.column(t) for t in weights]
    except KeyError as exc:
        raise ValueError(f"the simulation has no task {exc.args[0]!r}") from None
    return cols, np.asarray(list(weights.values()), dtype=np.float64)


def _reach(finish: Array, weights: Array, levels: Sequence[float]) -> Array:
    """Per run (row of ``finish``), when the finished tasks' weight first reaches each
    share of the total: runs x levels."""
    runs, m = finish.shape
    if np.all(weights == weights[0]):  # equal weights (assets): order statistics suffice
        ks = [min(m - 1, max(0, math.ceil(level * m * (1 - 1e-12)) - 1)) for level in levels]
        part = np.partition(finish, sorted(set(ks)), axis=1)
        equal: Array = part[:, ks].astype(np.float64)
        return equal
    order = np.argsort(finish, axis=1)
    rows = np.arange(runs)[:, None]
    cum = np.cumsum(weights[order], axis=1)
    out = np.empty((runs, len(levels)))
    for k, level in enumerate(levels):
        # the first task after which the share is reached (a hair of slack for rounding)
        idx = (cum < level * cum[:, -1:] * (1 - 1e-12)).sum(axis=1)
        out[:, k] = finish[rows[:, 0], order[rows[:, 0], np.minimum(idx, m - 1)]]
    return out


@dataclass(frozen=True)
class Milestones:
    """``days[l, p]``: the day by which ``percentiles[p]`` % of runs have delivered
    ``levels[l]`` of ``what``; ``planned[l]``: the plan's day. NaN when there is nothing."""

    what: str
    levels: tuple[float, ...]
    percentiles: tuple[float, ...]
    days: Array
    planned: Array
    total: float

    def at(self, level: float, percentile: float) -> float:
        """The day for one level and percentile; KeyError if they were not computed."""
        try:
            return float(self.days[self.levels.index(level), self.percentiles.index(percentile)])
        except ValueError:
            raise KeyError((level, percentile)) from None


def _quantiles(values: Array, percentiles: Sequence[float], axis: int = 0) -> Array:
    q = np.asarray(percentiles, dtype=np.float64) / 100
    out: Array = np.quantile(values, q, axis=axis, method="inverted_cdf")
    return out


def milestones(
    simulation: Simulation,
    deliverables: Deliverables,
    what: Measure = "priority land",
    *,
    levels: Sequence[float] = LEVELS,
    percentiles: Sequence[float] = PERCENTILES,
) -> Milestones:
    """When ``levels`` (shares, 0-1] of ``what`` ("priority land", "land" or "assets") are
    delivered, at ``percentiles`` of the runs. Raises ValueError for a share outside (0, 1],
    a percentile outside [0, 100], or a task the simulation does not have."""
    if any(not 0 < level <= 1 for level in levels):
        raise ValueError(f"levels must lie in (0, 1], got {list(levels)}")
    if any(not 0 <= p <= 100 for p in percentiles):
        raise ValueError(f"percentiles must lie in [0, 100], got {list(percentiles)}")
    weights = deliverables.weights(what)
    cols, w = _columns(simulation, weights)
    shape = (len(levels), len(percentiles))
    if not cols:
        nan = np.full(shape, np.nan)
        return Milestones(
            what, tuple(levels), tuple(percentiles), nan, np.full(len(levels), np.nan), 0.0
        )
    reach = _reach(simulation.finish[:, cols], w, levels)
    planned = _reach(simulation.planned_finish[None, cols], w, levels)[0]
    days = _quantiles(reach, percentiles).T
    return Milestones(what, tuple(levels), tuple(percentiles), days, planned, float(w.sum()))


@dataclass(frozen=True)
class SCurve:
    """Cumulative ``what`` delivered by the end of each day ``days``: ``bands[p]`` at
    ``percentiles[p]`` of the runs (at each day separately), ``planned`` the plan's curve;
    ``total`` is everything there is to deliver (m² or assets)."""

    what: str
    days: Array
    percentiles: tuple[float, ...]
    bands: Array
    planned: Array
    total: float


def _order_index(percentile: float, n: int) -> int:
    """The index in ``n`` sorted values of the empirical ``percentile`` (numpy's
    ``inverted_cdf``: the smallest value with at least that share of values at or below)."""
    return min(n - 1, max(0, math.ceil(percentile / 100 * n) - 1))


def _cumulative(finish: Array, weights: Array, n_days: int) -> Array:
    """Per run, the weight finished by the end of each day 0 .. n_days - 1 (a task ending
    at 10.3 is done by the end of day 11): runs x days."""
    # the first day at or after the end; past the last day, one slot that is dropped
    slot = np.minimum(np.ceil(np.maximum(finish, 0)), n_days).astype(np.int64)
    runs = finish.shape[0]
    width = n_days + 1
    flat = (slot + width * np.arange(runs)[:, None]).ravel()
    per_day = np.bincount(flat, np.broadcast_to(weights, finish.shape).ravel(), runs * width)
    out: Array = np.cumsum(per_day.reshape(runs, width)[:, :-1], axis=1)
    return out


def s_curves(
    simulation: Simulation,
    deliverables: Deliverables,
    what: Measure = "land",
    *,
    percentiles: Sequence[float] = BANDS,
    days: int | None = None,
) -> SCurve:
    """The S-curve of ``what`` ("land", "priority land" or "assets"): its bands (the
    empirical percentiles over the runs, day by day) for each day from 0 to ``days`` (by
    default the first day by which every band and the plan have reached the total).
    Raises ValueError for a percentile outside [0, 100] or negative ``days``."""
    if any(not 0 <= p <= 100 for p in percentiles):
        raise ValueError(f"percentiles must lie in [0, 100], got {list(percentiles)}")
    weights = deliverables.weights(what)
    cols, w = _columns(simulation, weights)
    runs = simulation.runs
    ks = [_order_index(p, runs) for p in percentiles]
    if days is None:
        last = 0.0
        if cols:
            # the lowest band reaches the total once all but its share of runs are complete
            done = np.sort(simulation.finish[:, cols].max(axis=1))
            last = max(
                float(done[runs - 1 - min(ks)]), float(simulation.planned_finish[cols].max())
            )
        days = math.ceil(last)
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    grid = np.arange(days + 1, dtype=np.float64)
    if not cols:
        bands, planned = np.zeros((len(ks), len(grid))), np.zeros(len(grid))
        return SCurve(what, grid, tuple(percentiles), bands, planned, 0.0)
    by_day = np.empty((len(grid), runs), dtype=np.float32)  # days x runs: rows to partition
    for lo in range(0, runs, _CHUNK):
        chunk = simulation.finish[lo : lo + _CHUNK, cols]
        by_day[:, lo : lo + len(chunk)] = _cumulative(chunk, w, len(grid)).T
    part = np.partition(by_day, sorted(set(ks)), axis=1)
    bands = part[:, ks].T.astype(np.float64)
    planned = _cumulative(simulation.planned_finish[None, cols], w, len(grid))[0]
    return SCurve(what, grid, tuple(percentiles), bands, planned, float(w.sum()))


@dataclass(frozen=True)
class TornadoBar:
    """The P50 completion with one uncertainty at its ``low`` and its ``high`` end."""

    uncertainty: str
    at_low: float
    at_high: float

    @property
    def swing(self) -> float:
        return abs(self.at_high - self.at_low)


@dataclass(frozen=True)
class Tornado:
    """For ``measure``, the plan's completion (``base``: every uncertainty as the plan
    assumes it) and one bar per uncertainty, the widest first."""

    measure: str
    base: float
    bars: tuple[TornadoBar, ...]


def _completion(simulation: Simulation, deliverables: Deliverables, measure: Measure) -> Array:
    if measure == "all":
        return simulation.makespan()
    cols, _ = _columns(simulation, deliverables.weights(measure))
    if not cols:
        return np.zeros(simulation.runs)
    out: Array = simulation.finish[:, cols].max(axis=1)
    return out


def tornado(
    problem: Problem,
    schedule: Schedule,
    uncertainty: Uncertainty,
    deliverables: Deliverables,
    *,
    measure: Measure = "priority land",
    runs: int = 200,
    seed: int = 0,
    work: Mapping[str, tuple[str, str]] | None = None,
) -> Tornado:
    """One-at-a-time sensitivity of the P50 completion of ``measure`` ("priority land",
    "land", "assets" released or rebuilt in full, or "all": the last task): each
    uncertainty (productivity of each team type the plan uses, survey outcome, lost days,
    ramp-up, attrition) at its low and at its high end, all else collapsed to what the plan
    assumes (:meth:`Uncertainty.one_at`). ``runs`` runs each (only the survey outcome stays
    random per area). Raises what :func:`simulate` raises."""
    prepared = Prepared(problem, schedule, work)
    base_sim = prepared.simulate(uncertainty.collapsed(), runs=1, seed=seed)
    base = float(np.median(_completion(base_sim, deliverables, measure)))
    used = sorted(
        {
            name
            for task in problem.tasks
            for name, q in task.modes[schedule.modes[task.name]].demands.items()
            if q > 0 and name in problem.resource_index
        }
    )
    bars = []
    for component in uncertainty.components(tuple(used)):
        ends = []
        for end in ("low", "high"):
            sim = prepared.simulate(uncertainty.one_at(component, end), runs=runs, seed=seed)
            ends.append(float(_quantiles(_completion(sim, deliverables, measure), [50.0])[0]))
        bars.append(TornadoBar(component, ends[0], ends[1]))
    bars.sort(key=lambda b: (-b.swing, b.uncertainty))
    return Tornado(measure, base, tuple(bars))


@dataclass(frozen=True)
class Floor:
    """The unlimited-workforce floor: each task's end with planned durations and modes,
    releases and lags, but as many teams as it takes (``finish``, by task name), the
    completion of each deliverable on it, and the chain of tasks that sets the last end.
    No number of teams brings a date below it; the gap to the forecast is what more teams
    could at best win."""

    finish: Mapping[str, float] = field(repr=False)
    makespan: float
    priority_land: float
    land: float
    assets: float
    critical_path: tuple[str, ...]


def workforce_floor(
    problem: Problem, schedule: Schedule, deliverables: Deliverables | None = None
) -> Floor:
    """The :class:`Floor` of ``schedule``'s modes. Raises ValueError if the schedule does
    not cover the problem."""
    tasks = problem.tasks
    n = len(tasks)
    end = [0.0] * n
    cause = [-1] * n
    for j in problem.topological_order:
        task = tasks[j]
        if task.name not in schedule.modes:
            raise ValueError(f"the schedule has no mode for task {task.name!r}")
        start = float(max(task.release, task.fixed_start or 0))
        for i, lag in problem.predecessors[j]:
            if end[i] + lag > start:
                start, cause[j] = end[i] + lag, i
        end[j] = start + task.modes[schedule.modes[task.name]].duration
    finish = {t.name: end[j] for j, t in enumerate(tasks)}
    last = max(range(n), key=lambda j: end[j], default=-1)
    chain: list[str] = []
    while last >= 0:
        chain.append(tasks[last].name)
        last = cause[last]
    chain.reverse()

    def done(what: Measure) -> float:
        if deliverables is None:
            return math.nan
        names = deliverables.weights(what)
        return max((finish[t] for t in names if t in finish), default=0.0)

    return Floor(
        finish=MappingProxyType(finish),
        makespan=max(end, default=0.0),
        priority_land=done("priority land"),
        land=done("land"),
        assets=done("assets"),
        critical_path=tuple(chain),
    )
