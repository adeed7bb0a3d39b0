"""Shared fixtures: a real GeoPackage store in a temporary folder, a fixed clock, and a
few helpers to draw areas in metres and to file reports through the workflow."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Polygon

from safeground.clock import FixedClock
from safeground.domain.model import Report, ReportKind
from safeground.geometry import rectangle, to_geojson
from safeground.services.workflow import Workflow
from safeground.store.sqlite import SQLiteStore

ORIGIN = (30.50, 50.40)
AUTHOR = "field.officer"
REVIEWER = "reviewer"


def box(east_m: float, north_m: float, width_m: float, height_m: float) -> Polygon:
    """A rectangle ``width_m`` x ``height_m`` whose south-west corner is east/north of
    ORIGIN by the given metres."""
    import math

    lon, lat = ORIGIN
    lon += east_m / (111_320.0 * math.cos(math.radians(lat)))
    lat += north_m / 111_320.0
    return rectangle(lon, lat, width_m, height_m)


def gj(geom: Any) -> dict[str, Any]:
    return to_geojson(geom)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "site.gpkg"


@pytest.fixture
def store(db_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore.create(db_path)
    yield s
    s.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(date(2025, 1, 1))


@pytest.fixture
def workflow(store: SQLiteStore, clock: FixedClock) -> Workflow:
    return Workflow(store, clock=clock)


class Filer:
    """Draft, submit and approve reports with the clock at each report's date."""

    def __init__(self, workflow: Workflow, clock: FixedClock) -> None:
        self.workflow = workflow
        self.clock = clock

    def draft(
        self,
        kind: ReportKind | str,
        day: date,
        payload: Mapping[str, Any],
        record_id: str | None = None,
        **kwargs: Any,
    ) -> Report:
        self.clock.set(day)
        return self.workflow.draft(
            kind, author=AUTHOR, payload=payload, record_id=record_id, report_date=day, **kwargs
        )

    def file(
        self,
        kind: ReportKind | str,
        day: date,
        payload: Mapping[str, Any],
        record_id: str | None = None,
        **kwargs: Any,
    ) -> Report:
        report = self.draft(kind, day, payload, record_id, **kwargs)
        self.workflow.submit(report.id, user=AUTHOR)
        return self.workflow.approve(report.id, user=REVIEWER)

    def area(self, geom: Polygon, day: date = date(2025, 1, 10), **fields: Any) -> str:
        payload = {"name": "field", "hazard_type": "SHA", "admin_unit": "North", **fields}
        payload["geometry"] = gj(geom)
        return self.file(ReportKind.AREA_REGISTER, day, payload).record_id

    def activity(self, area_id: str, activity_type: str, day: date, activity_id: str) -> None:
        self.file(
            ReportKind.ACTIVITY,
            day,
            {"activity_id": activity_id, "activity_type": activity_type, "method": "manual"},
            area_id,
        )

    def outcome(
        self,
        area_id: str,
        outcome: str,
        activity_id: str,
        geom: Polygon,
        day: date,
        outcome_id: str,
        depth_cm: float | None = None,
    ) -> Report:
        payload: dict[str, Any] = {
            "outcome_id": outcome_id,
            "outcome": outcome,
            "activity_id": activity_id,
            "geometry": gj(geom),
        }
        if depth_cm is not None:
            payload["depth_cm"] = depth_cm
        return self.file(ReportKind.OUTCOME, day, payload, area_id)


@pytest.fixture
def filer(workflow: Workflow, clock: FixedClock) -> Filer:
    return Filer(workflow, clock)


def table_dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a database file, read through a fresh connection."""
    conn = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names}
    finally:
        conn.close()


def filing_dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """:func:`table_dump` for comparing two ways of filing the same reports: without the
    migration log and the GeoPackage contents table (their clock is the real one) and
    without the reports' versions (a version counts changes: draft, submit, approve)."""
    dump = table_dump(path)
    del dump["safeground_migrations"], dump["gpkg_contents"]
    conn = sqlite3.connect(path)
    try:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(reports)") if r[1] != "version"]
        dump["reports"] = conn.execute(f"SELECT {', '.join(columns)} FROM reports").fetchall()
    finally:
        conn.close()
    return dump


#: Real public data for tests (../shared/data next to the repository; see its SOURCES.md).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """A path in the shared real data, or a skip saying why the test cannot run."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"real data not present: {path} (clone the shared data next to the repository "
            "as ../shared to run this test)"
        )
    return path
