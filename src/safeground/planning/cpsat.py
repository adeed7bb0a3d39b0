"""The OR-Tools CP-SAT adapter: variables, constraints, objective; imported lazily.

Nothing at module level imports ortools: every function imports it when called, so
``import safeground.planning`` stays light and works without the solver installed.

The model (one per problem, built by :func:`build`):

* **variables**: a start per task, its domain cut to the precedence window
  ``[earliest start, latest finish - duration]`` (longest paths, :mod:`windows`); per
  usable mode an optional fixed-size interval sharing the start, exactly one present; an
  end per task.
* **constraints**: precedences with lags; one cumulative per renewable resource, a
  capacity profile being fixed intervals that block what is missing below the peak;
  a no-overlap over the intervals needing more than half a resource (redundant, it
  propagates better); nonrenewable budgets; releases, deadlines, the horizon and fixed
  starts and modes as domains, or as constraints enforced by assumption literals when
  naming the deadlines behind an infeasibility.
* **objective**: the makespan, or the weighted sum of ends (weights scaled to integers),
  or several of these: in stages (:func:`solve_staged`: optimise the first, bound it,
  optimise the next in the time left) or as one weighted sum (:func:`solve_combined`,
  for the small models of large-neighbourhood search).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from safeground.planning.model import Objective, Problem, Schedule
from safeground.planning.windows import (
    earliest_starts,
    latest_finishes,
    safe_horizon,
    shortest_durations,
    usable_modes,
)

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

#: Combined objectives stay below this so that CP-SAT's doubles hold them exactly.
_EXACT = 2**53


def integer_weights(weights: Sequence[float]) -> tuple[list[int], int, bool]:
    """Weights as integers ``w * scale``: the smallest power of ten up to 10**6 that makes
    them all integral (``exact`` True), else rounded at 10**6 (``exact`` False)."""
    for digits in range(7):
        scale = 10**digits
        scaled = [w * scale for w in weights]
        if all(abs(x - round(x)) < 1e-9 * max(1.0, abs(x)) for x in scaled):
            return [round(x) for x in scaled], scale, True
    scale = 10**6
    return [round(w * scale) for w in weights], scale, False


@dataclass
class Built:
    """A CP-SAT model of a problem and its variables, indexed like ``problem.tasks``."""

    problem: Problem
    model: cp_model.CpModel
    horizon: int
    start: list[cp_model.IntVar]
    end: list[Any]  # IntVar, or an affine expression of the start for one-mode tasks
    end_var: list[cp_model.IntVar | None]
    modes: list[list[tuple[int, Any]]]  # per task: (mode index, presence literal or None)
    makespan: cp_model.IntVar | None = None
    weights: list[int] = field(default_factory=list)
    weight_scale: int = 1
    assumptions: dict[int, str] = field(default_factory=dict)  # literal index -> meaning
    notes: list[str] = field(default_factory=list)
    intervals: dict[int, list[tuple[int, Any, Any]]] = field(default_factory=dict)


def build(
    problem: Problem,
    horizon: int,
    *,
    assume: bool = False,
    upper_ends: Sequence[int] | None = None,
) -> Built:
    """The model with every task ending by ``horizon``.

    With ``assume``, deadlines, the problem's horizon and fixed starts are constraints
    enforced by literals (in ``Built.assumptions``) rather than domains, so that CP-SAT
    can say which of them clash. ``upper_ends`` are extra per-task limits on the end
    (bounds implied by an incumbent)."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    usable = usable_modes(problem)
    if assume:
        relaxed = replace(
            problem,
            tasks=tuple(
                replace(t, deadline=None, fixed_start=None, fixed_mode=None) for t in problem.tasks
            ),
            horizon=None,
        )
        usable = usable_modes(relaxed)
        windows_of = relaxed
    else:
        windows_of = problem
    durations = shortest_durations(windows_of, usable)
    est = earliest_starts(windows_of, durations).start
    lft = latest_finishes(windows_of, durations, horizon)
    if upper_ends is not None:
        lft = [min(a, b) for a, b in zip(lft, upper_ends, strict=True)]

    built = Built(problem, model, horizon, [], [], [], [])
    for j, task in enumerate(problem.tasks):
        lo, hi = est[j], lft[j]
        pinned = not assume and task.fixed_start is not None
        options = [k for k in usable[j] if lo + task.modes[k].duration <= hi]
        if not options:
            built.notes.append(f"task {task.name!r} has no mode that fits its time window")
            model.add_bool_or([])  # infeasible: say so rather than fail to build
            options = list(usable[j]) or [0]
            hi = max(hi, lo + max(task.modes[k].duration for k in options))
        shortest = min(task.modes[k].duration for k in options)
        start = model.new_int_var(lo, lo if pinned else max(lo, hi - shortest), f"s{j}")
        built.start.append(start)
        if len(options) == 1:
            k = options[0]
            built.modes.append([(k, None)])
            built.end.append(start + task.modes[k].duration)
            built.end_var.append(None)
        else:
            literals = [model.new_bool_var(f"x{j}_{k}") for k in options]
            model.add_exactly_one(literals)
            end = model.new_int_var(lo + shortest, max(lo + shortest, hi), f"e{j}")
            model.add(
                end
                == start
                + sum(task.modes[k].duration * x for k, x in zip(options, literals, strict=True))
            )
            built.modes.append(list(zip(options, literals, strict=True)))
            built.end.append(end)
            built.end_var.append(end)
    _add_precedences(built)
    _add_resources(built)
    _add_budgets(built)
    if assume:
        _add_assumed_limits(built)
    return built


