"""Reading the register: areas, a record's history, the land-release summary, and a
check that the stored current state is what the approved reports say."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from safeground.domain.accounting import GroupBy, SummaryRow, summarise
from safeground.domain.model import HazardArea, Record, RecordType, ReleaseRules, Report
from safeground.domain.replay import fold, in_force
from safeground.store.base import NotFound, Store
from safeground.store.tables import rows_of


@dataclass(frozen=True)
class AreaListing:
    area_id: str
    name: str
    admin_unit: str
    status: str
    hazard_type: str
    area_m2: float
    released_m2: float
    remaining_m2: float


def list_areas(store: Store, status: str | None = None) -> list[AreaListing]:
    areas = store.area_rows(status)
    by_area = {row.key: row for row in summarise(areas, store.release_rows(), GroupBy.AREA)}
    listings = []
    for a in areas:
        row = by_area[a.area_id]
        listings.append(
            AreaListing(
                a.area_id,
                a.name,
                a.admin_unit,
                a.status,
                a.hazard_type,
                a.area_m2,
                row.released_m2,
                row.remaining_m2 or 0.0,
            )
        )
    return listings


@dataclass(frozen=True)
class History:
    """A record as known on a day, and the reports that made it so."""

    record_id: str
    as_of: date | None
    state: Record | None
    in_force: list[Report]  # the approved reports that built the state, in order
    other: list[Report]  # pending, rejected and superseded reports, for the full story


def history(
    store: Store,
    record_id: str,
    *,
    as_of: date | None = None,
    record_type: RecordType = RecordType.AREA,
    rules: ReleaseRules | None = None,
) -> History:
    reports = store.reports(record_type=record_type, record_id=record_id)
    if not reports:
        raise NotFound(f"no {record_type} {record_id}")
    used = in_force(reports, as_of)
    ids = {r.id for r in used}
    other = [
        r for r in reports if r.id not in ids and (as_of is None or r.created_at.date() <= as_of)
    ]
    return History(record_id, as_of, fold(used, rules or ReleaseRules()), used, other)


def area(store: Store, area_id: str, rules: ReleaseRules | None = None) -> HazardArea:
    state = history(store, area_id, rules=rules).state
    if not isinstance(state, HazardArea):
        raise NotFound(f"hazard area {area_id} has no approved report yet")
    return state


def summary(store: Store, by: GroupBy = GroupBy.TOTAL) -> list[SummaryRow]:
    """Land-release accounting in square metres, grouped ``by``."""
    return summarise(store.area_rows(), store.release_rows(), by)


@dataclass(frozen=True)
class Mismatch:
    record_type: RecordType
    record_id: str
    detail: str


def verify(store: Store, rules: ReleaseRules | None = None) -> Iterator[Mismatch]:
    """Replay every record's approved reports and compare with the stored state."""
    rules = rules or ReleaseRules()
    reports = store.iter_reports()
    for (record_type, record_id), group in groupby(reports, lambda r: (r.record_type, r.record_id)):
        state = fold(in_force(group), rules)
        stored = store.projection_snapshot(record_type, record_id)
        expected = rows_of(state) if state is not None else {k: [] for k in stored}
        if stored != expected:
            yield Mismatch(record_type, record_id, f"stored {stored!r} != replayed {expected!r}")
