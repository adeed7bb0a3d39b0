"""Forecast the seeded synthetic region: 10,000 Monte Carlo runs of its plan.

    python benchmarks/forecast.py [--areas 5000] [--assets 2000] [--runs 10000]
                                  [--time-limit 20] [--seed 1] [--tornado-runs 100]

The region is the one of ``benchmarks/region_plan.py`` (5,000 areas, 2,000 assets, two
manual teams an area), planned with ``solve`` for ``--time-limit`` seconds. The table gives
the time of ``simulate`` (its first call in a process compiles the numba kernel, or loads
it from numba's cache: shown apart), a check that the collapsed uncertainty reproduces the
plan, the plan's day and the P10 / P50 / P90 days of 100 % of priority land released and of
every asset rebuilt, the unlimited-workforce floor, and (unless ``--tornado-runs 0``) the
widest bars of the tornado of the priority-land completion.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rich.console import Console
from rich.table import Table

from region_plan import CAPACITIES, region
from safeground.forecast import (
    Deliverables,
    Uncertainty,
    milestones,
    simulate,
    tornado,
    workforce_floor,
)
from safeground.forecast.kernel import COMPILED
from safeground.planning.fieldwork import build_problem, default_rates
from safeground.planning.solve import solve


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--areas", type=int, default=5_000)
    parser.add_argument("--assets", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tornado-runs", type=int, default=100)
    args = parser.parse_args()

    areas, assets = region(args.areas, args.assets, args.seed)
    field = build_problem(areas, assets, CAPACITIES, default_rates(), manual_teams=(2,))
    problem = field.problem
    result = solve(problem, time_limit=args.time_limit, seed=args.seed)
    if result.schedule is None:
        raise SystemExit(f"no plan: {result.status}")
    plan = result.schedule
    goods = Deliverables.from_fieldwork(field, areas)
    uncertainty = Uncertainty()

    t0 = time.perf_counter()
    exact = simulate(problem, plan, uncertainty.collapsed(), runs=10, work=field.tasks)
    t_first = time.perf_counter() - t0
    reproduced = bool(
        np.array_equal(exact.finish, np.broadcast_to(exact.planned_finish, exact.finish.shape))
    )
    t0, c0 = time.perf_counter(), time.process_time()
    sim = simulate(problem, plan, uncertainty, runs=args.runs, seed=args.seed, work=field.tasks)
    t_sim, c_sim = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    land = milestones(sim, goods, "priority land")
    built = milestones(sim, goods, "assets")
    t_out = time.perf_counter() - t0
    floor = workforce_floor(problem, plan, goods)

    table = Table(title="benchmarks/forecast.py: a synthetic region (2-core machine)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("tasks", f"{len(problem.tasks):,}")
    table.add_row("plan (solve)", f"{result.status.value}, {result.runtime:.1f} s")
    table.add_row("runs", f"{sim.runs:,}")
    table.add_row("kernel", "numba" if COMPILED else "plain Python")
    table.add_row("first call (compile or cache load)", f"{t_first:.2f} s")
    table.add_row(f"simulate, {sim.runs:,} runs", f"{t_sim:.2f} s ({c_sim:.1f} s CPU)")
    table.add_row("milestones (both)", f"{t_out:.2f} s")
    table.add_row("tasks held to their planned start", f"{len(sim.held):,}")
    table.add_row("collapsed uncertainty reproduces the plan", "yes" if reproduced else "NO")
    for name, m, fl in (
        ("100 % priority land released", land, floor.priority_land),
        ("all assets rebuilt", built, floor.assets),
    ):
        p10, p50, p90 = (m.at(1.0, p) for p in (10.0, 50.0, 90.0))
        table.add_row(f"{name}: plan", f"{m.planned[-1]:,.0f}")
        table.add_row(f"{name}: P10 / P50 / P90", f"{p10:,.0f} / {p50:,.0f} / {p90:,.0f}")
        table.add_row(f"{name}: unlimited-workforce floor", f"{fl:,.0f}")
    for level in (0.5, 0.9):
        table.add_row(
            f"{level:.0%} priority land: plan / P50 / P90",
            f"{land.planned[land.levels.index(level)]:,.0f} / {land.at(level, 50.0):,.0f} / "
            f"{land.at(level, 90.0):,.0f}",
        )
    table.add_row("makespan floor (critical path)", f"{floor.makespan:,.0f}")
    if args.tornado_runs > 0:
        t0 = time.perf_counter()
        bars = tornado(
            problem,
            plan,
            uncertainty,
            goods,
            runs=args.tornado_runs,
            seed=args.seed,
            work=field.tasks,
        )
        table.add_row(
            f"tornado ({len(bars.bars)} uncertainties x 2 x {args.tornado_runs} runs)",
            f"{time.perf_counter() - t0:.1f} s",
        )
        for bar in bars.bars[:5]:
            table.add_row(
                f"  P50 priority land, {bar.uncertainty} low / high",
                f"{bar.at_low:,.0f} / {bar.at_high:,.0f}",
            )
    table.add_row("days", "working days from the plan's start")
    Console().print(table)


if __name__ == "__main__":
    main()
