"""Plan a seeded synthetic region: 5,000 areas to clear, 2,000 assets to rebuild.

    python benchmarks/region_plan.py [--areas 5000] [--assets 2000] [--time-limit 60]
                                     [--objective makespan|weighted] [--seed 1]

The region is built through the register adapter (``safeground.planning.fieldwork``) with
the shipped work rates: areas log-normal in size (median 20,000 m², in work packages of at
most 20 ha) on mixed terrain, a third of them suspected and not yet surveyed; each
clearance has 3 modes (two manual teams; a machine with a manual team verifying; two dog
teams); each asset waits for the 1-3 areas it touches, and a destroyed or highly damaged
building for an EOD check of its rubble. Six team types: manual clearance, machines, dogs,
technical survey, EOD, builders. The plan is checked by the independent checker; the table
gives its gap to the lower bound.
"""

from __future__ import annotations

import argparse
import time

from rich.console import Console
from rich.table import Table

from safeground.planning.checker import check_schedule
from safeground.planning.fieldwork import build_problem, default_rates
from safeground.planning.model import Objective
from safeground.planning.solve import solve
from safeground.planning.synthetic import PROGRAMME_TEAMS, fieldwork_region

#: Kept under these names for benchmarks/forecast.py.
CAPACITIES = PROGRAMME_TEAMS
region = fieldwork_region


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--areas", type=int, default=5_000)
    parser.add_argument("--assets", type=int, default=2_000)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--objective", choices=("makespan", "weighted"), default="makespan")
    args = parser.parse_args()
    objective = (
        Objective.MAKESPAN if args.objective == "makespan" else Objective.WEIGHTED_COMPLETION
    )
    t0 = time.perf_counter()
    areas, assets = region(args.areas, args.assets, args.seed)
    field = build_problem(
        areas, assets, CAPACITIES, default_rates(), objective=objective, manual_teams=(2,)
    )
    problem = field.problem
    t_build = time.perf_counter() - t0
    result = solve(problem, time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    t0 = time.perf_counter()
    violations = [] if result.schedule is None else check_schedule(problem, result.schedule)
    t_check = time.perf_counter() - t0

    kinds: dict[str, int] = {}
    for work, _ in field.tasks.values():
        kinds[work] = kinds.get(work, 0) + 1
    table = Table(title="benchmarks/region_plan.py: a synthetic region (2-core machine)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for work, n in sorted(kinds.items()):
        table.add_row(f"tasks: {work}", f"{n:,}")
    table.add_row("precedences", f"{len(problem.precedences):,}")
    table.add_row("team types (resources)", f"{len(problem.resources)}")
    table.add_row("objective", objective.value)
    table.add_row("status", result.status.value)
    table.add_row("objective value", f"{result.objective:,.0f}" if result.objective else "-")
    table.add_row("lower bound", f"{result.lower_bound:,.0f}" if result.lower_bound else "-")
    table.add_row("gap", f"{100 * result.gap:.1f} %" if result.gap is not None else "-")
    table.add_row("solve time (limit)", f"{result.runtime:.1f} s ({args.time_limit:g} s)")
    table.add_row("build the problem", f"{t_build:.1f} s")
    table.add_row("independent check", f"{t_check:.2f} s, {len(violations)} violations")
    Console().print(table)
    for line in result.explanation:
        Console().print(f"  {line}", highlight=False)


if __name__ == "__main__":
    main()
