"""Monte Carlo runs of a plan: the plan itself when nothing is uncertain, the right
distribution when one thing is, and every team limit and precedence in every run."""

from __future__ import annotations

import importlib
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeground.forecast import kernel
from safeground.forecast.simulate import Simulation, simulate
from safeground.forecast.uncertainty import (
    LostDays,
    Productivity,
    RampUp,
    Shape,
    SurveyOutcome,
    ThreePoint,
    Uncertainty,
)
from safeground.planning.fieldwork import MACHINES, MANUAL, SURVEY
from safeground.planning.heuristics import serial_sgs
from safeground.planning.model import Precedence, Problem, Resource, Schedule, Task

from .conftest import Region

simulate_module = importlib.import_module("safeground.forecast.simulate")
EXACT = Uncertainty().collapsed()
EVERY_PERCENTILE = (0.0, 10.0, 50.0, 80.0, 90.0, 100.0)


def only(**changes: object) -> Uncertainty:
    """Everything as the plan assumes, except ``changes``."""
    return replace(EXACT, **changes)  # type: ignore[arg-type]


def productivity(team: str, estimate: ThreePoint) -> Productivity:
    return replace(EXACT.productivity, by_team={**EXACT.productivity.by_team, team: estimate})


def ks_distance(sample: np.ndarray, cdf: np.ndarray) -> float:
    """The Kolmogorov-Smirnov distance of a sorted sample from the cdf at its points."""
    n = len(sample)
    above = np.arange(1, n + 1) / n - cdf
    below = cdf - np.arange(n) / n
    return float(max(above.max(), below.max()))


def plan_of(problem: Problem, starts: dict[str, int]) -> Schedule:
    return Schedule(starts, dict.fromkeys(starts, 0))


def held_plan(problem: Problem) -> Schedule:
    """A valid plan of ``problem`` that holds some tasks back: planned with later releases."""
    tasks = tuple(replace(t, release=t.release + 3 * (j % 3)) for j, t in enumerate(problem.tasks))
    plan = serial_sgs(replace(problem, tasks=tasks))
    assert plan is not None
    return plan


# --- (a) nothing uncertain: every run is the plan --------------------------------------


@pytest.mark.parametrize("which", ["heuristic_region", "solved_region"])
def test_collapsed_uncertainty_reproduces_the_plan_in_every_run(
    which: str, request: pytest.FixtureRequest
) -> None:
    region: Region = request.getfixturevalue(which)
    problem, plan = region.field.problem, region.plan
    sim = simulate(problem, plan, Uncertainty().collapsed(), runs=64, work=region.field.tasks)
    planned = np.array([plan.end(problem, t.name) for t in problem.tasks])
    assert np.array_equal(sim.planned_finish, planned)
    assert np.array_equal(sim.finish, np.broadcast_to(planned, sim.finish.shape))
    assert np.array_equal(sim.percentiles(EVERY_PERCENTILE), np.repeat(planned[:, None], 6, 1))


def test_collapsed_uncertainty_reproduces_a_plan_that_holds_tasks_back(
    heuristic_region: Region,
) -> None:
    problem = heuristic_region.field.problem
    plan = held_plan(problem)
    sim = simulate(problem, plan, EXACT, runs=8, keep_start=True)
    assert sim.held  # the plan does hold some back
    planned = np.array([plan.starts[t.name] for t in problem.tasks])
    assert sim.start is not None
    assert np.array_equal(sim.start, np.broadcast_to(planned, sim.start.shape))
    assert np.array_equal(sim.finish, np.broadcast_to(sim.planned_finish, sim.finish.shape))


