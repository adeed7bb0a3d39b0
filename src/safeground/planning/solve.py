"""``solve(problem, time_limit=...) -> Result``: the planning pipeline.

1. **Explain first**: conflicts visible without search (:mod:`explain`) end the run with
   INFEASIBLE and their description.
2. **Warm start**: :func:`heuristics.heuristic_schedule` (and the caller's ``hint``, if it
   is a valid schedule) give an incumbent, checked by :func:`check_schedule`.
   Where it applies (one mode per task, makespan first, no deadline, fixed start, horizon
   or budget: the classic RCPSP), the genetic algorithm (:mod:`genetic`) improves the
   incumbent for a share of the time that grows with the size of the problem
   (:func:`genetic_share`: a tenth on 30 tasks, 85 % on 120), and CP-SAT then has the
   time left, with the genetic schedule as hint and its makespan as horizon, to prove
   optimality or raise the lower bound (large-neighbourhood search rarely finds better
   around the genetic schedule, so it is skipped). For the makespan alone, without
   releases or capacity changes, CP-SAT first has half of that time; if it proves
   nothing, short genetic runs from fresh populations, backwards and forwards, take part
   of the rest and CP-SAT the remainder (:func:`_second_round`).
3. **Search**: CP-SAT on the whole problem (:mod:`cpsat`) with the incumbent as a hint
   and its makespan as the horizon, criteria optimised in stages for lexicographic
   objectives, for half the time left; if it proves nothing, large-neighbourhood search
   (:mod:`lns`) from the best schedule for the rest (with 2 workers CP-SAT improves slowly
   on 120-task instances; the two together do better than either alone). For large
   problems (more than :data:`LARGE` tasks, or ``lns=True``), large-neighbourhood search
   from the incumbent only; ``lns=False``: CP-SAT only.
4. **Report**: status, objective, lower bound (CP-SAT's bound, or the critical-path and
   resource-energy bounds, whichever is higher), gap and runtime, with an explanation in
   words. If CP-SAT proves infeasibility, CP-SAT is asked which deadlines, fixed starts or
   horizon clash (by assumptions). If it finds nothing in time, the incumbent is returned.

Every schedule returned has passed :func:`check_schedule`.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

from safeground.planning.checker import check_schedule
from safeground.planning.explain import find_conflicts
from safeground.planning.heuristics import heuristic_schedule
from safeground.planning.model import (
    Objective,
    Problem,
    Result,
    Schedule,
    StageResult,
    Status,
)
from safeground.planning.windows import (
    critical_path_bound,
    earliest_starts,
    energy_bound,
    safe_horizon,
    shortest_durations,
    usable_modes,
)

#: Above this many tasks, solve() uses large-neighbourhood search by default.
LARGE = 1500


class SolverError(RuntimeError):
    """A solver produced a schedule the checker refuses: a bug, never a data problem."""


def solve(
    problem: Problem,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int = 2,
    hint: Schedule | None = None,
    lns: bool | None = None,
) -> Result:
    """Schedule ``problem`` within about ``time_limit`` seconds.

    ``workers`` is CP-SAT's number of threads; ``seed`` seeds every random choice (runs
    are not bit-for-bit repeatable all the same: how much work fits in the time varies
    with the machine and its load). ``hint`` is a schedule to start from (a previous plan, for
    re-planning): used as the incumbent if it is valid, else only as a search hint.
    ``lns`` forces (True) or forbids (False) large-neighbourhood search; by default it is
    used above :data:`LARGE` tasks. Raises ValueError for a non-positive ``time_limit`` or
    ``workers``; a problem without a schedule is a Result with status INFEASIBLE.
    """
    if not time_limit > 0:
        raise ValueError(f"time_limit must be > 0 seconds, got {time_limit}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    began = time.perf_counter()
    deadline = began + time_limit
    notes: list[str] = []

    def elapsed() -> float:
        return time.perf_counter() - began

    if not problem.tasks:
        empty = Schedule({}, {})
        stages = tuple(StageResult(c, 0.0, 0.0, True) for c in problem.objective.criteria)
        return Result(Status.OPTIMAL, empty, 0.0, 0.0, 0.0, elapsed(), ["no tasks"], stages)

    conflicts = find_conflicts(problem)
    if conflicts:
        notes = [c.message for c in conflicts]
        return Result(Status.INFEASIBLE, None, None, None, None, elapsed(), notes)

    usable = usable_modes(problem)
    durations = shortest_durations(problem, usable)
    est = earliest_starts(problem, durations).start
    bounds = {
        Objective.MAKESPAN: float(
            max(critical_path_bound(problem, durations, est), energy_bound(problem, usable))
        ),
        Objective.WEIGHTED_COMPLETION: math.fsum(
            t.weight * (est[j] + durations[j]) for j, t in enumerate(problem.tasks)
        ),
    }
    big = len(problem.tasks) > LARGE
    use_lns = big if lns is None else lns

    # the warm start matters most where the search is weakest: large problems
    if use_lns:
        budget = min(0.25 * time_limit, 5.0)
    else:
        budget = min(0.1 * time_limit, 0.02 + 0.002 * len(problem.tasks))
    found = heuristic_schedule(problem, time_limit=budget, seed=seed)
    incumbent = found.schedule
    if incumbent is not None:
        _assert_valid(problem, incumbent, "the heuristic")
        notes.append(
            f"heuristic ({found.label}, {found.runs} runs, {found.runtime:.2f} s): "
            f"{_describe(problem, incumbent)}"
        )
    else:
        notes.append(f"the heuristic found no schedule in {found.runs} runs")
    from safeground.planning import genetic

    evolved = not use_lns and genetic.applies(problem)
    if evolved:
        incumbent = _evolve(problem, incumbent, bounds, deadline, seed, workers, notes)
    search_hint = incumbent
    if hint is not None:
        broken = check_schedule(problem, hint)
        if not broken:
            notes.append(f"the given hint is a valid schedule: {_describe(problem, hint)}")
            if incumbent is None or hint.key(problem) <= incumbent.key(problem):
                incumbent = search_hint = hint
        else:
            notes.append(
                f"the given hint breaks {len(broken)} constraint(s) (first: "
                f"{broken[0].message}); it is used only to guide the search"
            )
            if incumbent is None:
                search_hint = _partial_hint(problem, hint)

    proven: dict[Objective, tuple[float, bool]] = {}
    schedule = incumbent
    if not (use_lns and incumbent is not None):
        if use_lns:
            notes.append("no schedule to start large-neighbourhood search from: CP-SAT alone")
        # small problems: CP-SAT on the whole model first (it proves many optima at once);
        # if it cannot prove one, large-neighbourhood search uses the rest of the time
        # (after the genetic algorithm, neighbourhoods of its schedule rarely hold a better
        # one: CP-SAT takes all the time left, to prove what it can)
        share = 1.0 if use_lns or lns is False or evolved else 0.5
        again = evolved and _second_round_applies(problem)
        if again:
            share = FIRST_CPSAT_SHARE
        outcome = _solve_cpsat(
            problem, incumbent, search_hint, usable, deadline, share, seed, workers, notes
        )
        if isinstance(outcome, Status):
            return Result(outcome, None, None, None, None, elapsed(), notes)
        schedule, proven = outcome
        if again and not proven.get(Objective.MAKESPAN, (0.0, False))[1]:
            schedule, proven = _second_round(
                problem, schedule, proven, bounds, usable, deadline, seed, workers, notes
            )
    if schedule is None:  # for the type checker: both branches above leave one
        raise SolverError("no schedule and no status")
    settled = all(
        proven.get(c, (0.0, False))[1] for c in problem.objective.criteria
    ) or _meets_bound(problem, schedule, bounds)
    left = deadline - time.perf_counter()
    if lns is not False and not evolved and not settled and left > 0.3:
        from safeground.planning.lns import improve

        before = schedule.key(problem)
        margin = 0.1 + 0.00003 * len(problem.tasks)
        better, stats = improve(
            problem, schedule, deadline=deadline - margin, seed=seed, workers=workers
        )
        _assert_valid(problem, better, "large-neighbourhood search")
        notes.append(
            f"large-neighbourhood search: {stats.iterations} moves, {stats.improvements} "
            f"improvements, {_describe(problem, better)} (from {_fmt(before)})"
        )
        if better.key(problem) < schedule.key(problem):
            schedule = better
            # CP-SAT's bound on a later criterion held only at the earlier values it had
            first = problem.objective.criteria[0]
            proven = {c: v for c, v in proven.items() if c is first}
    return _result(problem, schedule, bounds, proven, elapsed(), notes)


def genetic_share(tasks: int) -> float:
    """The share of the time limit the genetic algorithm takes on a problem of ``tasks``
    tasks: little on small problems, which CP-SAT proves optimal, most on large ones,
    where its upper bounds beat CP-SAT's (which still gives the lower bound)."""
    return min(0.85, max(0.05, (tasks - 20) / 120))


