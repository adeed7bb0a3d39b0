from __future__ import annotations

import importlib.util

import pytest

from safeground.planning.fieldwork import default_rates
from safeground.scenarios import SweepGrid, SweepRow, load_scenario, sweep
from tests.scenarios.regions import region

RATES = default_rates()
AREAS, ASSETS = region(30, 10, seed=4)
GRID = SweepGrid(sizes=(400, 1_200), mixes=(load_scenario("workforce-6000"),))
SEEDS = (0, 1)
HAS_DASK = importlib.util.find_spec("distributed") is not None


def run(**how: object) -> list[SweepRow]:
    return sweep(GRID, AREAS, ASSETS, seeds=SEEDS, runs=20, rates=RATES, **how)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def in_process() -> list[SweepRow]:
    return run(processes=0)


@pytest.fixture(scope="module")
def in_workers() -> list[SweepRow]:
    return run(processes=2)


def test_sweep_rows_come_in_grid_order_one_per_size_and_seed(in_process: list[SweepRow]) -> None:
    rows = in_process
    assert [(r.mix, r.people, r.seed) for r in rows] == [
        ("workforce-6000", 400, 0),
        ("workforce-6000", 400, 1),
        ("workforce-6000", 1_200, 0),
        ("workforce-6000", 1_200, 1),
    ]
    assert [r.result.scenario for r in rows[::2]] == [
        "workforce-6000 @ 400",
        "workforce-6000 @ 1200",
    ]
    assert rows[0].result != rows[1].result  # the seed matters


def test_sweep_in_worker_processes_equals_the_run_in_this_process(
    in_process: list[SweepRow], in_workers: list[SweepRow]
) -> None:
    assert in_workers == in_process


@pytest.mark.skipif(not HAS_DASK, reason="Dask is not installed: pip install 'dask[distributed]'")
def test_sweep_on_a_dask_cluster_equals_the_local_runs(
    in_process: list[SweepRow], in_workers: list[SweepRow]
) -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        on_cluster = run(cluster=cluster.scheduler_address)
    assert on_cluster == in_process
    assert on_cluster == in_workers


def test_a_sweep_without_seeds_or_sizes_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one seed"):
        sweep(GRID, AREAS, ASSETS, seeds=(), runs=5)
    with pytest.raises(ValueError, match="at least one size"):
        SweepGrid(sizes=(), mixes=GRID.mixes)