def test_a_held_task_gains_when_the_run_goes_faster_and_waits_no_longer_when_slower() -> None:
    problem = Problem(
        (Task.single("A", 6, {MANUAL: 1}), Task.single("B", 6, {MANUAL: 1})),
        (Resource(MANUAL, 1),),
        (Precedence("A", "B"),),
    )
    plan = plan_of(problem, {"A": 0, "B": 8})  # B could start at 6: held back by 2
    sim = simulate(problem, plan, EXACT, runs=1)
    assert sim.held == ("B",)
    fast = simulate(problem, plan, only(productivity=productivity(MANUAL, ThreePoint.point(2.0))))
    assert fast.finishes("A")[0] == 3.0
    assert fast.finishes("B")[0] == 3.0 + 2.0 + 3.0  # ready at 3, keeps its hold of 2
    slow = simulate(problem, plan, only(productivity=productivity(MANUAL, ThreePoint.point(0.5))))
    assert slow.finishes("B")[0] == 12.0 + 12.0  # ready after its planned start: no wait


# --- (b) one thing uncertain: the analytic distribution --------------------------------


@pytest.mark.parametrize("shape", list(Shape))
def test_finish_of_one_team_on_one_area_follows_its_productivity(shape: Shape) -> None:
    problem = Problem((Task.single("clear:A", 10, {MANUAL: 1}),), (Resource(MANUAL, 1),))
    rate = ThreePoint(0.4, 1.0, 2.0, shape)
    sim = simulate(
        problem,
        plan_of(problem, {"clear:A": 0}),
        only(productivity=productivity(MANUAL, rate)),
        runs=10_000,
        seed=7,
    )
    finish = np.sort(sim.finishes("clear:A").astype(np.float64))
    # finish = 10 / rate, so P(finish <= t) = P(rate >= 10 / t)
    cdf = 1.0 - rate.cdf(10.0 / finish)
    assert ks_distance(finish, cdf) < 0.0195  # the 0.1 % critical value for 10,000 draws
    assert np.median(finish) == pytest.approx(10.0 / float(rate.quantile(0.5)), rel=0.01)


@pytest.mark.parametrize("shape", list(Shape))
def test_clearance_after_survey_shrinks_as_the_survey_outcome_says(shape: Shape) -> None:
    problem = Problem(
        (Task.single("survey:A", 2, {SURVEY: 1}), Task.single("clear:A", 10, {MANUAL: 1})),
        (Resource(SURVEY, 1), Resource(MANUAL, 1)),
        (Precedence("survey:A", "clear:A"),),
    )
    default = SurveyOutcome()
    survey = replace(
        default,
        confirmed=replace(default.confirmed, shape=shape),
        clean=replace(default.clean, shape=shape),
    )
    sim = simulate(
        problem, plan_of(problem, {"survey:A": 0, "clear:A": 2}), only(survey=survey), runs=10_000
    )
    left = np.sort((sim.finishes("clear:A") - sim.finishes("survey:A")).astype(np.float64) / 10)
    share = survey.contaminated_share.mean  # the share is drawn apart from the area's outcome
    cdf = share * survey.confirmed.cdf(left) + (1 - share) * survey.clean.cdf(left)
    assert ks_distance(left, cdf) < 0.0195
    assert (left > 0.1).mean() == pytest.approx(share, abs=0.01)


def test_an_area_survey_cancels_takes_no_team_and_no_time() -> None:
    problem = Problem(
        (
            Task.single("survey:A", 2, {SURVEY: 1}),
            Task.single("clear:A", 10, {MANUAL: 1}),
            Task.single("clear:B", 5, {MANUAL: 1}),
        ),
        (Resource(SURVEY, 1), Resource(MANUAL, 1)),
        (Precedence("survey:A", "clear:A"),),
    )
    nothing = SurveyOutcome(contaminated_share=ThreePoint.point(0.0), clean=ThreePoint.point(0.0))
    plan = plan_of(problem, {"survey:A": 0, "clear:B": 0, "clear:A": 5})
    sim = simulate(problem, plan, only(survey=nothing), runs=4, keep_start=True)
    assert np.all(sim.finishes("clear:A") == 2.0)  # released when the survey ends
    assert np.all(sim.finishes("clear:B") == 5.0)  # the one team was never needed


