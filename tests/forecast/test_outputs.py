"""What a forecast tells a programme: milestone dates, S-curves, the tornado and the floor."""

from __future__ import annotations

import numpy as np
import pytest

from safeground.forecast import (
    Deliverables,
    Simulation,
    ThreePoint,
    Uncertainty,
    milestones,
    s_curves,
    simulate,
    tornado,
    workforce_floor,
)
from safeground.planning.fieldwork import MANUAL
from safeground.planning.model import Precedence, Problem, Resource, Schedule, Task

from .conftest import Region


def simulation(finish: list[list[float]], planned: list[float]) -> Simulation:
    """A simulation of tasks a, b, c, d with the given finishes (one row a run)."""
    names = ("a", "b", "c", "d")[: len(planned)]
    return Simulation(
        names,
        np.zeros(len(names)),
        np.asarray(planned, dtype=np.float64),
        np.asarray(finish, dtype=np.float32),
    )


GOODS = Deliverables({"a": 100.0, "b": 300.0, "c": 600.0}, frozenset({"a", "b"}), ("d",))


def test_deliverables_from_fieldwork_count_each_areas_land_once(heuristic_region: Region) -> None:
    goods = Deliverables.from_fieldwork(heuristic_region.field, heuristic_region.areas)
    areas = {a.area_id: a for a in heuristic_region.areas}
    assert set(goods.land_m2) == {f"clear:{a}" for a in areas}
    assert sum(goods.land_m2.values()) == pytest.approx(sum(a.remaining_m2 for a in areas.values()))
    assert goods.priority == {f"clear:{a.area_id}" for a in areas.values() if a.weight >= 4}
    assert goods.assets and all(t.startswith("rebuild:") for t in goods.assets)


def test_milestones_weigh_land_by_its_area() -> None:
    # run 0: a at 1, b at 2 (priority land done at 2; half of it, 200 m², reached at b)
    # run 1: b at 1, a at 5 (300 of 400 m² at 1: 50 % at 1, 90 % and 100 % at 5)
    sim = simulation([[1, 2, 3, 4], [5, 1, 3, 4]], [2, 3, 4, 5])
    m = milestones(sim, GOODS, "priority land", percentiles=(50.0, 100.0))
    assert m.total == 400.0
    assert m.days.tolist() == [[1.0, 2.0], [2.0, 5.0], [2.0, 5.0]]
    assert m.planned.tolist() == [3.0, 3.0, 3.0]
    assert m.at(1.0, 100.0) == 5.0


def test_asset_milestones_count_assets() -> None:
    sim = simulation([[1, 2, 3, 4], [1, 2, 3, 8]], [2, 3, 4, 5])
    m = milestones(sim, GOODS, "assets", levels=(1.0,), percentiles=(50.0, 90.0))
    assert m.days.tolist() == [[4.0, 8.0]]
    assert m.planned.tolist() == [5.0]


def test_milestones_of_nothing_are_unknown() -> None:
    sim = simulation([[1, 2, 3, 4]], [2, 3, 4, 5])
    m = milestones(sim, Deliverables({"a": 1.0}), "assets")
    assert np.isnan(m.days).all() and m.total == 0.0


def test_milestones_refuse_a_share_beyond_everything() -> None:
    sim = simulation([[1, 2, 3, 4]], [2, 3, 4, 5])
    with pytest.raises(ValueError, match="levels"):
        milestones(sim, GOODS, levels=(1.5,))
    with pytest.raises(ValueError, match="no task 'x'"):
        milestones(sim, Deliverables({"x": 1.0}), "land")


def test_s_curve_counts_land_by_the_end_of_the_day_it_is_released() -> None:
    sim = simulation([[0.5, 2.0, 3.2, 9.0], [1.0, 1.0, 1.0, 9.0]], [1.0, 2.0, 3.0, 9.0])
    curve = s_curves(sim, GOODS, "land", percentiles=(0.0, 100.0), days=4)
    assert curve.days.tolist() == [0, 1, 2, 3, 4]
    assert curve.planned.tolist() == [0, 100, 400, 1000, 1000]
    # the better run has it all by day 1; the worse has a and b by day 2, c only by day 4
    assert curve.bands.tolist() == [[0, 100, 400, 400, 1000], [0, 1000, 1000, 1000, 1000]]
    assert curve.total == 1000.0


