"""Monte Carlo runs of a plan: ``simulate(problem, schedule, uncertainty) -> Simulation``.

Each run replays the plan's priority policy under its own draws, as a list schedule: the
tasks are dispatched in the plan's order (by planned start, then name, predecessors
always first), each in its planned mode, and each starts at the earliest time its
predecessors (with their lags) are done, its release has come, and its teams are free
(see :mod:`safeground.forecast.kernel` for the capacity model: pools of identical teams,
limits exact). Its duration is the planned one divided by the run's productivity of the
slowest team type it uses, times the remaining fraction drawn for a clearance after a
technical survey, times the lost-days and attrition factors at its start (see
:mod:`safeground.forecast.uncertainty`). Tasks that use no team keep their duration (they
are waits, not work); a task left with nothing to do takes no team and no time.

**The plan is reproduced exactly when nothing is uncertain.** A plan whose tasks all start
as early as the plan's own order lets them (a plan shifted left, as the heuristics leave
it) is a list schedule of this policy. Any other plan holds some tasks back: in the plan
itself they could start earlier. One pass with the planned durations finds them and by how
much (``Simulation.held`` names them), and each keeps its hold in every run: it starts at
its planned start, or as much earlier as it becomes ready earlier than in the plan; when it
is ready only after its planned start, it starts when ready. So with
:meth:`Uncertainty.collapsed` every run is the plan, task for task, and a run that goes
faster than the plan still gains from it. Deadlines are not enforced (the forecast shows
whether they hold); budgets are not consumed (the modes are the plan's).

Runs are reproducible from ``seed``; they are computed in parallel where numba is
installed. Nothing here does I/O.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from safeground.forecast import kernel
from safeground.forecast.uncertainty import MAX_LOST, ThreePoint, Uncertainty
from safeground.planning.model import Problem, Schedule, priority_order

Array = np.ndarray[Any, Any]

#: The kinds of work (as ``FieldProblem.tasks`` names them) the simulation tells apart.
SURVEY_WORK = "technical survey"
CLEARANCE_WORK = "clearance"
_PREFIX_WORK = {
    "survey": SURVEY_WORK,
    "clear": CLEARANCE_WORK,
    "eod": "EOD rubble check",
    "rebuild": "reconstruction",
}
_erf = np.vectorize(math.erf, otypes=[np.float64])
# numba's default thread pool (workqueue) aborts the process if two threads enter a
# parallel kernel at once: simulations from several threads (a web server) take turns
_KERNEL = threading.Lock()


def _frozen(array: Array) -> Array:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Draws:
    """The run-level draws of a simulation: one row per run, and for those drawn per team
    type (productivity, ramp-up, attrition) one column per ``teams`` entry.

    ``common`` is the run's "bad year" factor (a standard normal; higher is worse) that
    every other draw here shares with weight ``rho``. Per-area survey outcomes are not
    kept (runs x areas numbers).
    """

    teams: tuple[str, ...]
    common: Array
    productivity: Array
    ramp_days: Array
    attrition: Array
    lost_fraction: Array
    contaminated_share: Array


@dataclass(frozen=True, eq=False)
class Simulation:
    """The finish (and optionally start) of every task in every run, in plan periods.

    ``finish[r, j]`` is when task ``tasks[j]`` (the problem's order) ends in run ``r``;
    ``planned_start`` and ``planned_finish`` are the plan's. ``held`` names the tasks the
    plan holds back (see the module). ``draws`` are the run-level draws. Arrays are
    read-only; ``finish`` is float32 (exact for whole periods up to 16 million).
    """

    tasks: tuple[str, ...]
    planned_start: Array
    planned_finish: Array
    finish: Array
    start: Array | None = None
    held: tuple[str, ...] = ()
    draws: Draws | None = None
    seed: int = 0
    _columns: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.tasks)
        if self.finish.ndim != 2 or self.finish.shape[1] != n:
            raise ValueError(f"finish must be runs x {n} tasks, got shape {self.finish.shape}")
        if self.start is not None and self.start.shape != self.finish.shape:
            raise ValueError("start and finish must have the same shape")
        for name in ("planned_start", "planned_finish"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have one entry per task")
        columns = {name: j for j, name in enumerate(self.tasks)}
        if len(columns) != n:
            raise ValueError("task names must be unique")
        object.__setattr__(self, "_columns", MappingProxyType(columns))

    @property
    def runs(self) -> int:
        return int(self.finish.shape[0])

    def column(self, name: str) -> int:
        """The column of task ``name``; KeyError if there is none."""
        return self._columns[name]

    def finishes(self, name: str) -> Array:
        """When task ``name`` ends, in each run."""
        out: Array = self.finish[:, self._columns[name]]
        return out

    def makespan(self) -> Array:
        """When the last task ends, in each run."""
        out: Array = self.finish.max(axis=1) if self.tasks else np.zeros(self.runs)
        return out

    def percentiles(
        self, percentiles: Sequence[float] = (10, 50, 80, 90), names: Sequence[str] | None = None
    ) -> Array:
        """Per task (``names``, by default all), the finish by which each percentage of runs
        is done: an array tasks x percentiles (the empirical quantile, a value some run has)."""
        cols = range(len(self.tasks)) if names is None else [self._columns[n] for n in names]
        chosen = self.finish[:, list(cols)]
        q = np.asarray(percentiles, dtype=np.float64) / 100
        out: Array = np.quantile(chosen, q, axis=0, method="inverted_cdf").T
        return out


@dataclass(frozen=True)
class _Plan:
    """The plan compiled to the kernel's flat arrays, in dispatch order (position ``p``)."""

    order: Array  # problem task index at position p
    durations: Array
    not_before: Array
    planned_start: Array
    hold: Array  # how much later than it could the plan starts the task (0: not held)
    pred_ptr: Array
    pred_idx: Array
    pred_lag: Array
    dem_ptr: Array
    dem_res: Array
    dem_q: Array
    survey_column: Array  # column into the per-area survey draws, or -1
    unit_ptr: Array
    arrivals: Array
    teams: tuple[str, ...]


def _dispatch_order(problem: Problem, schedule: Schedule) -> list[int]:
    """Tasks by planned start, then name; a predecessor always before its successors
    (they can tie only through zero durations)."""
    tasks = problem.tasks
    return priority_order(
        problem.predecessors,
        problem.successors,
        lambda j: (schedule.starts[tasks[j].name], tasks[j].name),
    )


def _kinds(problem: Problem, work: Mapping[str, tuple[str, str]] | None) -> list[tuple[str, str]]:
    """(kind of work, record id) per task: from ``work`` or from the task name's prefix."""
    out: list[tuple[str, str]] = []
    for task in problem.tasks:
        if work is not None and task.name in work:
            kind, record = work[task.name]
            out.append((str(kind), str(record)))
            continue
        prefix, _, record = task.name.partition(":")
        out.append((_PREFIX_WORK.get(prefix, ""), record))
    return out


def _unit_arrivals(problem: Problem) -> tuple[Array, Array]:
    ptr = [0]
    arrivals: list[float] = []
    for resource in problem.resources:
        steps = resource.steps()
        for (_, c0), (t1, c1) in itertools.pairwise(steps):
            if c1 < c0:
                raise ValueError(
                    f"the capacity of {resource.name!r} falls from {c0} to {c1} at {t1}: "
                    "the simulation's team pools only grow (model stand-downs as lost days)"
                )
        for unit in range(resource.max_capacity):
            arrivals.append(float(next(t for t, c in steps if c > unit)))
        ptr.append(len(arrivals))
    return np.asarray(ptr, dtype=np.int64), np.asarray(arrivals, dtype=np.float64)


def _compile(
    problem: Problem, schedule: Schedule, work: Mapping[str, tuple[str, str]] | None
) -> _Plan:
    tasks = problem.tasks
    for task in tasks:
        if task.name not in schedule.starts:
            raise ValueError(f"the schedule has no start for task {task.name!r}")
        if not 0 <= schedule.modes[task.name] < len(task.modes):
            raise ValueError(f"the schedule's mode of {task.name!r} is not one of its modes")
    order = _dispatch_order(problem, schedule)
    position = {j: p for p, j in enumerate(order)}
    kinds = _kinds(problem, work)
    unit_ptr, arrivals = _unit_arrivals(problem)
    res_index = problem.resource_index
    n = len(tasks)
    durations = np.empty(n)
    not_before = np.empty(n)
    planned_start = np.empty(n)
    survey_column = np.full(n, -1, dtype=np.int64)
    pred_ptr, pred_idx, pred_lag = [0], [], []
    dem_ptr, dem_res, dem_q = [0], [], []
    surveyed = 0
    for p, j in enumerate(order):
        task = tasks[j]
        mode = task.modes[schedule.modes[task.name]]
        durations[p] = mode.duration
        planned_start[p] = schedule.starts[task.name]
        not_before[p] = max(task.release, task.fixed_start or 0)
        for i, lag in problem.predecessors[j]:
            pred_idx.append(position[i])
            pred_lag.append(float(lag))
        pred_ptr.append(len(pred_idx))
        for name, amount in mode.demands.items():
            if name not in res_index or amount == 0:
                continue  # budgets are not simulated
            k = res_index[name]
            if amount > unit_ptr[k + 1] - unit_ptr[k]:
                raise ValueError(f"task {task.name!r} needs more {name!r} than there ever is")
            dem_res.append(k)
            dem_q.append(amount)
        dem_ptr.append(len(dem_res))
        kind, record = kinds[j]
        if kind == CLEARANCE_WORK and any(
            kinds[i] == (SURVEY_WORK, record) for i, _ in problem.predecessors[j]
        ):
            survey_column[p] = surveyed
            surveyed += 1

    def ints(values: Sequence[int]) -> Array:
        return np.asarray(values, dtype=np.int64)

    return _Plan(
        order=ints(order),
        durations=durations,
        not_before=not_before,
        planned_start=planned_start,
        hold=np.zeros(n),
        pred_ptr=ints(pred_ptr),
        pred_idx=ints(pred_idx),
        pred_lag=np.asarray(pred_lag, dtype=np.float64),
        dem_ptr=ints(dem_ptr),
        dem_res=ints(dem_res),
        dem_q=ints(dem_q),
        survey_column=survey_column,
        unit_ptr=unit_ptr,
        arrivals=arrivals,
        teams=tuple(r.name for r in problem.resources),
    )


def _draw(
    uncertainty: Uncertainty, teams: tuple[str, ...], runs: int, n_surveyed: int, seed: int
) -> tuple[Draws, Array]:
    """The run-level draws, and a uniform per run and surveyed area for its outcome."""
    rng = np.random.default_rng(seed)
    rho = uncertainty.rho
    common = rng.standard_normal(runs)

    def bad() -> Array:
        """Uniforms sharing the common factor: near 1 in a bad run."""
        z = math.sqrt(rho) * common + math.sqrt(1 - rho) * rng.standard_normal(runs)
        u: Array = 0.5 * (1 + _erf(z / math.sqrt(2)))
        return u

    k = len(teams)
    productivity = np.empty((runs, k))
    ramp = np.empty((runs, k))
    attrition = np.empty((runs, k))
    for c, team in enumerate(teams):
        productivity[:, c] = uncertainty.productivity.for_team(team).quantile(1 - bad())
        ramp[:, c] = uncertainty.ramp_up.days.quantile(bad())
        attrition[:, c] = uncertainty.attrition.per_month.quantile(bad())
    lost = uncertainty.lost_days.fraction.quantile(bad())
    share = uncertainty.survey.contaminated_share.quantile(rng.random(runs))
    survey_u = rng.random((runs, n_surveyed), dtype=np.float32)
    draws = Draws(
        teams,
        _frozen(common),
        _frozen(productivity),
        _frozen(ramp),
        _frozen(attrition),
        _frozen(lost),
        _frozen(share),
    )
    return draws, survey_u


def _points(estimate: ThreePoint) -> tuple[float, float, float]:
    return (estimate.low, estimate.mode, estimate.high)


def _run(
    plan: _Plan,
    uncertainty: Uncertainty,
    draws: Draws,
    survey_u: Array,
    *,
    detect: bool = False,
    keep_start: bool = False,
) -> tuple[Array, Array, Array]:
    """The kernel on these draws: (finish, start, hold), columns in problem order (hold in
    dispatch order)."""
    runs = draws.productivity.shape[0]
    n = plan.durations.shape[0]
    lost_days = uncertainty.lost_days
    survey = uncertainty.survey
    survey_points = (*_points(survey.confirmed), *_points(survey.clean))
    if lost_days.season is not None:
        months = np.asarray(lost_days.season, dtype=np.float64)
        period = lost_days.days_per_year
        cum = np.concatenate([[0.0], np.cumsum(months * period / 12)])
        offset = (lost_days.start_month - 1) * period / 12
    else:
        months, cum, period, offset = np.zeros(0), np.zeros(1), 1.0, 0.0
    hold = plan.hold.copy()
    finish = np.empty((runs, n), dtype=np.float32)
    start = np.empty((runs, n) if keep_start else (1, 1), dtype=np.float32)
    with _KERNEL:
        kernel.run_plan(
            plan.durations,
            plan.not_before,
            plan.pred_ptr,
            plan.pred_idx,
            plan.pred_lag,
            plan.dem_ptr,
            plan.dem_res,
            plan.dem_q,
            plan.order,
            plan.survey_column,
            plan.unit_ptr,
            plan.arrivals,
            np.ascontiguousarray(draws.productivity),
            np.ascontiguousarray(draws.ramp_days),
            np.ascontiguousarray(draws.attrition),
            np.ascontiguousarray(draws.lost_fraction),
            np.ascontiguousarray(survey_u, dtype=np.float32),
            np.ascontiguousarray(draws.contaminated_share),
            np.asarray([*survey_points, survey.planned], dtype=np.float64),
            *survey.confirmed.inverse_table(),
            *survey.clean.inverse_table(),
            lost_days.planned_share,
            uncertainty.attrition.planned_rate,
            uncertainty.attrition.replacement_days,
            uncertainty.attrition.days_per_month,
            months,
            cum,
            period,
            offset,
            MAX_LOST,
            plan.planned_start,
            detect,
            hold,
            finish,
            start,
            keep_start,
        )
    return finish, start, hold


def _holds(plan: _Plan, problem: Problem, schedule: Schedule) -> tuple[_Plan, tuple[str, ...]]:
    """The plan with its deliberate holds, and the held tasks' names. Raises ValueError if
    the plan breaks its own constraints (a task that cannot start when it is planned to:
    a precedence, a release or a capacity broken)."""
    exact = Uncertainty().collapsed()
    draws, survey_u = _draw(exact, plan.teams, 1, int((plan.survey_column >= 0).sum()), 0)
    _, start, hold = _run(plan, exact, draws, survey_u, detect=True, keep_start=True)
    started = start[0, plan.order].astype(np.float64)
    late = np.nonzero(started > plan.planned_start)[0]
    if late.size:
        name = problem.tasks[int(plan.order[late[0]])].name
        ready = started[late[0]]
        raise ValueError(
            f"the schedule is not feasible: task {name!r} is planned to start at "
            f"{schedule.starts[name]} but its release, predecessors or teams let it start "
            f"only at {ready:g} (check it with safeground.planning.checker)"
        )
    names = tuple(problem.tasks[int(j)].name for j in plan.order[hold > 0])
    return replace(plan, hold=hold), names


class Prepared:
    """A plan compiled once for many simulations (the tornado runs one per uncertainty)."""

    def __init__(
        self,
        problem: Problem,
        schedule: Schedule,
        work: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self.problem = problem
        self.schedule = schedule
        plan = _compile(problem, schedule, work)
        self._plan, self.held = _holds(plan, problem, schedule)
        n = len(problem.tasks)
        self.planned_start = np.empty(n)
        self.planned_finish = np.empty(n)
        for j, task in enumerate(problem.tasks):
            self.planned_start[j] = schedule.starts[task.name]
            self.planned_finish[j] = schedule.end(problem, task.name)
        self.n_surveyed = int((self._plan.survey_column >= 0).sum())

    def simulate(
        self, uncertainty: Uncertainty, *, runs: int, seed: int, keep_start: bool = False
    ) -> Simulation:
        """See :func:`simulate`."""
        if not isinstance(uncertainty, Uncertainty):
            raise ValueError(f"uncertainty must be an Uncertainty, got {uncertainty!r}")
        if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
            raise ValueError(f"runs must be a positive integer, got {runs!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
        draws, survey_u = _draw(uncertainty, self._plan.teams, runs, self.n_surveyed, seed)
        finish, start, _ = _run(self._plan, uncertainty, draws, survey_u, keep_start=keep_start)
        return Simulation(
            tasks=tuple(t.name for t in self.problem.tasks),
            planned_start=_frozen(self.planned_start.copy()),
            planned_finish=_frozen(self.planned_finish.copy()),
            finish=_frozen(finish),
            start=_frozen(start) if keep_start else None,
            held=self.held,
            draws=draws,
            seed=seed,
        )


def simulate(
    problem: Problem,
    schedule: Schedule,
    uncertainty: Uncertainty,
    *,
    runs: int = 10_000,
    seed: int = 0,
    work: Mapping[str, tuple[str, str]] | None = None,
    keep_start: bool = False,
) -> Simulation:
    """``runs`` Monte Carlo runs of ``schedule`` (a plan of ``problem``) under ``uncertainty``.

    ``work`` maps task names to (kind of work, record id), as ``FieldProblem.tasks`` does;
    without it the kinds come from the task names (``survey:<area>``, ``clear:<area>``,
    ``eod:<asset>``, ``rebuild:<asset>``). It tells which clearances follow a technical
    survey of their own area (they get the survey outcome). ``keep_start`` keeps every
    task's start in every run too (twice the memory).

    Returns a :class:`Simulation`, reproducible from ``seed``. Raises ValueError if the
    schedule does not cover the problem or breaks its constraints, if a resource's capacity
    ever falls over time (not modelled), or for runs < 1 or a negative seed.
    """
    return Prepared(problem, schedule, work).simulate(
        uncertainty, runs=runs, seed=seed, keep_start=keep_start
    )
