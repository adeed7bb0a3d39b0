from __future__ import annotations

from datetime import date

import pytest

from safeground.domain.accounting import AreaRow, GroupBy, ReleaseRow, natural_key, summarise
from safeground.domain.model import OutcomeType

AREAS = [
    AreaRow("HA-1", "a", "North", "closed", "SHA", 1000.0),
    AreaRow("HA-2", "b", "North", "open", "CHA", 500.0),
    AreaRow("HA-3", "c", "South", "open", "SHA", 200.0),
]
RELEASES = [
    ReleaseRow("HA-1", "North", OutcomeType.CANCELLED, "nts", date(2024, 12, 30), 600.0),
    ReleaseRow("HA-1", "North", OutcomeType.CLEARED, "manual", date(2025, 1, 5), 400.0),
    ReleaseRow("HA-2", "North", OutcomeType.REDUCED, "ts", date(2025, 2, 1), 100.0),
]


def test_summary_by_admin_unit_adds_up_stock_and_release() -> None:
    north, south = summarise(AREAS, RELEASES, GroupBy.ADMIN)
    assert (north.key, north.areas, north.open_areas, north.hazard_m2) == ("North", 2, 1, 1500.0)
    assert (north.cancelled_m2, north.reduced_m2, north.cleared_m2) == (600.0, 100.0, 400.0)
    assert north.remaining_m2 == pytest.approx(400.0)
    assert (south.released_m2, south.remaining_m2) == (0.0, 200.0)


def test_summary_by_year_counts_release_in_the_year_it_happened() -> None:
    rows = {r.key: r for r in summarise(AREAS, RELEASES, GroupBy.YEAR)}
    assert rows["2024"].released_m2 == 600.0 and rows["2025"].released_m2 == 500.0
    # periods hold no stock: there is no "remaining" for a year
    assert rows["2024"].remaining_m2 is None and rows["2024"].hazard_m2 is None


def test_summary_by_method_and_month() -> None:
    methods = {r.key: r.released_m2 for r in summarise(AREAS, RELEASES, GroupBy.METHOD)}
    assert methods == {"manual": 400.0, "nts": 600.0, "ts": 100.0}
    months = [r.key for r in summarise(AREAS, RELEASES, GroupBy.MONTH)]
    assert months == ["2024-12", "2025-01", "2025-02"]


def test_total_summary_equals_the_sum_over_areas() -> None:
    (total,) = summarise(AREAS, RELEASES)
    by_area = summarise(AREAS, RELEASES, GroupBy.AREA)
    assert total.released_m2 == sum(r.released_m2 for r in by_area)
    assert total.remaining_m2 == pytest.approx(sum(r.remaining_m2 or 0 for r in by_area))


def test_admin_units_sort_with_their_numbers_as_numbers() -> None:
    names = ["Hromada 10", "hromada 2", "Hromada 1", "Hromada 11", "Bakhmut", "Hromada 2a"]
    assert sorted(names, key=natural_key) == [
        "Bakhmut",
        "Hromada 1",
        "hromada 2",
        "Hromada 2a",
        "Hromada 10",
        "Hromada 11",
    ]
    areas = [AreaRow(f"HA-{n}", "", f"Hromada {n}", "open", "SHA", 10.0) for n in (10, 2, 1)]
    keys = [row.key for row in summarise(areas, [], GroupBy.ADMIN)]
    assert keys == ["Hromada 1", "Hromada 2", "Hromada 10"]