def test_s_curve_bands_never_fall_and_stay_in_order(heuristic_region: Region) -> None:
    field, plan = heuristic_region.field, heuristic_region.plan
    sim = simulate(field.problem, plan, Uncertainty(), runs=300, seed=1, work=field.tasks)
    goods = Deliverables.from_fieldwork(field, heuristic_region.areas)
    for what in ("land", "priority land", "assets"):
        curve = s_curves(sim, goods, what)  # type: ignore[arg-type]
        assert np.all(np.diff(curve.bands, axis=1) >= 0)
        assert np.all(np.diff(curve.bands, axis=0) >= 0)
        assert curve.bands[:, -1] == pytest.approx(curve.total)
        assert curve.planned[-1] == pytest.approx(curve.total)


def test_collapsed_milestones_are_the_plans(heuristic_region: Region) -> None:
    field, plan = heuristic_region.field, heuristic_region.plan
    sim = simulate(field.problem, plan, Uncertainty().collapsed(), runs=5, work=field.tasks)
    goods = Deliverables.from_fieldwork(field, heuristic_region.areas)
    for what in ("priority land", "assets"):
        m = milestones(sim, goods, what)  # type: ignore[arg-type]
        assert np.array_equal(m.days, np.repeat(m.planned[:, None], 4, axis=1))


def test_floor_is_the_critical_path_with_unlimited_teams() -> None:
    problem = Problem(
        (
            Task.single("clear:A", 4, {MANUAL: 1}),
            Task.single("clear:B", 6, {MANUAL: 1}),
            Task.single("rebuild:X", 5, release=2),
        ),
        (Resource(MANUAL, 1),),
        (Precedence("clear:A", "rebuild:X", 3), Precedence("clear:B", "rebuild:X")),
    )
    starts = {"clear:A": 0, "clear:B": 4, "rebuild:X": 10}
    plan = Schedule(starts, dict.fromkeys(starts, 0))
    goods = Deliverables({"clear:A": 10.0, "clear:B": 5.0}, frozenset({"clear:A"}), ("rebuild:X",))
    floor = workforce_floor(problem, plan, goods)
    assert floor.finish == {"clear:A": 4.0, "clear:B": 6.0, "rebuild:X": 12.0}
    assert floor.makespan == 12.0 and floor.assets == 12.0
    assert floor.priority_land == 4.0 and floor.land == 6.0
    assert floor.critical_path == ("clear:A", "rebuild:X")  # 4 + lag 3 beats 6


def test_floor_is_never_after_the_plan(solved_region: Region) -> None:
    field, plan = solved_region.field, solved_region.plan
    floor = workforce_floor(field.problem, plan)
    ends = plan.ends(field.problem)
    assert all(floor.finish[t] <= ends[t] for t in ends)
    assert floor.critical_path and floor.finish[floor.critical_path[-1]] == floor.makespan


def test_tornado_puts_slow_teams_late_and_fast_teams_early(heuristic_region: Region) -> None:
    field, plan = heuristic_region.field, heuristic_region.plan
    goods = Deliverables.from_fieldwork(field, heuristic_region.areas)
    u = Uncertainty()
    chart = tornado(field.problem, plan, u, goods, measure="all", runs=20, work=field.tasks)
    assert chart.base == plan.makespan(field.problem)
    bars = {b.uncertainty: b for b in chart.bars}
    manual = bars[f"productivity:{MANUAL}"]
    assert manual.at_low > chart.base >= manual.at_high
    assert bars["lost_days"].at_low <= chart.base <= bars["lost_days"].at_high
    assert bars["ramp_up"].at_low == chart.base  # its low end is the plan's assumption
    swings = [b.swing for b in chart.bars]
    assert swings == sorted(swings, reverse=True)
    used = {name for t in field.problem.tasks for name in t.modes[plan.modes[t.name]].demands}
    assert set(bars) == set(u.components(tuple(sorted(used))))  # the teams the plan uses


def test_deliverables_refuse_negative_land_and_priority_without_land() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        Deliverables({"a": -1.0})
    with pytest.raises(ValueError, match="priority tasks without land"):
        Deliverables({"a": 1.0}, frozenset({"b"}))
    assert ThreePoint.point(1.0).is_point