def _add_precedences(built: Built) -> None:
    for j, preds in enumerate(built.problem.predecessors):
        for i, lag in preds:
            built.model.add(built.start[j] >= built.end[i] + lag)


def _intervals(built: Built, j: int) -> list[tuple[int, Any, Any]]:
    """(mode, interval, literal) for each mode of task j, intervals made on first use."""
    cache = built.intervals
    if j not in cache:
        task = built.problem.tasks[j]
        out = []
        for k, lit in built.modes[j]:
            d = task.modes[k].duration
            if lit is None:
                iv = built.model.new_fixed_size_interval_var(built.start[j], d, f"i{j}_{k}")
            else:
                iv = built.model.new_optional_fixed_size_interval_var(
                    built.start[j], d, lit, f"i{j}_{k}"
                )
            out.append((k, iv, lit))
        cache[j] = out
    return cache[j]


def _add_resources(built: Built) -> None:
    problem, model = built.problem, built.model
    for resource in problem.resources:
        users: list[tuple[Any, int]] = []
        for j, task in enumerate(problem.tasks):
            if not any(
                task.modes[k].demands.get(resource.name, 0) and task.modes[k].duration
                for k, _ in built.modes[j]
            ):
                continue
            for k, iv, _ in _intervals(built, j):
                q = task.modes[k].demands.get(resource.name, 0)
                if q > 0 and task.modes[k].duration > 0:
                    users.append((iv, q))
        if not users:
            continue
        steps = [(t, c) for t, c in resource.steps() if t < built.horizon]
        peak = max(c for _, c in steps)
        blocks: list[tuple[Any, int]] = []
        for s, (when, capacity) in enumerate(steps):
            until = steps[s + 1][0] if s + 1 < len(steps) else built.horizon
            if capacity < peak and until > when:
                iv = model.new_fixed_size_interval_var(
                    when, until - when, f"block_{resource.name}_{s}"
                )
                blocks.append((iv, peak - capacity))
        everything = users + blocks
        model.add_cumulative([iv for iv, _ in everything], [q for _, q in everything], peak)
        heavy = [iv for iv, q in users if 2 * q > peak]
        if len(heavy) > 1:
            model.add_no_overlap(heavy)


def _add_budgets(built: Built) -> None:
    problem = built.problem
    for name, budget in problem.nonrenewable.items():
        terms: list[Any] = []
        constant = 0
        for j, task in enumerate(problem.tasks):
            for k, lit in built.modes[j]:
                q = task.modes[k].demands.get(name, 0)
                if q and lit is None:
                    constant += q
                elif q:
                    terms.append(q * lit)
        if terms or constant > budget:
            built.model.add(sum(terms) + constant <= budget)


def _add_assumed_limits(built: Built) -> None:
    """Deadlines, the horizon and fixed starts, each behind a literal to assume."""
    problem, model = built.problem, built.model
    for j, task in enumerate(problem.tasks):
        if task.deadline is not None:
            lit = model.new_bool_var(f"deadline_{j}")
            model.add(built.end[j] <= task.deadline).only_enforce_if(lit)
            built.assumptions[lit.index] = f"the deadline {task.deadline} of task {task.name!r}"
        if task.fixed_start is not None or task.fixed_mode is not None:
            lit = model.new_bool_var(f"fixed_{j}")
            what = []
            if task.fixed_start is not None:
                model.add(built.start[j] == task.fixed_start).only_enforce_if(lit)
                what.append(f"start {task.fixed_start}")
            if task.fixed_mode is not None:
                for k, x in built.modes[j]:
                    if k != task.fixed_mode and x is not None:
                        model.add_implication(lit, ~x)
                    if k != task.fixed_mode and x is None:
                        model.add_bool_or([~lit])
                what.append(f"mode {task.fixed_mode}")
            built.assumptions[lit.index] = f"the fixed {' and '.join(what)} of task {task.name!r}"
    if problem.horizon is not None:
        lit = model.new_bool_var("horizon")
        for end in built.end:
            model.add(end <= problem.horizon).only_enforce_if(lit)
        built.assumptions[lit.index] = f"the horizon {problem.horizon}"
    model.add_assumptions([model.get_bool_var_from_proto_index(i) for i in built.assumptions])