def test_a_task_of_several_team_types_goes_at_the_pace_of_the_slowest() -> None:
    problem = Problem(
        (Task.single("clear:A", 10, {MANUAL: 1, MACHINES: 1}),),
        (Resource(MANUAL, 1), Resource(MACHINES, 1)),
    )
    rates = replace(
        EXACT.productivity,
        by_team={MANUAL: ThreePoint.point(2.0), MACHINES: ThreePoint.point(0.5)},
    )
    sim = simulate(problem, plan_of(problem, {"clear:A": 0}), only(productivity=rates), runs=1)
    assert sim.finishes("clear:A")[0] == 20.0


def test_lost_days_beyond_the_planned_share_stretch_durations() -> None:
    problem = Problem((Task.single("clear:A", 17, {MANUAL: 1}),), (Resource(MANUAL, 1),))
    wet = LostDays(fraction=ThreePoint.point(0.32), planned=0.15)
    sim = simulate(problem, plan_of(problem, {"clear:A": 0}), only(lost_days=wet), runs=1)
    assert sim.finishes("clear:A")[0] == pytest.approx(17 * 0.85 / 0.68)


def test_a_task_in_the_wet_season_loses_more_days_than_in_the_dry() -> None:
    problem = Problem(
        (
            Task.single("dry", 10, {MANUAL: 1}),
            Task.single("wet", 10, {MANUAL: 1}, release=180),
        ),
        (Resource(MANUAL, 2),),
    )
    season = LostDays(
        fraction=ThreePoint.point(0.2),
        season=(0.5,) * 6 + (1.5,) * 6,
        start_month=1,
        days_per_year=360.0,
    )
    sim = simulate(problem, plan_of(problem, {"dry": 0, "wet": 180}), only(lost_days=season))
    assert sim.finishes("dry")[0] == pytest.approx(10 * 0.8 / 0.9, rel=1e-6)
    assert sim.finishes("wet")[0] == pytest.approx(180 + 10 * 0.8 / 0.7, rel=1e-6)


def test_teams_arrive_evenly_over_the_ramp_up() -> None:
    tasks = tuple(Task.single(f"clear:{k}", 100, {MANUAL: 1}) for k in "ABCD")
    problem = Problem(tasks, (Resource(MANUAL, 4),))
    ramp = RampUp(days=ThreePoint.point(40.0))
    plan = plan_of(problem, {t.name: 0 for t in tasks})
    sim = simulate(problem, plan, only(ramp_up=ramp), runs=2, keep_start=True)
    assert sim.start is not None
    assert sorted(sim.start[0]) == [5.0, 15.0, 25.0, 35.0]


def test_attrition_beyond_the_planned_rate_slows_teams_once_replacements_lag() -> None:
    problem = Problem(
        (Task.single("clear:A", 10, {MANUAL: 1}, release=200),), (Resource(MANUAL, 1),)
    )
    high = Uncertainty().one_at("attrition", "high")
    assert high.attrition.planned_rate == 0.01
    sim = simulate(problem, plan_of(problem, {"clear:A": 200}), high, runs=1)
    months = high.attrition.replacement_days / high.attrition.days_per_month
    expected = 10 * (1 - 0.01 * months) / (1 - 0.03 * months)
    assert sim.finishes("clear:A")[0] == pytest.approx(200 + expected, rel=1e-6)


def test_runs_repeat_with_the_seed_and_differ_without(heuristic_region: Region) -> None:
    problem, plan = heuristic_region.field.problem, heuristic_region.plan
    a = simulate(problem, plan, Uncertainty(), runs=50, seed=11)
    b = simulate(problem, plan, Uncertainty(), runs=50, seed=11)
    c = simulate(problem, plan, Uncertainty(), runs=50, seed=12)
    assert np.array_equal(a.finish, b.finish)
    assert not np.array_equal(a.finish, c.finish)
    assert a.draws is not None and a.draws.productivity.shape == (50, len(problem.resources))


