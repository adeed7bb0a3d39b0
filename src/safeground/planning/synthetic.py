"""Random but repeatable scheduling problems, for tests and benchmarks of large sizes.

:func:`random_problem` draws tasks with several modes trading time for resources (a
slower mode needs fewer people or machines), renewable resources, and precedences from
each task to a few of the tasks shortly before it (so the network has long chains and
much parallel work, as a demining programme does: survey, then clearance, then building,
area after area). The same arguments always give the same problem.
"""

from __future__ import annotations

import math
import random

from safeground.domain.model import AssetKind, DamageGrade
from safeground.planning.fieldwork import AreaWork, AssetWork
from safeground.planning.model import Mode, Objective, Precedence, Problem, Resource, Task

LAND_USE = ("agriculture", "pasture", "forest", "residential", "road verge", "wetland")
GRADES = (
    (DamageGrade.DESTROYED, 0.15),
    (DamageGrade.HIGHLY_DAMAGED, 0.15),
    (DamageGrade.MODERATELY_DAMAGED, 0.3),
    (DamageGrade.SLIGHTLY_DAMAGED, 0.4),
)
#: Teams of each type of a programme of about 6,000 people.
PROGRAMME_TEAMS = {
    "manual_clearance": 300,
    "mechanical": 30,
    "mine_detection_dogs": 40,
    "technical_survey": 40,
    "eod": 20,
    "construction": 250,
}


def random_problem(
    n_tasks: int,
    *,
    n_modes: int = 3,
    n_resources: int = 6,
    seed: int = 0,
    max_predecessors: int = 3,
    reach: int = 40,
    objective: Objective = Objective.MAKESPAN,
) -> Problem:
    """A problem of ``n_tasks`` tasks with ``n_modes`` modes each over ``n_resources``
    renewable resources; each task follows up to ``max_predecessors`` of the ``reach``
    tasks before it. Weights are drawn from 0..5."""
    if n_tasks < 0 or n_modes < 1 or n_resources < 0:
        raise ValueError("n_tasks >= 0, n_modes >= 1 and n_resources >= 0 are required")
    rng = random.Random(seed)
    names = [f"R{r + 1}" for r in range(n_resources)]
    resources = tuple(Resource(name, rng.randint(10, 30)) for name in names)
    tasks: list[Task] = []
    precedences: list[Precedence] = []
    for j in range(n_tasks):
        base = rng.randint(1, 10)
        used = rng.sample(names, k=min(len(names), rng.randint(1, 3))) if names else []
        need = {name: rng.randint(1, 8) for name in used}
        modes = []
        for m in range(n_modes):
            stretch = 1 + 0.5 * m
            modes.append(
                Mode(
                    max(1, round(base * stretch)),
                    {name: max(1, math.ceil(q / stretch)) for name, q in need.items()},
                )
            )
        tasks.append(Task(f"T{j}", tuple(modes), weight=float(rng.randint(0, 5))))
        if j:
            window = range(max(0, j - reach), j)
            for i in rng.sample(window, k=min(len(window), rng.randint(0, max_predecessors))):
                precedences.append(Precedence(f"T{i}", f"T{j}"))
    return Problem(tuple(tasks), resources, tuple(precedences), objective)


def fieldwork_region(
    n_areas: int, n_assets: int, seed: int
) -> tuple[list[AreaWork], list[AssetWork]]:
    """Register work for a region: areas log-normal in size (median 20,000 m², in work
    packages of at most 20 ha) on mixed terrain, a third suspected and not yet surveyed,
    weights 1-5; assets (buildings, roads, bridges) each waiting for 1-3 nearby areas."""
    rng = random.Random(seed)
    areas = [
        AreaWork(
            f"HA-{i:06d}",
            min(rng.lognormvariate(math.log(20_000), 1.0), 200_000),
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
