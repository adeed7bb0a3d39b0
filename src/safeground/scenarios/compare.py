"""The same work planned and forecast with each workforce scenario, side by side.

:func:`evaluate` turns a :class:`~safeground.scenarios.pools.Scenario` into teams per type
(its capacities, arriving as the pools ramp up) and work rates scaled by its productivity
factors, plans the work (:func:`plan_schedule`), forecasts the plan
(:func:`safeground.forecast.simulate`) and sums it up as a :class:`ScenarioResult`: P50 and
P80 working days to all priority land released and to all assets rebuilt, the workforce
floor (the critical path: no number of teams brings a date below it), the cost, the land
released a month. :func:`compare` does it for several scenarios and adds what 1,000 more
people buy between consecutive sizes, and says where the critical path binds.

**Where the critical path binds.** The floor of :func:`safeground.forecast.workforce_floor`
uses planned durations, while a forecast's P50 carries the uncertainty (lost days,
productivity, survey outcomes), so the two are not comparable as they stand. Each result
therefore also forecasts the plan's own modes with unlimited teams from day 0, under the
same uncertainty and seed (``floor_*_p50``): the P50 no workforce can beat. A measure
binds when the scenario's P50 is within ``tolerance`` (5 %) of that floor P50: more people
barely help; only other modes (machines, dogs, survey) or a different split of the work
would.

Pure apart from what it calls (planner and simulation); no I/O.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np

from safeground.forecast import Deliverables, Uncertainty, milestones, simulate, workforce_floor
from safeground.forecast.outputs import Measure, Milestones
from safeground.planning.fieldwork import (
    BUILDERS,
    DOGS,
    EOD,
    MACHINES,
    MANUAL,
    MANUAL_TEAMS,
    SURVEY,
    AreaWork,
    AssetWork,
    FieldProblem,
    Rates,
    build_problem,
    default_rates,
)
from safeground.planning.heuristics import ModeRule, PriorityRule, serial_sgs
from safeground.planning.model import Objective, Problem, Resource, Schedule
from safeground.scenarios.pools import (
    FrozenMap,
    Scenario,
    capacities,
    capacity_profiles,
    productivity_factors,
)

#: Working days in a month (260 a year), for the land released a month.
WORKING_DAYS_PER_MONTH = 260.0 / 12
#: A P50 within this share of the unlimited-teams P50 means the critical path binds.
TOLERANCE = 0.05
Binding = Literal["priority land", "assets"]
BINDINGS: tuple[Binding, ...] = ("priority land", "assets")
_PRIORITY_RULES = (
    PriorityRule.WSPT,
    PriorityRule.LFT,
    PriorityRule.LST,
    PriorityRule.MTS,
    PriorityRule.GRPW,
)
_MODE_RULES = (ModeRule.EARLIEST_FINISH, ModeRule.SHORTEST, ModeRule.LEAST_RESOURCE)


def scaled_rates(rates: Rates, factors: Mapping[str, float]) -> Rates:
    """``rates`` with each team type's pace multiplied by its factor (missing: 1.0):
    clearance and survey rates up, reconstruction and EOD check days down (whole days, at
    least 1). Survey is planned as a multiple of the manual rate, so its multiple is
    rescaled to keep the survey teams' own factor."""

    def f(team: str) -> float:
        return float(factors.get(team, 1.0))

    def days(d: int, team: str) -> int:
        return max(1, round(d / f(team)))

    return replace(
        rates,
        manual_team_m2_per_day=rates.manual_team_m2_per_day * f(MANUAL),
        dog_team_m2_per_day=rates.dog_team_m2_per_day * f(DOGS),
        machine_m2_per_day=rates.machine_m2_per_day * f(MACHINES),
        survey_speed_up=rates.survey_speed_up * f(SURVEY) / f(MANUAL),
        rebuild_days={k: days(d, BUILDERS) for k, d in rates.rebuild_days.items()},
        eod_check_days={k: days(d, EOD) for k, d in rates.eod_check_days.items()},
    )


def _ramped(resource: Resource, steps: tuple[tuple[int, int], ...]) -> Resource:
    if not steps:
        return resource
    if steps[0][0] == 0:
        return Resource(resource.name, steps[0][1], steps[1:])
    return Resource(resource.name, 0, steps)


