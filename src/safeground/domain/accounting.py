"""Land-release accounting: square metres cancelled, reduced and cleared, grouped.

The inputs are plain rows (one per hazard area, one per counted outcome) so that a store
can hand over a national register without building every record.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from safeground.domain.model import OutcomeType


class GroupBy(StrEnum):
    TOTAL = "total"
    AREA = "area"
    ADMIN = "admin"
    YEAR = "year"
    MONTH = "month"
    METHOD = "method"

    @property
    def has_stock(self) -> bool:
        """Whether groups hold whole areas, so hazard and remaining area make sense."""
        return self in (GroupBy.TOTAL, GroupBy.AREA, GroupBy.ADMIN)


class AreaRow(NamedTuple):  # tuples: a national register has hundreds of thousands
    area_id: str
    name: str
    admin_unit: str
    status: str
    hazard_type: str
    area_m2: float


class ReleaseRow(NamedTuple):
    area_id: str
    admin_unit: str
    outcome: OutcomeType
    method: str
    date: date
    released_m2: float


@dataclass(slots=True)
class SummaryRow:
    key: str
    areas: int | None  # hazard areas recorded in the group (None where groups are periods)
    open_areas: int | None
    hazard_m2: float | None  # total recorded hazard area
    cancelled_m2: float
    reduced_m2: float
    cleared_m2: float
    remaining_m2: float | None  # recorded, not released: still suspected or confirmed

    @property
    def released_m2(self) -> float:
        return self.cancelled_m2 + self.reduced_m2 + self.cleared_m2


def _key_of(by: GroupBy) -> Callable[[str, str, date | None, str], str]:
    """The group key of a row (area id, admin unit, date, method), chosen once per summary."""
    match by:
        case GroupBy.TOTAL:
            return lambda area_id, admin, when, method: "total"
        case GroupBy.AREA:
            return lambda area_id, admin, when, method: area_id
        case GroupBy.ADMIN:
            return lambda area_id, admin, when, method: admin or "(no admin unit)"
        case GroupBy.YEAR:
            return lambda area_id, admin, when, method: f"{when:%Y}" if when else ""
        case GroupBy.MONTH:
            return lambda area_id, admin, when, method: f"{when:%Y-%m}" if when else ""
        case GroupBy.METHOD:
            return lambda area_id, admin, when, method: method
    raise AssertionError(by)  # pragma: no cover


def natural_key(text: str) -> tuple[str | int, ...]:
    """A sort key that orders the numbers inside names as numbers: Hromada 2 before
    Hromada 10. Text compares without case; positions alternate text and number."""
    return tuple(
        int(part) if i % 2 else part.casefold() for i, part in enumerate(re.split(r"(\d+)", text))
    )


def summarise(
    areas: Iterable[AreaRow], releases: Iterable[ReleaseRow], by: GroupBy = GroupBy.TOTAL
) -> list[SummaryRow]:
    """Rows of the summary grouped ``by``, sorted by key (numbers in names as numbers)."""
    key_of = _key_of(by)
    released: dict[str, dict[OutcomeType, float]] = {}
    for r in releases:
        parts = released.setdefault(key_of(r.area_id, r.admin_unit, r.date, r.method), {})
        parts[r.outcome] = parts.get(r.outcome, 0.0) + r.released_m2
    stocked = by.has_stock
    count: dict[str, int] = defaultdict(int)
    open_count: dict[str, int] = defaultdict(int)
    stock: dict[str, float] = defaultdict(float)
    if stocked:
        for a in areas:
            key = key_of(a.area_id, a.admin_unit, None, "")
            count[key] += 1
            open_count[key] += a.status == "open"
            stock[key] += a.area_m2
    rows = []
    nothing: dict[OutcomeType, float] = {}
    cancelled, reduced, cleared = OutcomeType.CANCELLED, OutcomeType.REDUCED, OutcomeType.CLEARED
    for key in sorted(released.keys() | stock.keys(), key=natural_key):
        parts = released.get(key, nothing)
        done = (parts.get(cancelled, 0.0), parts.get(reduced, 0.0), parts.get(cleared, 0.0))
        if stocked:
            total = stock[key]
            rows.append(
                SummaryRow(
                    key, count[key], open_count[key], total, *done, max(total - sum(done), 0.0)
                )
            )
        else:
            rows.append(SummaryRow(key, None, None, None, *done, None))
    return rows
