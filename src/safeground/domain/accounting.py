"""Land-release accounting: square metres cancelled, reduced and cleared, grouped.

The inputs are plain rows (one per hazard area, one per counted outcome) so that a store
can hand over a national register without building every record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
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


def _key(by: GroupBy, area_id: str, admin: str, when: date | None, method: str) -> str:
    match by:
        case GroupBy.TOTAL:
            return "total"
        case GroupBy.AREA:
            return area_id
        case GroupBy.ADMIN:
            return admin or "(no admin unit)"
        case GroupBy.YEAR:
            return f"{when:%Y}" if when else ""
        case GroupBy.MONTH:
            return f"{when:%Y-%m}" if when else ""
        case GroupBy.METHOD:
            return method
    raise AssertionError(by)  # pragma: no cover


def summarise(
    areas: Iterable[AreaRow], releases: Iterable[ReleaseRow], by: GroupBy = GroupBy.TOTAL
) -> list[SummaryRow]:
    """Rows of the summary grouped ``by``, sorted by key."""
    released: dict[str, dict[OutcomeType, float]] = defaultdict(lambda: defaultdict(float))
    for r in releases:
        released[_key(by, r.area_id, r.admin_unit, r.date, r.method)][r.outcome] += r.released_m2
    count: dict[str, int] = defaultdict(int)
    open_count: dict[str, int] = defaultdict(int)
    stock: dict[str, float] = defaultdict(float)
    if by.has_stock:
        for a in areas:
            key = _key(by, a.area_id, a.admin_unit, None, "")
            count[key] += 1
            open_count[key] += a.status == "open"
            stock[key] += a.area_m2
    rows = []
    for key in sorted(set(released) | set(stock)):
        parts = released.get(key, {})
        done = sum(parts.values())
        rows.append(
            SummaryRow(
                key=key,
                areas=count[key] if by.has_stock else None,
                open_areas=open_count[key] if by.has_stock else None,
                hazard_m2=stock[key] if by.has_stock else None,
                cancelled_m2=parts.get(OutcomeType.CANCELLED, 0.0),
                reduced_m2=parts.get(OutcomeType.REDUCED, 0.0),
                cleared_m2=parts.get(OutcomeType.CLEARED, 0.0),
                remaining_m2=max(stock[key] - done, 0.0) if by.has_stock else None,
            )
        )
    return rows
