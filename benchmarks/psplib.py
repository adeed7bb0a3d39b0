"""PSPLIB, the field's standard benchmark: our planner and PyJobShop side by side.

    python benchmarks/psplib.py SET [--time-limit 10] [--workers 2] [--sample N] [--no-peer]
                                    [--seed 0] [--only j3029_4,j3029_8,...]

SET is j30, j60, j120 or patterson (the folders of ../shared/data/psplib). ``--sample N``
takes a fixed stratified sample: every k-th instance in name order, so that each
parameter class of the set is represented (PSPLIB numbers instances by class); ``--only``
takes the named instances instead (the hard ones, to check a change on several seeds). For each
instance, each solver gets the same time limit and workers; every schedule of ours is
checked by the independent checker, every makespan of the peer is taken as it reports it.

Printed per solver: instances, % proven optimal (by the solver), % at the best known upper
bound, mean % above the best known upper bound, mean % above the critical-path lower bound,
mean runtime. Bounds: ``optimum/optimum.csv`` of the set.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from safeground.planning.checker import assert_valid
from safeground.planning.psplib import Bound, read_bounds, read_psplib
from safeground.planning.solve import solve
from safeground.planning.windows import (
    critical_path_bound,
    earliest_starts,
    shortest_durations,
    usable_modes,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "psplib"
FOLDERS = {"j30": "j30.sm", "j60": "j60.sm", "j120": "j120.sm", "patterson": "patterson.rcp"}


@dataclass
class Run:
    makespan: int | None
    proven: bool
    runtime: float


def ours(path: Path, time_limit: float, workers: int, seed: int = 0) -> Run:
    problem = read_psplib(path)
    result = solve(problem, time_limit=time_limit, workers=workers, seed=seed)
    if result.schedule is None:
        return Run(None, False, result.runtime)
    assert_valid(problem, result.schedule)
    return Run(result.schedule.makespan(problem), result.status == "optimal", result.runtime)


def peer(path: Path, time_limit: float, workers: int, seed: int = 0) -> Run:
    # this script's folder is first on sys.path, and its name would shadow the PyPI
    # package "psplib" that PyJobShop imports
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    import pyjobshop

    fmt = "patterson" if path.suffix == ".rcp" else "psplib"
    data = pyjobshop.read(path, fmt)
    began = time.perf_counter()
    result = pyjobshop.solve(data, time_limit=time_limit, num_workers=workers)
    runtime = time.perf_counter() - began
    status = str(result.status.value if hasattr(result.status, "value") else result.status)
    if (
        "infeasible" in status.lower()
        or result.objective is None
        or result.objective != result.objective
    ):
        return Run(None, False, runtime)
    return Run(round(result.objective), status.lower() == "optimal", runtime)


def critical_path(path: Path) -> int:
    problem = read_psplib(path)
    durations = shortest_durations(problem, usable_modes(problem))
    return critical_path_bound(problem, durations, earliest_starts(problem, durations).start)


def above(value: int | None, reference: int | None) -> float | None:
    if value is None or not reference:
        return None
    return 100.0 * (value - reference) / reference


def row(name: str, runs: list[Run], bounds: list[Bound], cps: list[int]) -> list[str]:
    solved = [
        (r, b, cp) for r, b, cp in zip(runs, bounds, cps, strict=True) if r.makespan is not None
    ]
    ub = [above(r.makespan, b.upper) for r, b, _ in solved]
    cp = [above(r.makespan, c) for r, _, c in solved]
    at_best = sum(1 for r, b, _ in solved if b.upper is not None and r.makespan <= b.upper)
    n = len(runs)
    return [
        name,
        f"{n}",
        f"{100 * sum(r.proven for r in runs) / n:.1f}",
        f"{100 * at_best / n:.1f}",
        f"{statistics.fmean(v for v in ub if v is not None):.2f}",
        f"{statistics.fmean(v for v in cp if v is not None):.2f}",
        f"{statistics.fmean(r.runtime for r in runs):.2f}",
        f"{n - len(solved)}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("set", choices=sorted(FOLDERS))
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=None, help="a stratified sample of N")
    parser.add_argument("--no-peer", action="store_true", help="skip PyJobShop")
    parser.add_argument("--seed", type=int, default=0, help="our solver's seed")
    parser.add_argument("--only", default=None, help="comma-separated instance names")
    args = parser.parse_args()
    folder = DATA / FOLDERS[args.set]
    if not folder.exists():
        raise SystemExit(f"{folder} not found: clone the shared data next to the repository")
    bounds = read_bounds(folder / "optimum" / "optimum.csv")
    paths = sorted((p for p in folder.iterdir() if p.name in bounds), key=_natural)
    if args.only:
        wanted = {
            n if n.endswith(folder.suffix) else n + folder.suffix for n in args.only.split(",")
        }
        unknown = wanted - {p.name for p in paths}
        if unknown:
            raise SystemExit(f"not in {args.set}: {', '.join(sorted(unknown))}")
        paths = [p for p in paths if p.name in wanted]
    elif args.sample and args.sample < len(paths):
        step = len(paths) / args.sample
        paths = [paths[int(i * step)] for i in range(args.sample)]
    solvers = [("safeground", ours)] + ([] if args.no_peer else [("PyJobShop", peer)])
    runs: dict[str, list[Run]] = {name: [] for name, _ in solvers}
    console = Console(width=150)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"{args.set}", total=len(paths) * len(solvers))
        for path in paths:
            for name, run in solvers:
                runs[name].append(run(path, args.time_limit, args.workers, args.seed))
                progress.advance(task)
    instance_bounds = [bounds[p.name] for p in paths]
    cps = [critical_path(p) for p in paths]
    table = Table(
        title=f"PSPLIB {args.set}: {len(paths)} instances, {args.time_limit:g} s, "
        f"{args.workers} workers"
    )
    for column in (
        "solver",
        "instances",
        "% proven optimal",
        "% at best known",
        "mean % above best known",
        "mean % above critical path",
        "mean runtime s",
        "no schedule",
    ):
        table.add_column(column, justify="left" if column == "solver" else "right")
    for name, _ in solvers:
        table.add_row(*row(name, runs[name], instance_bounds, cps))
    console.print(table)
    for name, _ in solvers:
        missed = [
            f"{path.stem} ({r.makespan} > {b.upper})"
            for path, r, b in zip(paths, runs[name], instance_bounds, strict=True)
            if b.upper is not None and (r.makespan is None or r.makespan > b.upper)
        ]
        console.print(f"{name}: above the best known: {', '.join(missed) or 'none'}")


def _natural(path: Path) -> tuple[int, ...]:
    digits = "".join(c if c.isdigit() else " " for c in path.stem)
    return tuple(int(part) for part in digits.split())


if __name__ == "__main__":
    main()