#: On single-mode makespan problems, the share of the time left after the genetic
#: algorithm that CP-SAT has first; if it proves nothing, part of the rest goes to fresh
#: genetic runs and the remainder to CP-SAT again (:func:`_second_round`).
FIRST_CPSAT_SHARE = 0.5

#: The share of what is left after the first CP-SAT run that the fresh genetic runs take.
RESTART_SHARE = 0.6


def _second_round_applies(problem: Problem) -> bool:
    from safeground.planning import genetic

    return problem.objective.criteria == (Objective.MAKESPAN,) and genetic.reversible(problem)


def _second_round(
    problem: Problem,
    schedule: Schedule,
    proven: dict[Objective, tuple[float, bool]],
    bounds: dict[Objective, float],
    usable: list[tuple[int, ...]],
    deadline: float,
    seed: int,
    workers: int,
    notes: list[str],
) -> tuple[Schedule, dict[Objective, tuple[float, bool]]]:
    """When CP-SAT has proven nothing: short genetic runs from fresh populations, one
    scheduling backwards (the project read from its end), the next forwards, and so on,
    each with its own seed; then CP-SAT for the rest of the time with the best schedule
    as hint and its first bound as the floor. Returns the best schedule and CP-SAT's
    bound on the makespan.

    Why: on the hardest small instances the first genetic run and CP-SAT stall at the
    same schedule, one above the optimum; a long run stays in that basin, whereas several
    short runs from scratch, half of them in the mirrored search space, reach the optimum
    far more often for the same time (j3029_8: 3 seeds of 6 in 2 s, against none of 3
    in 8 s for one forward run)."""
    from safeground.planning import genetic

    solver_bound = proven.get(Objective.MAKESPAN, (0.0, False))[0]
    floor = math.ceil(max(bounds[Objective.MAKESPAN], solver_bound) - 1e-9)
    began = time.perf_counter()
    stop = began + (deadline - began) * RESTART_SHARE
    if deadline - began < 0.5 or schedule.makespan(problem) <= floor:
        return schedule, proven
    each = max(0.4, 0.01 * len(problem.tasks))
    runs: list[int] = []
    while time.perf_counter() < stop - 0.05 and schedule.makespan(problem) > floor:
        found = genetic.evolve(
            problem,
            time_limit=min(each, stop - time.perf_counter()),
            seed=seed + 1 + len(runs),
            islands=workers,
            lower_bound=floor,
            backward=len(runs) % 2 == 0,
        )
        _assert_valid(problem, found.schedule, "the genetic algorithm")
        runs.append(found.makespan)
        if found.schedule.key(problem) < schedule.key(problem):
            schedule = found.schedule
    notes.append(
        f"CP-SAT proved nothing: {len(runs)} fresh genetic runs, backwards and forwards "
        f"({time.perf_counter() - began:.2f} s): makespans {', '.join(map(str, runs))}"
    )
    if schedule.makespan(problem) <= floor:
        return schedule, proven
    outcome = _solve_cpsat(
        problem, schedule, schedule, usable, deadline, 1.0, seed, workers, notes, floor=floor
    )
    if isinstance(outcome, Status):  # pragma: no cover - it has a schedule to keep
        return schedule, proven
    again, proven_again = outcome
    bound, optimal = proven_again.get(Objective.MAKESPAN, (float(floor), False))
    return again, {Objective.MAKESPAN: (max(bound, solver_bound), optimal)}


