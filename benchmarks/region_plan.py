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
import math
import random
import time

from rich.console import Console
from rich.table import Table

from safeground.domain.model import AssetKind, DamageGrade
from safeground.planning.checker import check_schedule
from safeground.planning.fieldwork import AreaWork, AssetWork, build_problem, default_rates
from safeground.planning.model import Objective
from safeground.planning.solve import solve

LAND_USE = ("agriculture", "pasture", "forest", "residential", "road verge", "wetland")
GRADES = (
    (DamageGrade.DESTROYED, 0.15),
    (DamageGrade.HIGHLY_DAMAGED, 0.15),
    (DamageGrade.MODERATELY_DAMAGED, 0.3),
    (DamageGrade.SLIGHTLY_DAMAGED, 0.4),
)
CAPACITIES = {  # teams of each type: a programme of about 6,000 people
    "manual_clearance": 300,
    "mechanical": 30,
    "mine_detection_dogs": 40,
    "technical_survey": 40,
    "eod": 20,
    "construction": 250,
}


def region(n_areas: int, n_assets: int, seed: int) -> tuple[list[AreaWork], list[AssetWork]]:
    rng = random.Random(seed)
    areas = [
        AreaWork(
            f"HA-{i:06d}",
            min(rng.lognormvariate(math.log(20_000), 1.0), 200_000),  # work packages
            rng.choice(LAND_USE),
            needs_survey=rng.random() < 1 / 3,
            weight=float(rng.randint(1, 5)),
        )
        for i in range(n_areas)
    ]
    assets = []
    for j in range(n_assets):
        near = int(j * n_areas / max(n_assets, 1))  # assets spread along the areas
        blocking = {
            areas[min(n_areas - 1, max(0, near + rng.randint(-20, 20)))].area_id
            for _ in range(rng.randint(1, 3))
        }
        grade = rng.choices([g for g, _ in GRADES], [w for _, w in GRADES])[0]
        kind = rng.choices([AssetKind.BUILDING, AssetKind.ROAD, AssetKind.BRIDGE], [8, 3, 1])[0]
        assets.append(
            AssetWork(f"AS-{j:06d}", kind, grade, tuple(sorted(blocking)), float(rng.randint(1, 5)))
        )
    return areas, assets


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
