"""Workforce scenarios on the register's open work: compare sizes and mixes, or sweep a
grid of them in worker processes or on a Dask cluster."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from safeground.scenarios import Comparison, Scenario, compare, load_scenario
from safeground.scenarios.pools import DEFAULT_SCENARIOS
from safeground.scenarios.sweep import SweepGrid, SweepRow, sweep
from safeground.services.planning import region_work
from safeground.store.base import Store

#: Land that an asset waits for is priority land (weight 4) until priorities are recorded.
PRIORITY_WEIGHT = 4.0


def load(names_or_files: Sequence[str | Path]) -> list[Scenario]:
    """Scenario files, or shipped scenarios by name (default: 6,000, 20,000, 50,000)."""
    return [load_scenario(s) for s in (names_or_files or DEFAULT_SCENARIOS)]


def compare_register(
    store: Store,
    scenarios: Sequence[Scenario],
    *,
    runs: int = 1_000,
    seed: int = 0,
    cluster: str | None = None,
) -> Comparison:
    """Each scenario planned and forecast on the register's open work, side by side.
    With ``cluster`` the scenarios are evaluated on that Dask cluster (same results)."""
    areas, assets, _ = region_work(store, blocking_weight=PRIORITY_WEIGHT)
    if not areas and not assets:
        raise ValueError("the register has no open work to plan: import hazard areas first")
    if cluster is None:
        return compare(scenarios, areas, assets, runs=runs, seed=seed)
    results = []
    for scenario in scenarios:  # each on the cluster; the same numbers as here
        grid = SweepGrid((scenario.people,), (scenario,))
        (row,) = sweep(grid, areas, assets, seeds=(seed,), runs=runs, cluster=cluster)
        results.append(row.result)
    return Comparison.of(results)


def sweep_register(
    store: Store,
    mixes: Sequence[Scenario],
    sizes: Sequence[int],
    seeds: Sequence[int],
    *,
    runs: int = 1_000,
    cluster: str | None = None,
    processes: int | None = None,
) -> list[SweepRow]:
    """Every mix at every size and seed, on the register's open work."""
    areas, assets, _ = region_work(store, blocking_weight=PRIORITY_WEIGHT)
    grid = SweepGrid(tuple(sizes), tuple(mixes))
    return sweep(
        grid, areas, assets, seeds=tuple(seeds), runs=runs, cluster=cluster, processes=processes
    )
