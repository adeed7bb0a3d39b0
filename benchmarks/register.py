"""Record a national-scale register and summarise it; print the times.

    python benchmarks/register.py [--areas 100000] [--db PATH]

Hazard areas are irregular polygons of 6 to 16 vertices, log-normal in size (median about
20,000 m², capped at 2 km²), clustered along a former front line across 40 admin units.
Every area is registered by its own report, checked by the land-release rules, submitted
by its author and approved by a reviewer:
- a sample goes one report at a time through draft -> submit -> approve (three
  transactions each), as a user at the command line would;
- the register goes through ``Workflow.file_many`` in batches of 1,000 (the import path:
  the same rules, one transaction per batch);
a quarter of the areas are then partly cancelled by non-technical survey (an activity
and an outcome report each). Then the land-release summary is computed three ways.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import shapely
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from shapely.geometry import Polygon

from safeground.clock import FixedClock
from safeground.domain.accounting import GroupBy
from safeground.geometry import to_geojson
from safeground.services import register
from safeground.services.workflow import Draft, Workflow
from safeground.store.sqlite import SQLiteStore

BATCH = 1_000
SAMPLE = 2_000


def polygon(rng: np.random.Generator, lon: float, lat: float, radius_m: float) -> Polygon:
    """A star-shaped polygon: vertices at evenly spread angles with jittered radii."""
    n = int(rng.integers(6, 17))
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False) + rng.uniform(0, 0.4 / n, n)
    radii = radius_m * rng.uniform(0.6, 1.0, n)
    dx = radii * np.cos(angles) / (111_320.0 * math.cos(math.radians(lat)))
    dy = radii * np.sin(angles) / 111_320.0
    return Polygon(np.column_stack([lon + dx, lat + dy]))


def areas(n: int, seed: int = 7) -> list[dict[str, object]]:
    """Register payloads for ``n`` areas along a front line from (35.0, 47.5) to (38.5, 50.5)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 1, n)
    lon = 35.0 + 3.5 * t + rng.normal(0, 0.15, n)
    lat = 47.5 + 3.0 * t + rng.normal(0, 0.15, n)
    size = np.minimum(rng.lognormal(math.log(20_000), 1.0, n), 2_000_000)
    radius = np.sqrt(size / math.pi)
    unit = (t * 40).astype(int)
    return [
        {
            "hazard_type": "SHA",
            "admin_unit": f"unit-{unit[i]:02d}",
            "land_use": "agriculture",
            "evidence": "community report",
            "geometry": to_geojson(polygon(rng, lon[i], lat[i], radius[i])),
        }
        for i in range(n)
    ]


def west_half(payload: dict[str, object]) -> dict[str, object]:
    geom = shapely.geometry.shape(payload["geometry"])
    minx, miny, maxx, maxy = geom.bounds
    part = geom.intersection(shapely.box(minx, miny, (minx + maxx) / 2, maxy))
    return {"outcome": "cancelled", "activity_id": "A1", "geometry": to_geojson(part)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--areas", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    console = Console()

    t0 = time.perf_counter()
    payloads = areas(args.areas)
    t_generate = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        # one report at a time, as at the command line (a sample, in its own database)
        sample_store = SQLiteStore.create(Path(tmp) / "sample.gpkg")
        workflow = Workflow(sample_store, clock=FixedClock(date(2025, 1, 10)))
        sample = payloads[: min(SAMPLE, len(payloads))]
        t0 = time.perf_counter()
        for payload in sample:
            report = workflow.draft("area.register", author="officer", payload=payload)
            workflow.submit(report.id, user="officer")
            workflow.approve(report.id, user="reviewer")
        t_single = time.perf_counter() - t0
        sample_store.close()

        path = args.db or Path(tmp) / "register.gpkg"
        store = SQLiteStore.create(path)
        workflow = Workflow(store, clock=FixedClock(date(2025, 4, 1)), four_eyes=True)
        ids: list[str] = []
        t0 = time.perf_counter()
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("registering areas", total=len(payloads))
            for start in range(0, len(payloads), BATCH):
                batch = [
                    Draft("area.register", p, report_date=date(2025, 1, 10))
                    for p in payloads[start : start + BATCH]
                ]
                filed = workflow.file_many(batch, author="officer", reviewer="reviewer")
                ids += [r.record_id for r in filed]
                progress.update(task, advance=len(batch))
        t_insert = time.perf_counter() - t0

        surveyed = list(range(0, len(ids), 4))
        t0 = time.perf_counter()
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("surveying a quarter", total=len(surveyed))
            for start in range(0, len(surveyed), BATCH // 2):
                batch = []
                for i in surveyed[start : start + BATCH // 2]:
                    activity = {"activity_type": "non_technical_survey", "method": "nts"}
                    batch.append(Draft("activity", activity, ids[i], date(2025, 3, 1)))
                    batch.append(
                        Draft("outcome", west_half(payloads[i]), ids[i], date(2025, 3, 15))
                    )
                workflow.file_many(batch, author="officer", reviewer="reviewer")
                progress.update(task, advance=len(batch) // 2)
        t_survey = time.perf_counter() - t0

        timings = {}
        for by in (GroupBy.TOTAL, GroupBy.ADMIN, GroupBy.MONTH, GroupBy.AREA):
            t0 = time.perf_counter()
            register.summary(store, by)
            timings[by] = time.perf_counter() - t0
        (total,) = register.summary(store)
        size_mb = path.stat().st_size / 1e6
        store.close()

    table = Table(title=f"benchmarks/register.py: {args.areas:,} hazard areas (2-core machine)")
    for column, justify in (
        ("step", "left"),
        ("seconds", "right"),
        ("rate", "right"),
        ("goal", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_row("generate polygons", f"{t_generate:.1f}", "", "")
    table.add_row(
        f"register {len(sample):,} areas one at a time (draft, submit, approve)",
        f"{t_single:.1f}",
        f"{len(sample) / t_single:,.0f} areas/s",
        "",
    )
    table.add_row(
        f"register {args.areas:,} areas in checked batches of {BATCH:,}",
        f"{t_insert:.1f}",
        f"{args.areas / t_insert:,.0f} areas/s",
        "≤ 60 s for 100,000",
    )
    table.add_row(
        f"survey {len(surveyed):,} areas (activity + outcome reports)",
        f"{t_survey:.1f}",
        f"{2 * len(surveyed) / t_survey:,.0f} reports/s",
        "",
    )
    for by, seconds in timings.items():
        table.add_row(f"summary by {by.value}", f"{seconds:.2f}", "", "≤ 2 s")
    console.print(table)
    console.print(
        f"{total.areas:,} areas, {(total.hazard_m2 or 0) / 1e6:,.1f} km² recorded, "
        f"{total.cancelled_m2 / 1e6:,.1f} km² cancelled; database {size_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
