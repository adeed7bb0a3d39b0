"""Rules on single reports, without a store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from safeground.domain import errors
from safeground.domain.errors import RuleViolation
from safeground.domain.model import (
    AreaStatus,
    HazardArea,
    ReleaseRules,
    Report,
    ReportKind,
    ReportStatus,
)
from safeground.domain.replay import fold, in_force
from safeground.domain.rules import apply_area
from tests.conftest import box, gj

RULES = ReleaseRules()
_ids = iter(range(1, 10_000))


def rep(
    kind: ReportKind, payload: dict[str, Any], day: date = date(2025, 1, 1), **kw: Any
) -> Report:
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    fields: dict[str, Any] = dict(
        id=next(_ids),
        kind=kind,
        record_id="HA-1",
        report_date=day,
        payload=payload,
        status=ReportStatus.APPROVED,
        author="a",
        created_at=at,
        reviewed_at=at,
    )
    fields.update(kw)
    return Report(**fields)


def registered() -> HazardArea:
    return apply_area(
        None, rep(ReportKind.AREA_REGISTER, {"geometry": gj(box(0, 0, 100, 100))}), RULES
    )


def test_area_is_measured_in_square_metres_in_its_utm_zone() -> None:
    area = registered()
    assert area.epsg == 32636  # 30.5 E, 50.4 N
    assert area.area_m2 == pytest.approx(10_000, rel=0.005)


@pytest.mark.parametrize(
    ("geometry", "why"),
    [
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            "Self-intersection",
        ),
        ({"type": "Point", "coordinates": [30, 50]}, "expected a Polygon"),
        (
            {"type": "Polygon", "coordinates": [[[200, 0], [201, 1], [201, 0], [200, 0]]]},
            "outside longitude",
        ),
        ({"type": "Polygon", "coordinates": []}, "empty"),
    ],
)
def test_register_refuses_unusable_geometry_with_the_reason(
    geometry: dict[str, Any], why: str
) -> None:
    with pytest.raises(RuleViolation, match=why) as caught:
        apply_area(None, rep(ReportKind.AREA_REGISTER, {"geometry": geometry}), RULES)
    assert caught.value.rule == errors.INVALID_GEOMETRY


def test_outcome_must_come_from_the_matching_activity() -> None:
    area = apply_area(
        registered(),
        rep(ReportKind.ACTIVITY, {"activity_id": "A1", "activity_type": "non_technical_survey"}),
        RULES,
    )
    cleared = {
        "outcome_id": "O1",
        "outcome": "cleared",
        "activity_id": "A1",
        "depth_cm": 10,
        "geometry": gj(box(0, 0, 10, 10)),
    }
    with pytest.raises(RuleViolation) as caught:
        apply_area(area, rep(ReportKind.OUTCOME, cleared), RULES)
    assert caught.value.rule == errors.OUTCOME_WRONG_ACTIVITY


def test_handover_needs_a_closed_area() -> None:
    with pytest.raises(RuleViolation) as caught:
        apply_area(registered(), rep(ReportKind.AREA_HANDOVER, {}), RULES)
    assert caught.value.rule == errors.HANDOVER_BEFORE_CLOSE


def test_as_of_counts_only_reports_dated_and_approved_by_then() -> None:
    reg = rep(ReportKind.AREA_REGISTER, {"geometry": gj(box(0, 0, 100, 100))}, date(2025, 1, 1))
    late = datetime(2025, 3, 1, tzinfo=UTC)
    backdated = rep(ReportKind.AREA_UPDATE, {"name": "renamed"}, date(2025, 2, 1), reviewed_at=late)
    pending = rep(
        ReportKind.AREA_UPDATE, {"name": "draft"}, date(2025, 2, 1), status=ReportStatus.DRAFT
    )
    reports = [reg, backdated, pending]
    assert [r.id for r in in_force(reports, date(2025, 2, 15))] == [reg.id]
    assert [r.id for r in in_force(reports)] == [reg.id, backdated.id]
    state = fold(in_force(reports), RULES)
    assert isinstance(state, HazardArea) and state.name == "renamed"
    assert state.status is AreaStatus.OPEN