def test_the_common_factor_correlates_team_types_as_rho_says(heuristic_region: Region) -> None:
    problem, plan = heuristic_region.field.problem, heuristic_region.plan
    sim = simulate(problem, plan, Uncertainty(rho=0.8), runs=4000, seed=2)
    assert sim.draws is not None
    p = sim.draws.productivity
    rank = np.argsort(np.argsort(p, axis=0), axis=0)
    rho = np.corrcoef(rank[:, 0], rank[:, 2])[0, 1]
    assert rho == pytest.approx(6 / np.pi * np.arcsin(0.8 / 2), abs=0.03)  # Spearman
    independent = simulate(problem, plan, Uncertainty(rho=0.0), runs=4000, seed=2)
    assert independent.draws is not None
    q = independent.draws.productivity
    assert abs(np.corrcoef(q[:, 0], q[:, 2])[0, 1]) < 0.05


@pytest.mark.skipif(not kernel.COMPILED, reason="numba is not installed")
def test_plain_python_and_numba_give_the_same_runs(
    heuristic_region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem, plan = heuristic_region.field.problem, heuristic_region.plan
    u = replace(Uncertainty(), lost_days=LostDays(season=(1.0,) * 3 + (2.0,) * 6 + (1.0,) * 3))
    compiled = simulate(problem, plan, u, runs=3, seed=5, work=heuristic_region.field.tasks)
    monkeypatch.setattr(kernel, "run_plan", kernel.run_plan.py_func)
    plain = simulate(problem, plan, u, runs=3, seed=5, work=heuristic_region.field.tasks)
    np.testing.assert_allclose(plain.finish, compiled.finish, rtol=1e-6)


# --- (c) every run keeps every limit ----------------------------------------------------


@st.composite
def planned_problems(draw: st.DrawFn) -> tuple[Problem, Schedule, dict[str, tuple[str, str]]]:
    n_res = draw(st.integers(1, 3))
    resources = tuple(Resource(f"team{k}", draw(st.integers(1, 4))) for k in range(n_res))
    n = draw(st.integers(1, 12))
    tasks = []
    precedences = []
    for j in range(n):
        demands = {
            r.name: draw(st.integers(1, r.capacity)) for r in resources if draw(st.booleans())
        }
        release = draw(st.integers(0, 5))
        tasks.append(Task.single(f"t{j}", draw(st.integers(0, 6)), demands, release=release))
        for i in range(j):
            if draw(st.integers(0, 3)) == 0:
                precedences.append(Precedence(f"t{i}", f"t{j}", draw(st.integers(0, 3))))
    problem = Problem(tuple(tasks), resources, tuple(precedences))
    plan = serial_sgs(problem)
    assert plan is not None
    if draw(st.booleans()):  # a plan that holds tasks back
        later = tuple(replace(t, release=t.release + draw(st.integers(0, 4))) for t in tasks)
        plan = serial_sgs(replace(problem, tasks=later))
        assert plan is not None
    # some precedences are a survey and its area's clearance
    work = {}
    for k, p in enumerate(precedences):
        if k % 2 == 0:
            work[p.before] = ("technical survey", f"A{k}")
            work[p.after] = ("clearance", f"A{k}")
    return problem, plan, work


def _arrivals(problem: Problem, sim: Simulation, run: int) -> list[np.ndarray]:
    """Each unit's arrival in ``run``: the plan's, delayed by the run's ramp-up."""
    assert sim.draws is not None
    out = []
    for k, resource in enumerate(problem.resources):
        units = resource.max_capacity
        ramp = sim.draws.ramp_days[run, k] * (np.arange(units) + 0.5) / units
        out.append(ramp)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planned_problems(), st.integers(0, 2**16))
