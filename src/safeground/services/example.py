"""A small, complete land-release story, recorded through the same workflow a user has.

Three hazard areas in two communities: one surveyed, reduced, cleared, checked and handed
over; one cancelled by non-technical survey; one still open, where an attempt to close it
early is refused. A school and a road wait on the land. Used by ``safeground example``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from safeground.clock import FixedClock
from safeground.domain.errors import RuleViolation
from safeground.domain.model import ReportKind
from safeground.geometry import rectangle, to_geojson
from safeground.services.workflow import Workflow
from safeground.store.base import Store

FIELD_OFFICER = "field.officer"
REVIEWER = "qa.officer"
ORIGIN = (36.90, 49.40)  # a rural border district; coordinates are illustrative


def _offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return (
        lon + east_m / (111_320.0 * math.cos(math.radians(lat))),
        lat + north_m / 111_320.0,
    )


def _strip(corner: tuple[float, float], east_m: float, width_m: float, height_m: float) -> Polygon:
    lon, lat = _offset(*corner, east_m, 0.0)
    return rectangle(lon, lat, width_m, height_m)


@dataclass
class Story:
    """What happened, for the caller to print."""

    workflow: Workflow
    clock: FixedClock
    approved: int = 0
    refusals: list[str] = field(default_factory=list)

    def file(
        self,
        kind: ReportKind,
        day: date,
        payload: Mapping[str, Any],
        record_id: str | None = None,
        personal: Mapping[str, Any] | None = None,
    ) -> str:
        """Draft, submit and approve one report on ``day``; the record's id."""
        self.clock.set(day)
        report = self.workflow.draft(
            kind,
            author=FIELD_OFFICER,
            payload=payload,
            record_id=record_id,
            report_date=day,
            personal=personal,
        )
        self.workflow.submit(report.id, user=FIELD_OFFICER)
        self.workflow.approve(report.id, user=REVIEWER)
        self.approved += 1
        return report.record_id

    def attempt(self, what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except RuleViolation as exc:
            self.refusals.append(f"{what}: refused [{exc.rule}] {exc.message}")


def run(store: Store) -> Story:
    clock = FixedClock(date(2025, 3, 1))
    story = Story(Workflow(store, clock=clock), clock)
    f = story.file
    K = ReportKind
    ngo = f(
        K.ORGANISATION_REGISTER, date(2025, 3, 1), {"name": "Example Demining NGO", "kind": "ngo"}
    )
    teams = {
        kind: f(
            K.TEAM_REGISTER,
            date(2025, 3, 1),
            {"name": name, "organisation_id": ngo, "team_type": kind, "size": size},
        )
        for kind, name, size in (
            ("non_technical_survey", "NTS team 1", 4),
            ("technical_survey", "TS team 1", 8),
            ("manual_clearance", "Manual team 1", 10),
            ("construction", "Builders 1", 20),
        )
    }

    # HA 1: 200 m x 150 m of farmland, released by all three methods, then handed over.
    c1 = ORIGIN
    ha1 = f(
        K.AREA_REGISTER,
        date(2025, 3, 10),
        {
            "name": "Field north of the school",
            "hazard_type": "SHA",
            "evidence": "villagers report mines laid along the field edge in 2022",
            "blockages": "farmland not cultivated",
            "land_use": "agriculture",
            "admin_unit": "North community",
            "geometry": to_geojson(rectangle(*c1, 200, 150)),
        },
    )
    _release(
        story,
        ha1,
        c1,
        teams,
        150,
        [("cancelled", 0, 80), ("reduced", 80, 70), ("cleared", 150, 50)],
    )
    f(
        K.EO_FIND,
        date(2025, 6, 12),
        {
            "category": "ap_mine",
            "ordnance_type": "PMN-2",
            "condition": "armed",
            "depth_cm": 8,
            "area_id": ha1,
            "geometry": to_geojson(Point(*_offset(*c1, 170, 75))),
        },
    )
    f(K.AREA_CLOSE, date(2025, 7, 1), {}, ha1)
    f(K.AREA_HANDOVER, date(2025, 7, 15), {"recipient": "North community council"}, ha1)

    # HA 2: a suspected area that non-technical survey cancels whole.
    c2 = _offset(*ORIGIN, 400, 0)
    ha2 = f(
        K.AREA_REGISTER,
        date(2025, 3, 12),
        {
            "name": "Roadside verge",
            "hazard_type": "SHA",
            "evidence": "unconfirmed report of a tripwire",
            "blockages": "road shoulder closed",
            "land_use": "transport",
            "admin_unit": "North community",
            "geometry": to_geojson(rectangle(*c2, 100, 100)),
        },
    )
    _release(story, ha2, c2, teams, 100, [("cancelled", 0, 100)])
    f(K.AREA_CLOSE, date(2025, 5, 10), {}, ha2)

    # HA 3: a confirmed minefield, partly released; still open.
    c3 = _offset(*ORIGIN, 0, -600)
    ha3 = f(
        K.AREA_REGISTER,
        date(2025, 4, 2),
        {
            "name": "Orchard by the river",
            "hazard_type": "CHA",
            "evidence": "anti-personnel mine accident; fragments found",
            "blockages": "orchard and river access",
            "land_use": "agriculture",
            "admin_unit": "South community",
            "geometry": to_geojson(rectangle(*c3, 300, 200)),
        },
    )
    _release(story, ha3, c3, teams, 200, [("reduced", 0, 100), ("cleared", 100, 100)], qa=False)
    f(
        K.ACCIDENT,
        date(2025, 5, 3),
        {
            "area_id": ha3,
            "description": "farmer injured by an anti-personnel mine at the orchard edge",
            "killed": 0,
            "injured": 1,
            "geometry": to_geojson(Point(*_offset(*c3, 250, 20))),
        },
        personal={"victims": [{"name": "A. Farmer", "sex": "m", "age": 54, "injury": "injured"}]},
    )
    story.attempt(
        f"closing {ha3} with 100 m of it not yet released",
        lambda: story.workflow.draft(
            K.AREA_CLOSE,
            author=FIELD_OFFICER,
            payload={},
            record_id=ha3,
            report_date=date(2025, 8, 1),
        ),
    )

    # What waits on the land: a school beside HA 1 and the road along HA 2.
    school = _strip(_offset(*c1, 0, -60), 20, 60, 40)
    f(
        K.ASSET_REGISTER,
        date(2025, 3, 20),
        {
            "name": "School No. 2",
            "kind": "building",
            "damage_grade": "highly_damaged",
            "admin_unit": "North community",
            "geometry": to_geojson(MultiPolygon([school])),
        },
    )
    f(
        K.ASSET_REGISTER,
        date(2025, 3, 20),
        {
            "name": "District road",
            "kind": "road",
            "damage_grade": "moderately_damaged",
            "admin_unit": "North community",
            "geometry": to_geojson(LineString([_offset(*c2, -20, -5), _offset(*c2, 120, -5)])),
        },
    )
    return story


_ACTIVITY = {
    "cancelled": ("non_technical_survey", "non_technical_survey", "community interviews"),
    "reduced": ("technical_survey", "technical_survey", "targeted technical survey"),
    "cleared": ("clearance", "manual_clearance", "manual"),
}


def _release(
    story: Story,
    area_id: str,
    corner: tuple[float, float],
    teams: Mapping[str, str],
    height: float,
    strips: list[tuple[str, float, float]],
    *,
    qa: bool = True,
) -> None:
    """Record, for each (outcome, east offset m, width m) strip of an area ``height`` m
    tall, the activity that released it and the outcome; QA for cleared land."""
    K = ReportKind
    for n, (outcome, east, width) in enumerate(strips):
        day = date(2025, 4 + n, 5)
        activity_type, team_type, method = _ACTIVITY[outcome]
        story.file(
            K.ACTIVITY,
            day,
            {
                "activity_id": f"A{n + 1}",
                "activity_type": activity_type,
                "team_id": teams[team_type],
                "method": method,
                "start_date": day.isoformat(),
                "end_date": date(2025, 4 + n, 25).isoformat(),
            },
            area_id,
        )
        payload: dict[str, Any] = {
            "outcome_id": f"O{n + 1}",
            "outcome": outcome,
            "activity_id": f"A{n + 1}",
            "geometry": to_geojson(_strip(corner, east, width, height)),
        }
        if outcome == "cleared":
            payload["depth_cm"] = 13
        story.file(K.OUTCOME, date(2025, 4 + n, 25), payload, area_id)
        if outcome == "cleared" and qa:
            story.file(
                K.QA,
                date(2025, 4 + n, 28),
                {
                    "qa_id": f"Q{n + 1}",
                    "outcome_id": f"O{n + 1}",
                    "result": "passed",
                    "inspector": "National QA team",
                },
                area_id,
            )