def scenario_problem(
    scenario: Scenario,
    areas: Sequence[AreaWork],
    assets: Sequence[AssetWork],
    rates: Rates,
    *,
    objective: Objective = Objective.LEX_WEIGHTED_THEN_MAKESPAN,
    manual_teams: Sequence[int] = MANUAL_TEAMS,
) -> FieldProblem:
    """The planning problem of this work with this workforce: its teams per type arriving
    as the pools ramp up (capacity profiles), its rates scaled by its productivity
    factors. Raises ValueError (from ``build_problem``) when the scenario lacks a team
    type the work needs."""
    field_problem = build_problem(
        areas,
        assets,
        capacities(scenario),
        scaled_rates(rates, productivity_factors(scenario)),
        objective=objective,
        manual_teams=manual_teams,
    )
    profiles = capacity_profiles(scenario)
    problem = field_problem.problem
    ramped = tuple(_ramped(r, profiles.get(r.name, ())) for r in problem.resources)
    return FieldProblem(replace(problem, resources=ramped), field_problem.tasks)


def _key(problem: Problem, schedule: Schedule) -> tuple[float, ...]:
    return tuple(
        float(schedule.makespan(problem))
        if c is Objective.MAKESPAN
        else schedule.weighted_completion(problem)
        for c in problem.objective.criteria
    )


def plan_schedule(problem: Problem, *, time_limit: float | None = None, seed: int = 0) -> Schedule:
    """A plan of ``problem``.

    With ``time_limit=None`` (the default) a fixed portfolio of serial schedule-generation
    passes (5 priority rules x 3 mode rules), the best for the problem's objective: no
    clock and no randomness, so the same problem gives the same plan on any machine, under
    any load, in any process (what a sweep needs). With a time limit, the solver
    (:func:`safeground.planning.solve`, one worker, ``seed``): better plans, but what it
    finds depends on the machine's speed. Raises ValueError if no plan is found.
    """
    if time_limit is not None:
        from safeground.planning.solve import solve

        result = solve(problem, time_limit=time_limit, workers=1, seed=seed)
        if result.schedule is None:
            raise ValueError(f"no plan found: {result.status.value}")
        return result.schedule
    best: tuple[tuple[float, ...], Schedule] | None = None
    for rule in _PRIORITY_RULES:
        for mode_rule in _MODE_RULES:
            schedule = serial_sgs(problem, rule, mode_rule)
            if schedule is None:
                continue
            key = _key(problem, schedule)
            if best is None or key < best[0]:
                best = (key, schedule)
    if best is None:
        raise ValueError("no plan found: no greedy pass meets the deadlines and budgets")
    return best[1]


def _unlimited(problem: Problem, schedule: Schedule) -> Problem:
    """``problem`` with every team type as large as all of the plan's tasks at once, from
    day 0."""
    need = {r.name: 0 for r in problem.resources}
    for task in problem.tasks:
        for name, amount in task.modes[schedule.modes[task.name]].demands.items():
            if name in need:
                need[name] += amount
    resources = tuple(
        Resource(r.name, max(need[r.name], r.max_capacity)) for r in problem.resources
    )
    return replace(problem, resources=resources)