def _evolve(
    problem: Problem,
    incumbent: Schedule | None,
    bounds: dict[Objective, float],
    deadline: float,
    seed: int,
    workers: int,
    notes: list[str],
) -> Schedule | None:
    """The genetic algorithm's schedule if it beats ``incumbent`` (which it starts from)."""
    left = deadline - time.perf_counter()
    from safeground.planning import genetic

    share = genetic_share(len(problem.tasks))
    found = genetic.evolve(
        problem,
        time_limit=max(0.01, left * share),
        seed=seed,
        islands=workers,
        lower_bound=int(bounds[Objective.MAKESPAN]),
        initial=incumbent,
    )
    _assert_valid(problem, found.schedule, "the genetic algorithm")
    notes.append(
        f"genetic algorithm ({found.generations} generations, {found.schedules} schedules, "
        f"{found.runtime:.2f} s): makespan {found.makespan}"
    )
    if incumbent is None or found.schedule.key(problem) < incumbent.key(problem):
        return found.schedule
    return incumbent


def _meets_bound(problem: Problem, schedule: Schedule, bounds: dict[Objective, float]) -> bool:
    first = problem.objective.criteria[0]
    return len(problem.objective.criteria) == 1 and schedule.value(problem, first) <= bounds[first]


def _solve_cpsat(
    problem: Problem,
    incumbent: Schedule | None,
    search_hint: Schedule | None,
    usable: list[tuple[int, ...]],
    deadline: float,
    share: float,
    seed: int,
    workers: int,
    notes: list[str],
    floor: int = 0,
) -> Status | tuple[Schedule, dict[Objective, tuple[float, bool]]]:
    """CP-SAT on the whole problem for ``share`` of the time left: the best schedule and,
    per criterion, CP-SAT's bound and whether it is proven optimal; or INFEASIBLE or
    UNKNOWN (with ``notes`` saying why) if there is no schedule. ``floor`` is a makespan
    no schedule can beat, proven before."""
    from safeground.planning.cpsat import name_conflicts, solve_staged

    criteria = problem.objective.criteria
    horizon = safe_horizon(problem, usable)
    upper_ends: list[int] | None = None
    if incumbent is not None:
        if criteria[0] is Objective.MAKESPAN:
            horizon = min(horizon, incumbent.makespan(problem))
        else:
            upper_ends = _completion_caps(problem, incumbent, usable)
    margin = 0.05 + 0.0002 * len(problem.tasks)
    left = (deadline - time.perf_counter() - margin) * share
    stages, model_notes = solve_staged(
        problem,
        horizon=horizon,
        time_limit=max(0.05, left),
        workers=workers,
        seed=seed,
        incumbent=search_hint,
        upper_ends=upper_ends,
        makespan_floor=floor,
    )
    notes.extend(model_notes)
    first = stages[0].outcome
    found_text = ""
    if first.value is not None:
        found_text = f", value {_fmt((first.value,))}, bound {_fmt((first.bound,))}"
    notes.append(
        f"CP-SAT ({workers} worker(s)), {criteria[0]}: {first.status.lower()} in "
        f"{first.wall:.2f} s{found_text}"
    )
    for stage in stages[1:]:
        o = stage.outcome
        notes.append(
            f"CP-SAT, then {stage.criterion} at that {criteria[0]}: {o.status.lower()} in "
            f"{o.wall:.2f} s"
        )
    found = [s.outcome.schedule for s in stages if s.outcome.schedule is not None]
    schedule = found[-1] if found else None
    if schedule is not None:
        _assert_valid(problem, schedule, "CP-SAT")
        if incumbent is not None and incumbent.key(problem) < schedule.key(problem):
            schedule = incumbent
    elif incumbent is not None:
        schedule = incumbent
        notes.append("CP-SAT found no schedule in time: the heuristic's schedule is kept")

    if schedule is None:
        if first.status == "INFEASIBLE":
            notes.append("CP-SAT proved that no schedule meets every constraint")
            left = max(0.5, deadline - time.perf_counter())
            status, named = name_conflicts(problem, time_limit=left, workers=workers, seed=seed)
            if named:
                notes.append("these limits cannot all be met together: " + "; ".join(named))
            elif status == "INFEASIBLE":
                notes.append(
                    "no deadline, fixed start or horizon is to blame: capacities, budgets, "
                    "releases and precedences alone leave no schedule"
                )
            return Status.INFEASIBLE
        notes.append(f"no schedule found in {first.wall:.1f} s, and no proof that none exists")
        return Status.UNKNOWN

    proven: dict[Objective, tuple[float, bool]] = {}
    for stage in stages:
        o = stage.outcome
        if o.bound is not None:
            # a later stage's bound holds given the earlier stages' values
            proven[stage.criterion] = (o.bound, o.status == "OPTIMAL")
    return schedule, proven