def makespan_var(built: Built, floor: int = 0) -> Any:
    """The makespan, created once: at least every end without a successor, and ``floor``."""
    if built.makespan is None:
        m = built.model.new_int_var(min(floor, built.horizon), built.horizon, "makespan")
        for j, succs in enumerate(built.problem.successors):
            if not succs:
                built.model.add(m >= built.end[j])
        built.makespan = m
    return built.makespan


def weighted_sum(built: Built) -> Any:
    if not built.weights:
        built.weights, built.weight_scale, exact = integer_weights(
            [t.weight for t in built.problem.tasks]
        )
        if not exact:
            built.notes.append("weights were rounded to 6 decimals for the solver")
    return sum(w * e for w, e in zip(built.weights, built.end, strict=True) if w)


def criterion_expr(built: Built, criterion: Objective, floor: int = 0) -> Any:
    return makespan_var(built, floor) if criterion is Objective.MAKESPAN else weighted_sum(built)


def add_hint(built: Built, schedule: Schedule) -> None:
    """Hint every variable from ``schedule`` (missing tasks are left out)."""
    problem, model = built.problem, built.model
    model.clear_hints()  # type: ignore[no-untyped-call]
    ends: list[int] = []
    for j, task in enumerate(problem.tasks):
        s = schedule.starts.get(task.name)
        k = schedule.modes.get(task.name)
        if s is None or k is None or not 0 <= k < len(task.modes):
            ends.append(-1)
            continue
        model.add_hint(built.start[j], s)
        for mode, lit in built.modes[j]:
            if lit is not None:
                model.add_hint(lit, mode == k)
        end = s + task.modes[k].duration
        var = built.end_var[j]
        if var is not None:
            model.add_hint(var, end)
        ends.append(end)
    if built.makespan is not None and all(e >= 0 for e in ends):
        model.add_hint(built.makespan, max(ends, default=0))


