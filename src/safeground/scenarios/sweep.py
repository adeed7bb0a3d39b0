"""Scenarios over a grid: workforce sizes x mixes x seeds, in parallel or on a cluster.

Each point of the grid is a mix (a :class:`~safeground.scenarios.pools.Scenario` whose
pools keep their proportions) scaled to a size, evaluated with one seed
(:func:`safeground.scenarios.compare.evaluate`). Points run in worker processes on this
machine (``concurrent.futures``, spawned, so no state leaks from the parent), in this
process (``processes=0``), or on a Dask cluster (``cluster="tcp://HOST:PORT"``; Dask is
imported only then: install ``dask[distributed]``).

**Results are identical whichever way they run.** Planning is the deterministic portfolio
of :func:`~safeground.scenarios.compare.plan_schedule` (no clock: a time-limited solver
would find different plans on a loaded machine or a slower worker); every random draw
comes from the point's seed; nothing depends on which worker ran a point or in which
order. Rows come back in grid order: mixes, then sizes, then seeds.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from safeground.forecast import Uncertainty
from safeground.planning.fieldwork import AreaWork, AssetWork, Rates, default_rates
from safeground.scenarios.compare import ScenarioResult, evaluate
from safeground.scenarios.pools import Scenario, scaled


@dataclass(frozen=True)
class SweepGrid:
    """Workforce ``sizes`` (people) for each of the ``mixes``. Raises ValueError for an
    empty grid, a size below one person per pool, or two mixes of one name."""

    sizes: tuple[int, ...]
    mixes: tuple[Scenario, ...]

    def __post_init__(self) -> None:
        sizes = tuple(self.sizes)
        mixes = tuple(self.mixes)
        if not sizes or not mixes:
            raise ValueError("a sweep needs at least one size and one mix")
        for size in sizes:
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise ValueError(f"sizes must be whole numbers of people >= 1, got {size!r}")
        names = [m.name for m in mixes]
        if len(set(names)) != len(names):
            raise ValueError("two mixes have one name")
        object.__setattr__(self, "sizes", sizes)
        object.__setattr__(self, "mixes", mixes)

    def scenarios(self) -> list[tuple[str, Scenario]]:
        """(mix name, the mix scaled to a size) for every mix and size, in grid order."""
        return [
            (mix.name, scaled(mix, size, name=f"{mix.name} @ {size}"))
            for mix in self.mixes
            for size in self.sizes
        ]


@dataclass(frozen=True)
class SweepRow:
    """One point of a sweep: the mix, its size, the seed and what it gives."""

    mix: str
    people: int
    seed: int
    result: ScenarioResult


def _plain(value: object) -> Any:
    """A tree of frozen dataclasses as tagged tuples that pickle carries: the forecast's
    values hold read-only mapping views, which pickle refuses."""
    if is_dataclass(value) and not isinstance(value, type):
        items = tuple((f.name, _plain(getattr(value, f.name))) for f in fields(value) if f.init)
        return ("dataclass", type(value), items)
    if isinstance(value, Mapping):
        return ("mapping", tuple((k, _plain(v)) for k, v in value.items()))
    if isinstance(value, tuple):
        return ("tuple", tuple(_plain(v) for v in value))
    return ("value", value)


def _rebuilt(plain: Any) -> Any:
    """The value :func:`_plain` took apart, through its constructors (which validate and
    freeze it again)."""
    tag, *rest = plain
    if tag == "dataclass":
        kind, items = rest
        return kind(**{name: _rebuilt(v) for name, v in items})
    if tag == "mapping":
        return {k: _rebuilt(v) for k, v in rest[0]}
    if tag == "tuple":
        return tuple(_rebuilt(v) for v in rest[0])
    return rest[0]


@dataclass(frozen=True)
class _Context:
    """What every point shares (shipped to each worker once)."""

    areas: tuple[AreaWork, ...]
    assets: tuple[AssetWork, ...]
    rates: Rates
    uncertainty_plain: Any  # an Uncertainty, see _plain
    runs: int
    priority_weight: float

    @property
    def uncertainty(self) -> Uncertainty:
        value: Uncertainty = _rebuilt(self.uncertainty_plain)
        return value


def _point(point: tuple[str, Scenario, int], context: _Context) -> SweepRow:
    mix, scenario, seed = point
    result = evaluate(
        scenario,
        context.areas,
        context.assets,
        rates=context.rates,
        runs=context.runs,
        seed=seed,
        plan_time_limit=None,  # deterministic planning: see the module
        uncertainty=context.uncertainty,
        priority_weight=context.priority_weight,
    )
    return SweepRow(mix, scenario.people, seed, result)


_WORKER_CONTEXT: _Context | None = None


def _init_worker(context: _Context) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context


def _worker_point(point: tuple[str, Scenario, int]) -> SweepRow:
    assert _WORKER_CONTEXT is not None, "worker not initialised"
    return _point(point, _WORKER_CONTEXT)


def _on_cluster(
    address: str, points: list[tuple[str, Scenario, int]], context: _Context
) -> list[SweepRow]:
    try:
        from dask.distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "running a sweep on a cluster needs Dask: pip install 'dask[distributed]'"
        ) from exc
    with Client(address) as client:  # type: ignore[no-untyped-call]
        shared = client.scatter(context, broadcast=True)
        futures = client.map(_point, points, context=shared, pure=False)
        rows: list[SweepRow] = client.gather(futures)
    return rows


def sweep(
    grid: SweepGrid,
    areas: Sequence[AreaWork],
    assets: Sequence[AssetWork],
    *,
    seeds: Sequence[int],
    runs: int,
    cluster: str | None = None,
    processes: int | None = None,
    rates: Rates | None = None,
    uncertainty: Uncertainty | None = None,
    priority_weight: float = 4.0,
) -> list[SweepRow]:
    """Every mix x size x seed of ``grid`` evaluated on ``areas`` and ``assets`` with
    ``runs`` Monte Carlo runs each, as rows in grid order (mixes, sizes, seeds).

    On the Dask scheduler at ``cluster`` ('tcp://HOST:PORT') when given (its workers need
    safeground installed); else in ``processes`` worker processes (default: one per CPU;
    0: in this process). The rows are the same whichever way they run. Raises ValueError
    for no seeds, a negative ``processes``, and what ``evaluate`` raises; RuntimeError if
    a cluster is given and Dask is not installed.
    """
    seeds = tuple(seeds)
    if not seeds:
        raise ValueError("a sweep needs at least one seed")
    if processes is not None and processes < 0:
        raise ValueError(f"processes must be >= 0, got {processes}")
    context = _Context(
        tuple(areas),
        tuple(assets),
        default_rates() if rates is None else rates,
        _plain(Uncertainty() if uncertainty is None else uncertainty),
        runs,
        priority_weight,
    )
    points = [(mix, scenario, seed) for mix, scenario in grid.scenarios() for seed in seeds]
    if cluster is not None:
        return _on_cluster(cluster, points, context)
    workers = min(len(points), os.cpu_count() or 1) if processes is None else processes
    if workers == 0:
        return [_point(p, context) for p in points]
    spawn: Any = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=spawn, initializer=_init_worker, initargs=(context,)
    ) as pool:
        return list(pool.map(_worker_point, points))