def _result(
    problem: Problem,
    schedule: Schedule,
    bounds: dict[Objective, float],
    proven: dict[Objective, tuple[float, bool]],
    runtime: float,
    notes: list[str],
) -> Result:
    stages: list[StageResult] = []
    all_optimal = True
    for position, criterion in enumerate(problem.objective.criteria):
        value = schedule.value(problem, criterion)
        bound = bounds[criterion] if position == 0 else None
        optimal = False
        if criterion in proven:
            solver_bound, solver_optimal = proven[criterion]
            bound = max(bound, solver_bound) if bound is not None else solver_bound
            optimal = solver_optimal
        if bound is not None:
            bound = min(bound, value)
            # integral objectives: a bound within rounding of the value closes the gap
            if value - bound < 1e-6 * max(1.0, abs(value)):
                optimal = True
        all_optimal = all_optimal and optimal
        stages.append(StageResult(criterion, value, bound, optimal))
    head = stages[0]
    gap = None if head.bound is None else (head.value - head.bound) / max(abs(head.value), 1.0)
    status = Status.OPTIMAL if all_optimal else Status.FEASIBLE
    return Result(status, schedule, head.value, head.bound, gap, runtime, notes, tuple(stages))


def _completion_caps(
    problem: Problem, incumbent: Schedule, usable: list[tuple[int, ...]]
) -> list[int]:
    """Ends no better schedule can exceed, from the incumbent's weighted completion:
    ``w_j * end_j <= W - sum over the others of w_i * (earliest end of i)``."""
    from safeground.planning.cpsat import integer_weights

    weights, _, exact = integer_weights([t.weight for t in problem.tasks])
    far = 2**62
    if not exact:
        return [far] * len(problem.tasks)
    durations = shortest_durations(problem, usable)
    est = earliest_starts(problem, durations).start
    ends = incumbent.ends(problem)
    total = sum(w * ends[t.name] for w, t in zip(weights, problem.tasks, strict=True))
    lowest = [w * (est[j] + durations[j]) for j, w in enumerate(weights)]
    floor_sum = sum(lowest)
    caps = []
    for j, w in enumerate(weights):
        caps.append(far if w == 0 else (total - (floor_sum - lowest[j])) // w)
    return caps


def _partial_hint(problem: Problem, hint: Schedule) -> Schedule:
    known = {n: s for n, s in hint.starts.items() if n in problem.task_index}
    return replace(hint, starts=known, modes={n: hint.modes[n] for n in known})


def _assert_valid(problem: Problem, schedule: Schedule, source: str) -> None:
    violations = check_schedule(problem, schedule)
    if violations:
        listed = "; ".join(f"[{v.kind}] {v.message}" for v in violations[:5])
        raise SolverError(f"{source} returned a schedule that breaks constraints: {listed}")


def _fmt(values: tuple[float | None, ...]) -> str:
    return "/".join("?" if v is None else f"{v:.10g}" for v in values)


def _describe(problem: Problem, schedule: Schedule) -> str:
    parts = [f"{c} {_fmt((schedule.value(problem, c),))}" for c in problem.objective.criteria]
    return ", ".join(parts)
