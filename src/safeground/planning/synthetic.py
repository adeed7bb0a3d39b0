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

from safeground.planning.model import Mode, Objective, Precedence, Problem, Resource, Task


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