def _day(m: Milestones, percentile: float) -> float | None:
    value = m.at(1.0, percentile)
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario's forecast. Days are working days from the plan's start; ``None``
    where there is nothing of that kind (no priority land, no assets).

    ``*_p50`` / ``*_p80``: the day by which half / 80 % of runs have released all priority
    land or rebuilt all assets; ``completion_p50``: all work done. ``floor_priority_land``
    / ``floor_assets`` / ``floor_completion``: the critical path with planned durations and
    unlimited teams (``critical_path`` its tasks); ``floor_*_p50``: the same forecast with
    unlimited teams (see the module). ``cost``: the workforce's daily cost times
    ``completion_p50``. ``m2_per_month_p50``: all land to release over the P50 days to
    release it, a month of working days. ``teams``: teams per type; ``factors``: their
    productivity factors.
    """

    scenario: str
    people: int
    teams: Mapping[str, int]
    factors: Mapping[str, float]
    priority_land_p50: float | None
    priority_land_p80: float | None
    assets_p50: float | None
    assets_p80: float | None
    completion_p50: float
    floor_priority_land: float | None
    floor_assets: float | None
    floor_completion: float
    floor_priority_land_p50: float | None
    floor_assets_p50: float | None
    critical_path: tuple[str, ...] = field(repr=False)
    cost: float
    daily_cost: float
    m2_per_month_p50: float | None
    runs: int
    seed: int
    planner: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "teams", FrozenMap(self.teams))
        object.__setattr__(self, "factors", FrozenMap(self.factors))

    def gap(self, what: Binding) -> float | None:
        """How much later than with unlimited teams the P50 of ``what`` is, as a share
        (0.03: 3 % later); None where there is nothing to deliver."""
        if what == "priority land":
            p50, floor = self.priority_land_p50, self.floor_priority_land_p50
        else:
            p50, floor = self.assets_p50, self.floor_assets_p50
        if p50 is None or floor is None:
            return None
        return p50 / floor - 1 if floor > 0 else 0.0

    def binds(self, what: Binding, tolerance: float = TOLERANCE) -> bool:
        """Whether the critical path binds ``what``: its P50 is within ``tolerance`` of the
        P50 with unlimited teams, so more people barely help."""
        gap = self.gap(what)
        return gap is not None and gap <= tolerance

    def to_dict(self) -> dict[str, Any]:
        """Plain values (for JSON)."""
        out = asdict(self)
        out["teams"] = dict(self.teams)
        out["factors"] = dict(self.factors)
        out["critical_path"] = list(self.critical_path)
        return out


def evaluate(
    scenario: Scenario,
    areas: Sequence[AreaWork],
    assets: Sequence[AssetWork],
    *,
    rates: Rates | None = None,
    runs: int = 1_000,
    seed: int = 0,
    plan_time_limit: float | None = None,
    uncertainty: Uncertainty | None = None,
    priority_weight: float = 4.0,
) -> ScenarioResult:
    """Plan and forecast ``areas`` and ``assets`` with ``scenario``'s workforce.

    ``rates`` default to the shipped ones; ``plan_time_limit`` None plans
    deterministically (see :func:`plan_schedule`), a number uses the solver for that many
    seconds; ``runs`` Monte Carlo runs from ``seed`` under ``uncertainty`` (default
    :class:`Uncertainty`; its ramp-up is delay beyond the pools' own ramp-up, which the
    plan already has); areas of weight >= ``priority_weight`` are priority land.
    Raises ValueError when the scenario lacks a team type the work needs, or no plan is
    found.
    """
    rates = default_rates() if rates is None else rates
    uncertainty = Uncertainty() if uncertainty is None else uncertainty
    field_problem = scenario_problem(scenario, areas, assets, rates)
    problem = field_problem.problem
    schedule = plan_schedule(problem, time_limit=plan_time_limit, seed=seed)
    deliverables = Deliverables.from_fieldwork(
        field_problem, areas, priority_weight=priority_weight
    )
    work = field_problem.tasks
    sim = simulate(problem, schedule, uncertainty, runs=runs, seed=seed, work=work)

    def p(what: Measure, sim_: Any = sim) -> Milestones:
        return milestones(sim_, deliverables, what, levels=(1.0,), percentiles=(50.0, 80.0))

    land, assets_m, priority = p("land"), p("assets"), p("priority land")
    completion = float(np.quantile(sim.makespan(), 0.5, method="inverted_cdf"))
    floor = workforce_floor(problem, schedule, deliverables)
    # the same forecast with unlimited teams from day 0: the floor under the same draws
    free = _unlimited(problem, schedule)
    floor_schedule = Schedule(
        {
            t.name: round(floor.finish[t.name]) - t.modes[schedule.modes[t.name]].duration
            for t in problem.tasks
        },
        dict(schedule.modes),
    )
    free_sim = simulate(free, floor_schedule, uncertainty, runs=runs, seed=seed, work=work)
    land_days = _day(land, 50.0)
    per_month = (
        land.total / land_days * WORKING_DAYS_PER_MONTH if land_days and land.total > 0 else None
    )
    priority_any = bool(deliverables.weights("priority land"))
    assets_any = bool(deliverables.assets)
    return ScenarioResult(
        scenario=scenario.name,
        people=scenario.people,
        teams=capacities(scenario),
        factors=productivity_factors(scenario),
        priority_land_p50=_day(priority, 50.0),
        priority_land_p80=_day(priority, 80.0),
        assets_p50=_day(assets_m, 50.0),
        assets_p80=_day(assets_m, 80.0),
        completion_p50=completion,
        floor_priority_land=floor.priority_land if priority_any else None,
        floor_assets=floor.assets if assets_any else None,
        floor_completion=floor.makespan,
        floor_priority_land_p50=_day(p("priority land", free_sim), 50.0),
        floor_assets_p50=_day(p("assets", free_sim), 50.0),
        critical_path=floor.critical_path,
        cost=scenario.daily_cost * completion,
        daily_cost=scenario.daily_cost,
        m2_per_month_p50=per_month,
        runs=runs,
        seed=seed,
        planner="serial SGS portfolio"
        if plan_time_limit is None
        else f"solver, {plan_time_limit:g} s",
    )


@dataclass(frozen=True)
class Marginal:
    """What ``extra_people`` more buy from scenario ``smaller`` to ``larger``: P50 working
    days saved per 1,000 extra people (negative: later), None where there is nothing of
    that kind or no extra people."""

    smaller: str
    larger: str
    extra_people: int
    priority_land_days_per_1000: float | None
    assets_days_per_1000: float | None
    completion_days_per_1000: float | None


def _saved(a: float | None, b: float | None, extra: int) -> float | None:
    if a is None or b is None or extra <= 0:
        return None
    return (a - b) / (extra / 1000)


@dataclass(frozen=True)
class Comparison:
    """Results by number of people (smallest first), the marginal gain between
    consecutive ones, and what the table should say (``notes``)."""

    rows: tuple[ScenarioResult, ...]
    marginal: tuple[Marginal, ...]
    tolerance: float = TOLERANCE
    notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, results: Sequence[ScenarioResult], tolerance: float = TOLERANCE) -> Comparison:
        """The comparison of ``results`` (any order)."""
        rows = tuple(sorted(results, key=lambda r: r.people))
        marginal = tuple(
            Marginal(
                a.scenario,
                b.scenario,
                b.people - a.people,
                _saved(a.priority_land_p50, b.priority_land_p50, b.people - a.people),
                _saved(a.assets_p50, b.assets_p50, b.people - a.people),
                _saved(a.completion_p50, b.completion_p50, b.people - a.people),
            )
            for a, b in itertools.pairwise(rows)
        )
        notes: list[str] = []
        for row in rows:
            for what in BINDINGS:
                gap = row.gap(what)
                if gap is not None and gap <= tolerance:
                    notes.append(
                        f"{row.scenario}: {what}: P50 within {max(gap, 0):.0%} of the P50 with "
                        f"unlimited teams: the critical path binds: more people barely help"
                    )
        for one, two in itertools.pairwise(marginal):
            a, b = one.priority_land_days_per_1000, two.priority_land_days_per_1000
            if a is not None and b is not None and a > 0 and b < a / 2:
                largest = next(r for r in rows if r.scenario == two.larger)
                gap = largest.gap("priority land")
                floor = (
                    ""
                    if gap is None
                    else f"; with {two.larger} the P50 is {max(gap, 0):.0%} above what "
                    "unlimited teams would reach: the critical path is closing in"
                )
                notes.append(
                    f"diminishing returns: 1,000 more people save {a:.1f} days of priority "
                    f"land from {one.smaller} to {one.larger}, {b:.1f} from {two.smaller} "
                    f"to {two.larger}{floor}"
                )
        return cls(rows, marginal, tolerance, tuple(notes))

    def binding(self, row: ScenarioResult) -> tuple[str, ...]:
        """The measures the critical path binds for ``row``."""
        return tuple(w for w in BINDINGS if row.binds(w, self.tolerance))

    def to_dict(self) -> dict[str, Any]:
        """Plain values (for JSON)."""
        return {
            "rows": [{**r.to_dict(), "binds": list(self.binding(r))} for r in self.rows],
            "marginal": [asdict(m) for m in self.marginal],
            "tolerance": self.tolerance,
            "notes": list(self.notes),
        }


def compare(
    scenarios: Sequence[Scenario],
    areas: Sequence[AreaWork],
    assets: Sequence[AssetWork],
    *,
    rates: Rates | None = None,
    runs: int = 1_000,
    seed: int = 0,
    plan_time_limit: float | None = None,
    uncertainty: Uncertainty | None = None,
    priority_weight: float = 4.0,
    tolerance: float = TOLERANCE,
) -> Comparison:
    """:func:`evaluate` each scenario on the same work, seed and uncertainty, then
    :meth:`Comparison.of`. Raises ValueError for two scenarios of one name, and what
    :func:`evaluate` raises."""
    names = [s.name for s in scenarios]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"two scenarios are called {twice[0]!r}")
    results = [
        evaluate(
            s,
            areas,
            assets,
            rates=rates,
            runs=runs,
            seed=seed,
            plan_time_limit=plan_time_limit,
            uncertainty=uncertainty,
            priority_weight=priority_weight,
        )
        for s in scenarios
    ]
    return Comparison.of(results, tolerance)