def test_every_run_keeps_team_limits_precedences_and_releases(
    planned: tuple[Problem, Schedule, dict[str, tuple[str, str]]], seed: int
) -> None:
    problem, plan, work = planned
    u = replace(Uncertainty(), ramp_up=RampUp(days=ThreePoint(0.0, 4.0, 20.0)))
    sim = simulate(problem, plan, u, runs=20, seed=seed, work=work, keep_start=True)
    assert sim.start is not None
    start = sim.start.astype(np.float64)
    finish = sim.finish.astype(np.float64)
    col = {t.name: j for j, t in enumerate(problem.tasks)}
    assert np.all(finish >= start)
    for task in problem.tasks:
        assert np.all(start[:, col[task.name]] >= task.release)
    for p in problem.precedences:
        assert np.all(start[:, col[p.after]] >= finish[:, col[p.before]] + p.lag - 1e-3)
    for run in range(sim.runs):
        arrivals = _arrivals(problem, sim, run)
        for k, resource in enumerate(problem.resources):
            events = []
            for task in problem.tasks:
                q = task.modes[plan.modes[task.name]].demands.get(resource.name, 0)
                j = col[task.name]
                if q and finish[run, j] > start[run, j]:
                    events += [(finish[run, j], -q), (start[run, j], q)]
            used = 0
            for when, change in sorted(events):  # ends before starts at the same time
                used += change
                present = int((arrivals[k] <= when + 1e-3).sum())
                assert used <= min(resource.capacity_at(int(when)), present)


# --- what it refuses ---------------------------------------------------------------------


def test_simulate_refuses_a_schedule_that_breaks_a_team_limit() -> None:
    problem = Problem(
        (Task.single("A", 5, {MANUAL: 1}), Task.single("B", 5, {MANUAL: 1})),
        (Resource(MANUAL, 1),),
    )
    with pytest.raises(ValueError, match="not feasible: task 'B'"):
        simulate(problem, plan_of(problem, {"A": 0, "B": 2}), EXACT)


def test_simulate_refuses_a_schedule_without_every_task() -> None:
    problem = Problem((Task.single("A", 5), Task.single("B", 5)))
    with pytest.raises(ValueError, match="no start for task 'B'"):
        simulate(problem, plan_of(problem, {"A": 0}), EXACT)


def test_simulate_refuses_capacity_that_falls_over_time() -> None:
    problem = Problem((Task.single("A", 5, {MANUAL: 1}),), (Resource(MANUAL, 2, ((10, 1),)),))
    with pytest.raises(ValueError, match="falls from 2 to 1"):
        simulate(problem, plan_of(problem, {"A": 0}), EXACT)


def test_capacity_that_grows_is_a_pool_whose_teams_arrive() -> None:
    problem = Problem(
        (Task.single("A", 5, {MANUAL: 1}), Task.single("B", 5, {MANUAL: 1})),
        (Resource(MANUAL, 1, ((3, 2),)),),
    )
    plan = plan_of(problem, {"A": 0, "B": 3})
    sim = simulate(problem, plan, EXACT, runs=2)
    assert np.array_equal(sim.finish, np.broadcast_to([5.0, 8.0], sim.finish.shape))
    assert sim.held == ()


@pytest.mark.parametrize(("runs", "seed"), [(0, 0), (5, -1)])
def test_simulate_refuses_no_runs_or_a_negative_seed(runs: int, seed: int) -> None:
    problem = Problem((Task.single("A", 5),))
    with pytest.raises(ValueError, match=r"runs|seed"):
        simulate(problem, plan_of(problem, {"A": 0}), EXACT, runs=runs, seed=seed)


def test_simulation_percentiles_are_values_some_run_has() -> None:
    sim = Simulation(
        ("A",),
        np.zeros(1),
        np.ones(1),
        np.arange(1, 11, dtype=np.float32)[:, None],
    )
    assert sim.percentiles((10.0, 50.0, 80.0, 100.0)).tolist() == [[1.0, 5.0, 8.0, 10.0]]
    assert simulate_module.Simulation is Simulation
