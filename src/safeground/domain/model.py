"""The records of mine action, as typed immutable values.

Field names follow the GICHD Minimum Data Requirements and the IMSMA data model where
they have a name there. Nothing here does I/O: these values are built by the rules in
:mod:`safeground.domain.rules` from approved reports, and stored by a store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shapely.geometry.base import BaseGeometry


class HazardType(StrEnum):
    SHA = "SHA"  # suspected hazardous area: indirect evidence
    CHA = "CHA"  # confirmed hazardous area: direct evidence


class AreaStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # all of the area released on the evidence the workflow demands
    HANDED_OVER = "handed_over"  # closed, and formally handed to its users


class ActivityType(StrEnum):
    NON_TECHNICAL_SURVEY = "non_technical_survey"
    TECHNICAL_SURVEY = "technical_survey"
    CLEARANCE = "clearance"
    BATTLE_AREA_CLEARANCE = "battle_area_clearance"
    EOD_SPOT_TASK = "eod_spot_task"


class OutcomeType(StrEnum):
    CANCELLED = "cancelled"  # by non-technical survey
    REDUCED = "reduced"  # by technical survey
    CLEARED = "cleared"  # by clearance, to a stated depth


#: Which activity may produce which land-release outcome (IMAS 07.11).
OUTCOME_ACTIVITIES: Mapping[OutcomeType, frozenset[ActivityType]] = {
    OutcomeType.CANCELLED: frozenset({ActivityType.NON_TECHNICAL_SURVEY}),
    OutcomeType.REDUCED: frozenset({ActivityType.TECHNICAL_SURVEY}),
    OutcomeType.CLEARED: frozenset({ActivityType.CLEARANCE, ActivityType.BATTLE_AREA_CLEARANCE}),
}


class TeamType(StrEnum):
    NON_TECHNICAL_SURVEY = "non_technical_survey"
    TECHNICAL_SURVEY = "technical_survey"
    MANUAL_CLEARANCE = "manual_clearance"
    MECHANICAL = "mechanical"
    MINE_DETECTION_DOGS = "mine_detection_dogs"
    EOD = "eod"
    CONSTRUCTION = "construction"


class QAResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class OrdnanceCategory(StrEnum):
    AP_MINE = "ap_mine"
    AT_MINE = "at_mine"
    UXO = "uxo"
    AXO = "axo"
    SUBMUNITION = "submunition"
    IED = "ied"
    OTHER = "other"


class AssetKind(StrEnum):
    BUILDING = "building"
    ROAD = "road"
    BRIDGE = "bridge"
    UTILITY = "utility"


class DamageGrade(StrEnum):
    # The Copernicus EMS grading scale.
    NOT_AFFECTED = "not_affected"
    SLIGHTLY_DAMAGED = "slightly_damaged"
    MODERATELY_DAMAGED = "moderately_damaged"
    HIGHLY_DAMAGED = "highly_damaged"
    DESTROYED = "destroyed"
    UNKNOWN = "unknown"


class AssetState(StrEnum):
    DAMAGED = "damaged"
    UNDER_RECONSTRUCTION = "under_reconstruction"
    REBUILT = "rebuilt"


class EventType(StrEnum):
    """What a point event reports, after the event categories of IMSMA registers."""

    ACCIDENT = "accident"  # a person hurt or killed by a mine or other explosive ordnance
    EO_FIND = "eo_find"  # ordnance found: UXO, an abandoned item, a seizure
    EO_CACHE = "eo_cache"  # a stockpile, cache or production site of ordnance
    DEMINING = "demining"  # ordnance destroyed in demining or clearance operations
    SUSPECTED_HAZARD = "suspected_hazard"  # a report of a suspected minefield
    OTHER = "other"


class ReportStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class RecordType(StrEnum):
    AREA = "area"
    ORGANISATION = "organisation"
    TEAM = "team"
    ASSET = "asset"
    EO_ITEM = "eo_item"
    ACCIDENT = "accident"
    EVENT = "event"


class ReportKind(StrEnum):
    AREA_REGISTER = "area.register"
    AREA_UPDATE = "area.update"
    ACTIVITY = "activity"
    OUTCOME = "outcome"
    QA = "qa"
    AREA_CLOSE = "area.close"
    AREA_HANDOVER = "area.handover"
    AREA_REOPEN = "area.reopen"
    ORGANISATION_REGISTER = "organisation.register"
    TEAM_REGISTER = "team.register"
    ASSET_REGISTER = "asset.register"
    ASSET_UPDATE = "asset.update"
    EO_FIND = "eo.find"
    ACCIDENT = "accident"
    EVENT_REGISTER = "event.register"
    EVENT_UPDATE = "event.update"

    @property
    def record_type(self) -> RecordType:
        return _RECORD_TYPE[self]

    @property
    def creates_record(self) -> bool:
        return self in _CREATING


_RECORD_TYPE: Mapping[ReportKind, RecordType] = {
    ReportKind.AREA_REGISTER: RecordType.AREA,
    ReportKind.AREA_UPDATE: RecordType.AREA,
    ReportKind.ACTIVITY: RecordType.AREA,
    ReportKind.OUTCOME: RecordType.AREA,
    ReportKind.QA: RecordType.AREA,
    ReportKind.AREA_CLOSE: RecordType.AREA,
    ReportKind.AREA_HANDOVER: RecordType.AREA,
    ReportKind.AREA_REOPEN: RecordType.AREA,
    ReportKind.ORGANISATION_REGISTER: RecordType.ORGANISATION,
    ReportKind.TEAM_REGISTER: RecordType.TEAM,
    ReportKind.ASSET_REGISTER: RecordType.ASSET,
    ReportKind.ASSET_UPDATE: RecordType.ASSET,
    ReportKind.EO_FIND: RecordType.EO_ITEM,
    ReportKind.ACCIDENT: RecordType.ACCIDENT,
    ReportKind.EVENT_REGISTER: RecordType.EVENT,
    ReportKind.EVENT_UPDATE: RecordType.EVENT,
}

_CREATING = frozenset(
    {
        ReportKind.AREA_REGISTER,
        ReportKind.ORGANISATION_REGISTER,
        ReportKind.TEAM_REGISTER,
        ReportKind.ASSET_REGISTER,
        ReportKind.EO_FIND,
        ReportKind.ACCIDENT,
        ReportKind.EVENT_REGISTER,
    }
)


@dataclass(frozen=True)
class Report:
    """A dated statement about one record, reviewed before it changes anything.

    ``payload`` holds the report's facts as JSON-compatible values (geometry as GeoJSON).
    Personal data (victims) is never in the payload: stores keep it apart.
    """

    id: int
    kind: ReportKind
    record_id: str
    report_date: date
    payload: Mapping[str, Any]
    status: ReportStatus
    author: str
    created_at: datetime
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_note: str | None = None
    supersedes: int | None = None
    superseded_by: int | None = None

    @property
    def record_type(self) -> RecordType:
        return self.kind.record_type


@dataclass(frozen=True)
class Activity:
    id: str
    activity_type: ActivityType
    start_date: date
    end_date: date | None
    team_id: str | None
    method: str | None
    report_id: int


@dataclass(frozen=True)
class Outcome:
    """Land released from a hazard area by one activity.

    ``released_m2`` counts each square metre of the hazard area once: the part of the
    outcome polygon inside the area and not already released by an earlier outcome.
    """

    id: str
    outcome: OutcomeType
    activity_id: str
    method: str
    geometry: BaseGeometry
    depth_cm: float | None
    date: date
    released_m2: float
    report_id: int


@dataclass(frozen=True)
class QARecord:
    id: str
    outcome_id: str
    result: QAResult
    inspector: str
    date: date
    report_id: int


@dataclass(frozen=True)
class HazardArea:
    id: str
    name: str
    hazard_type: HazardType
    status: AreaStatus
    geometry: BaseGeometry  # MultiPolygon, WGS84 longitude/latitude
    epsg: int  # the projected CRS in which this area's metres are computed
    area_m2: float
    evidence: str
    blockages: str
    land_use: str
    admin_unit: str
    registered: date
    updated: date
    activities: tuple[Activity, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    qa_records: tuple[QARecord, ...] = ()
    voided_outcomes: tuple[Outcome, ...] = ()  # released before a reopening; not counted
    report_ids: tuple[int, ...] = ()

    def released_m2(self, outcome: OutcomeType | None = None) -> float:
        return sum(o.released_m2 for o in self.outcomes if outcome in (None, o.outcome))

    @property
    def remaining_m2(self) -> float:
        """Area not released: still suspected or confirmed hazardous."""
        return max(self.area_m2 - self.released_m2(), 0.0)


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    kind: str
    registered: date
    report_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    organisation_id: str | None
    team_type: TeamType
    size: int
    registered: date
    report_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Asset:
    id: str
    name: str
    kind: AssetKind
    damage_grade: DamageGrade
    state: AssetState
    admin_unit: str
    geometry: BaseGeometry
    registered: date
    updated: date
    report_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class EOItem:
    id: str
    category: OrdnanceCategory
    ordnance_type: str
    condition: str
    depth_cm: float | None
    area_id: str | None
    geometry: BaseGeometry  # Point
    date: date
    report_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Accident:
    """An accident; counts only. Who the victims are is personal data, kept apart."""

    id: str
    date: date
    area_id: str | None
    description: str
    killed: int
    injured: int
    geometry: BaseGeometry  # Point
    report_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Event:
    """A point event of the register as a source recorded it: an accident, a find, a
    suspected minefield. ``source_type`` keeps the source's own category (e.g. a code)
    beside ``event_type``, ours; ``date`` when known, else at least ``year`` may be."""

    id: str
    event_type: EventType
    source_type: str
    registered: date
    updated: date
    date: date | None  # after the fields typed ``date``: this name shadows the type
    year: int | None
    admin_unit: str
    place: str
    description: str
    geometry: BaseGeometry  # Point
    report_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Victim:
    """Personal data. Stored apart, never exported or shown unless explicitly asked for."""

    accident_id: str
    number: int
    name: str
    sex: str
    age: int | None
    injury: str  # killed | injured


Record = HazardArea | Organisation | Team | Asset | EOItem | Accident | Event


@dataclass(frozen=True)
class ReleaseRules:
    """The tolerances of the land-release rules, stated so they can be quoted.

    ``tolerance_m``: a slip of digitising up to this many metres is not a gap, not an
    overlap and not a spill outside the area. Slivers narrower than this are ignored;
    anything wider is refused.
    """

    tolerance_m: float = 0.5
    min_area_m2: float = 0.01  # below this, a leftover piece of geometry is numerical noise