@dataclass
class Outcome:
    """What one CP-SAT run found: a status, a schedule, the objective value and bound."""

    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN (CP-SAT's names)
    schedule: Schedule | None
    value: float | None
    bound: float | None
    wall: float


def run(
    built: Built,
    objective: Any,
    *,
    time_limit: float,
    workers: int,
    seed: int,
    scale: int = 1,
) -> Outcome:
    """Minimise ``objective`` (or only search for a schedule if it is None)."""
    from ortools.sat.python import cp_model

    model = built.model
    if objective is None:
        model.clear_objective()  # type: ignore[no-untyped-call]
    else:
        model.minimize(objective)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    solver.parameters.repair_hint = False
    solver.parameters.fix_variables_to_their_hinted_value = False
    solver.parameters.log_search_progress = False
    began = time.perf_counter()
    status = solver.solve(model)
    wall = time.perf_counter() - began
    name = solver.status_name(status)
    if name == "MODEL_INVALID":
        raise RuntimeError(f"CP-SAT rejected the model: {model.validate()}")
    if name not in ("OPTIMAL", "FEASIBLE"):
        return Outcome(name, None, None, None, wall)
    problem = built.problem
    starts: dict[str, int] = {}
    modes: dict[str, int] = {}
    for j, task in enumerate(problem.tasks):
        starts[task.name] = solver.value(built.start[j])
        modes[task.name] = next(
            k for k, lit in built.modes[j] if lit is None or solver.boolean_value(lit)
        )
    value = bound = None
    if objective is not None:
        value = solver.objective_value / scale
        bound = solver.best_objective_bound / scale
    return Outcome(name, Schedule(starts, modes), value, bound, wall)


@dataclass
class StageOutcome:
    criterion: Objective
    outcome: Outcome


def solve_staged(
    problem: Problem,
    *,
    horizon: int,
    time_limit: float,
    workers: int,
    seed: int,
    incumbent: Schedule | None,
    upper_ends: Sequence[int] | None = None,
    makespan_floor: int = 0,
) -> tuple[list[StageOutcome], list[str]]:
    """Optimise the objective's criteria one after the other, each bounded by the value
    found for the ones before, sharing ``time_limit``; the incumbent is the hint.
    ``makespan_floor`` is a lower bound on the makespan already proven (by an earlier run)."""
    began = time.perf_counter()
    built = build(problem, horizon, upper_ends=upper_ends)
    criteria = problem.objective.criteria
    stages: list[StageOutcome] = []
    hint = incumbent
    for position, criterion in enumerate(criteria):
        left = time_limit - (time.perf_counter() - began)
        share = left if position == len(criteria) - 1 else left * 0.6
        expr = criterion_expr(built, criterion, makespan_floor)
        if hint is not None:
            add_hint(built, hint)
        scale = built.weight_scale if criterion is Objective.WEIGHTED_COMPLETION else 1
        outcome = run(built, expr, time_limit=share, workers=workers, seed=seed, scale=scale)
        stages.append(StageOutcome(criterion, outcome))
        if outcome.schedule is None or outcome.value is None:
            break
        hint = outcome.schedule
        if position < len(criteria) - 1:
            # keep what this stage reached while optimising the next criterion
            best = round(outcome.value * scale)
            built.model.add(expr <= best)
    return stages, built.notes


def solve_combined(
    problem: Problem,
    *,
    horizon: int,
    time_limit: float,
    workers: int,
    seed: int,
    incumbent: Schedule | None,
    makespan_floor: int = 0,
    compact: bool = False,
) -> Outcome:
    """Minimise the criteria as one weighted sum (earlier criteria dominate), plus, with
    ``compact``, the sum of ends as the last tie-break. Levels that would not fit exactly
    in a double are dropped from the end. The makespan counts at least ``makespan_floor``.
    The value reported is that of the combined objective."""
    built = build(problem, horizon)
    levels: list[tuple[Any, int]] = []  # (expression, largest value)
    for criterion in problem.objective.criteria:
        if criterion is Objective.MAKESPAN:
            levels.append((makespan_var(built, makespan_floor), horizon))
        else:
            expr = weighted_sum(built)
            levels.append((expr, sum(built.weights) * horizon))
    if compact:
        levels.append((sum(built.end), len(problem.tasks) * horizon))
    while len(levels) > 1 and math.prod(ub + 1 for _, ub in levels) >= _EXACT:
        levels.pop()
    objective: Any = 0
    factor = 1
    for expr, ub in reversed(levels):
        objective = objective + factor * expr
        factor *= ub + 1
    if incumbent is not None:
        add_hint(built, incumbent)
    return run(built, objective, time_limit=time_limit, workers=workers, seed=seed)


def name_conflicts(
    problem: Problem, *, time_limit: float, workers: int, seed: int
) -> tuple[str, list[str]]:
    """Ask CP-SAT which deadlines, fixed starts and horizon clash, by assumptions.

    Returns CP-SAT's status and the limits in a conflicting set (shrunk by deletion while
    time allows; not necessarily the smallest)."""
    began = time.perf_counter()
    horizon = safe_horizon(replace(problem, horizon=None), usable_modes(problem))
    built = build(problem, horizon, assume=True)
    status, core = _core(built, time_limit / 2, seed)
    if status != "INFEASIBLE":
        return status, []
    # deletion filter: drop each limit in turn, keep it out if still infeasible
    k = 0
    while k < len(core) and time.perf_counter() - began < time_limit * 0.8:
        trial = core[:k] + core[k + 1 :]
        if _infeasible_with(built, trial, (time_limit * 0.8) / max(1, len(core)), seed):
            core = trial
        else:
            k += 1
    return "INFEASIBLE", [built.assumptions[i] for i in core]


def _core(built: Built, time_limit: float, seed: int) -> tuple[str, list[int]]:
    """CP-SAT's status under every assumption and, if infeasible, a sufficient subset."""
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    solver.parameters.num_workers = 1  # cores of assumptions come from a single worker
    solver.parameters.random_seed = seed
    status = solver.status_name(solver.solve(built.model))
    if status != "INFEASIBLE":
        return status, []
    core = solver.sufficient_assumptions_for_infeasibility()
    return status, sorted(i for i in core if i in built.assumptions)


def _infeasible_with(built: Built, literals: list[int], time_limit: float, seed: int) -> bool:
    from ortools.sat.python import cp_model

    model = built.model
    model.clear_assumptions()
    model.add_assumptions([model.get_bool_var_from_proto_index(i) for i in literals])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    return bool(solver.status_name(status) == "INFEASIBLE")


__all__ = [
    "Built",
    "Outcome",
    "build",
    "integer_weights",
    "name_conflicts",
    "run",
    "solve_combined",
    "solve_staged",
]
