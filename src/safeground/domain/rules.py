"""The land-release rules: how one approved report changes one record.

Each ``apply_*`` function takes the state of a record before a report (None before it
exists) and returns the state after it, or raises :class:`RuleViolation` naming the rule.
The current state of a record is the fold of its approved reports in report-date order
(see :mod:`safeground.domain.replay`); nothing is ever overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date

import shapely
from shapely.geometry.base import BaseGeometry

from safeground import geometry as geo
from safeground.domain import errors
from safeground.domain.errors import RuleViolation
from safeground.domain.model import (
    OUTCOME_ACTIVITIES,
    Accident,
    Activity,
    ActivityType,
    AreaStatus,
    Asset,
    AssetKind,
    AssetState,
    DamageGrade,
    EOItem,
    Event,
    EventType,
    HazardArea,
    HazardType,
    OrdnanceCategory,
    Organisation,
    Outcome,
    OutcomeType,
    QARecord,
    QAResult,
    Record,
    RecordType,
    ReleaseRules,
    Report,
    ReportKind,
    Team,
    TeamType,
)
from safeground.domain.payload import Payload

K = ReportKind


def _where(report: Report) -> str:
    return f"report {report.id} ({report.kind}) on {report.record_id}"


def _m2(value: float) -> str:
    return f"{value:,.1f} m²"


def apply(
    state: Record | None,
    report: Report,
    rules: ReleaseRules,
    measured: geo.Measured | None = None,
) -> Record:
    """The state of ``report``'s record after it; raises RuleViolation if refused.

    ``measured``, for an area's register report only, is its payload's geometry already
    checked and measured (:func:`safeground.geometry.measure_many`, for batches); it must
    be the payload's geometry."""
    match report.record_type:
        case RecordType.AREA:
            if state is not None and not isinstance(state, HazardArea):
                raise TypeError(f"not a hazard area: {state!r}")
            return apply_area(state, report, rules, measured)
        case RecordType.ORGANISATION:
            return _register_only(state, report, _organisation)
        case RecordType.TEAM:
            return _register_only(state, report, _team)
        case RecordType.EO_ITEM:
            return _register_only(state, report, _eo_item)
        case RecordType.ACCIDENT:
            return _register_only(state, report, _accident)
        case RecordType.ASSET:
            if state is not None and not isinstance(state, Asset):
                raise TypeError(f"not an asset: {state!r}")
            return apply_asset(state, report)
        case RecordType.EVENT:
            if state is not None and not isinstance(state, Event):
                raise TypeError(f"not an event: {state!r}")
            return apply_event(state, report)
    raise AssertionError(report.record_type)  # pragma: no cover


# --- hazard areas ----------------------------------------------------------------------


def apply_area(
    area: HazardArea | None,
    report: Report,
    rules: ReleaseRules,
    measured: geo.Measured | None = None,
) -> HazardArea:
    where = _where(report)
    p = Payload(report.payload, where)
    if report.kind is K.AREA_REGISTER:
        if area is not None:
            raise RuleViolation(errors.RECORD_EXISTS, f"{where}: area {area.id} exists already")
        if measured is None:
            measured = p.measured()
        return HazardArea(
            id=report.record_id,
            name=p.text("name", ""),
            hazard_type=p.choice("hazard_type", HazardType, HazardType.SHA),
            status=AreaStatus.OPEN,
            geometry=measured.geometry,
            epsg=measured.epsg,
            area_m2=measured.area_m2,
            evidence=p.text("evidence", ""),
            blockages=p.text("blockages", ""),
            land_use=p.text("land_use", ""),
            admin_unit=p.text("admin_unit", ""),
            registered=report.report_date,
            updated=report.report_date,
            report_ids=(report.id,),
        )
    if area is None:
        raise RuleViolation(errors.UNKNOWN_RECORD, f"{where}: no such hazard area")
    _refuse_on_closed_area(area, report)
    area = replace(area, updated=report.report_date, report_ids=(*area.report_ids, report.id))
    match report.kind:
        case K.AREA_UPDATE:
            return _update_area(area, p, rules)
        case K.ACTIVITY:
            return _add_activity(area, p, report)
        case K.OUTCOME:
            return _add_outcome(area, p, report, rules)
        case K.QA:
            return _add_qa(area, p, report)
        case K.AREA_CLOSE:
            return _close(area, rules)
        case K.AREA_HANDOVER:
            if area.status is not AreaStatus.CLOSED:
                raise RuleViolation(
                    errors.HANDOVER_BEFORE_CLOSE,
                    f"{where}: area {area.id} is {area.status}; only a closed area is handed over",
                )
            return replace(area, status=AreaStatus.HANDED_OVER)
        case K.AREA_REOPEN:
            return _reopen(area, p)
    raise RuleViolation(errors.INVALID_REPORT, f"{where}: not a report on a hazard area")


def _refuse_on_closed_area(area: HazardArea, report: Report) -> None:
    allowed = {
        AreaStatus.OPEN: None,
        AreaStatus.CLOSED: {K.AREA_REOPEN, K.AREA_HANDOVER},
        AreaStatus.HANDED_OVER: {K.AREA_REOPEN},
    }[area.status]
    if allowed is not None and report.kind not in allowed:
        raise RuleViolation(
            errors.CLOSED_AREA_NEEDS_REOPEN,
            f"{_where(report)}: area {area.id} is {area.status}; record new evidence with an "
            f"'area.reopen' report before reporting on it again",
        )
    if report.kind is K.AREA_REOPEN and area.status is AreaStatus.OPEN:
        raise RuleViolation(errors.WORKFLOW, f"{_where(report)}: area {area.id} is open already")


def _update_area(area: HazardArea, p: Payload, rules: ReleaseRules) -> HazardArea:
    area = replace(
        area,
        name=p.text("name", area.name),
        hazard_type=p.choice("hazard_type", HazardType, area.hazard_type),
        evidence=p.text("evidence", area.evidence),
        blockages=p.text("blockages", area.blockages),
        land_use=p.text("land_use", area.land_use),
        admin_unit=p.text("admin_unit", area.admin_unit),
    )
    if not p.has("geometry"):
        return area
    geom = p.polygons()
    area_metric = geo.to_metric(geom, area.epsg)
    for outcome in area.outcomes:
        spill = _outside(geo.to_metric(outcome.geometry, area.epsg), area_metric, rules)
        if spill > rules.min_area_m2:
            raise RuleViolation(
                errors.AREA_SHRINKS_BELOW_RELEASE,
                f"{p.where}: the new outline leaves {_m2(spill)} of released land "
                f"({outcome.id}) outside the area, beyond the {rules.tolerance_m} m tolerance",
            )
    return replace(
        area,
        geometry=geom,
        area_m2=float(area_metric.area),
        outcomes=_recount(area_metric, area.outcomes, area.epsg),
    )


def _add_activity(area: HazardArea, p: Payload, report: Report) -> HazardArea:
    activity_id = p.text("activity_id")
    if any(a.id == activity_id for a in area.activities):
        raise RuleViolation(
            errors.RECORD_EXISTS, f"{p.where}: activity {activity_id} exists already"
        )
    start = p.day("start_date") or report.report_date
    end = p.day("end_date")
    if end is not None and end < start:
        raise RuleViolation(
            errors.INVALID_REPORT, f"{p.where}: end_date {end} is before start_date {start}"
        )
    activity = Activity(
        id=activity_id,
        activity_type=p.choice("activity_type", ActivityType),
        start_date=start,
        end_date=end,
        team_id=p.optional_text("team_id"),
        method=p.optional_text("method"),
        report_id=report.id,
    )
    return replace(area, activities=(*area.activities, activity))


def _outside(part_metric: BaseGeometry, area_metric: BaseGeometry, rules: ReleaseRules) -> float:
    """Square metres of ``part`` that lie outside the area grown by the tolerance."""
    return float(part_metric.difference(area_metric.buffer(rules.tolerance_m)).area)


def _union(geoms: Iterable[BaseGeometry]) -> BaseGeometry:
    return shapely.union_all(list(geoms))


def _recount(
    area_metric: BaseGeometry, outcomes: Iterable[Outcome], epsg: int
) -> tuple[Outcome, ...]:
    """Outcomes with ``released_m2`` counted so that each square metre counts once."""
    counted: list[Outcome] = []
    done: BaseGeometry = shapely.Polygon()
    for outcome in outcomes:
        part = geo.to_metric(outcome.geometry, epsg).intersection(area_metric)
        counted.append(replace(outcome, released_m2=float(part.difference(done).area)))
        done = done.union(part)
    return tuple(counted)


def _add_outcome(area: HazardArea, p: Payload, report: Report, rules: ReleaseRules) -> HazardArea:
    where = p.where
    outcome_id = p.text("outcome_id")
    if any(o.id == outcome_id for o in (*area.outcomes, *area.voided_outcomes)):
        raise RuleViolation(errors.RECORD_EXISTS, f"{where}: outcome {outcome_id} exists already")
    kind = p.choice("outcome", OutcomeType)
    activity_id = p.text("activity_id")
    activity = next((a for a in area.activities if a.id == activity_id), None)
    if activity is None:
        raise RuleViolation(
            errors.UNKNOWN_RECORD, f"{where}: area {area.id} has no approved activity {activity_id}"
        )
    if activity.activity_type not in OUTCOME_ACTIVITIES[kind]:
        allowed = " or ".join(sorted(OUTCOME_ACTIVITIES[kind]))
        raise RuleViolation(
            errors.OUTCOME_WRONG_ACTIVITY,
            f"{where}: land is {kind} only by {allowed}, not by {activity.activity_type}",
        )
    depth = p.number("depth_cm")
    if kind is OutcomeType.CLEARED and (depth is None or depth <= 0):
        raise RuleViolation(
            errors.CLEARANCE_WITHOUT_DEPTH,
            f"{where}: a clearance outcome must state its clearance depth (depth_cm > 0)",
        )
    geom = p.polygons()
    part = geo.to_metric(geom, area.epsg)
    area_metric = geo.to_metric(area.geometry, area.epsg)
    spill = _outside(part, area_metric, rules)
    if spill > rules.min_area_m2:
        raise RuleViolation(
            errors.OUTCOME_OUTSIDE_AREA,
            f"{where}: {_m2(spill)} of the {kind} polygon lie outside area {area.id}, "
            f"beyond the {rules.tolerance_m} m tolerance",
        )
    released = area.released_m2()
    done = _union(geo.to_metric(o.geometry, area.epsg) for o in area.outcomes)
    overlap = part.intersection(done).buffer(-rules.tolerance_m)
    counted = float(part.intersection(area_metric).difference(done).area)
    if overlap.area > rules.min_area_m2 or released + counted > area.area_m2 + rules.min_area_m2:
        double = float(part.intersection(done).area)
        raise RuleViolation(
            errors.RELEASE_EXCEEDS_AREA,
            f"{where}: {_m2(double)} of this {kind} land was released already; cancelled + "
            f"reduced + cleared would be {_m2(released + counted + double)} "
            f"of an area of {_m2(area.area_m2)}",
        )
    outcome = Outcome(
        id=outcome_id,
        outcome=kind,
        activity_id=activity.id,
        method=activity.method or activity.activity_type.value,
        geometry=geom,
        depth_cm=depth,
        date=report.report_date,
        released_m2=counted,
        report_id=report.id,
    )
    return replace(area, outcomes=(*area.outcomes, outcome))


def _add_qa(area: HazardArea, p: Payload, report: Report) -> HazardArea:
    outcome_id = p.text("outcome_id")
    if not any(o.id == outcome_id for o in area.outcomes):
        raise RuleViolation(
            errors.UNKNOWN_RECORD, f"{p.where}: area {area.id} has no outcome {outcome_id}"
        )
    record = QARecord(
        id=p.text("qa_id"),
        outcome_id=outcome_id,
        result=p.choice("result", QAResult),
        inspector=p.text("inspector"),
        date=report.report_date,
        report_id=report.id,
    )
    return replace(area, qa_records=(*area.qa_records, record))


def qa_passed(area: HazardArea, outcome_id: str) -> bool:
    """Whether the latest quality-assurance record of an outcome is a pass."""
    records = [q for q in area.qa_records if q.outcome_id == outcome_id]
    return bool(records) and records[-1].result is QAResult.PASSED


def uncovered_m2(area: HazardArea, rules: ReleaseRules) -> float:
    """Square metres of the area that no outcome releases, beyond the tolerance."""
    area_metric = geo.to_metric(area.geometry, area.epsg)
    if not area.outcomes:
        return float(area_metric.area)
    done = _union(geo.to_metric(o.geometry, area.epsg) for o in area.outcomes)
    return float(area_metric.difference(done.buffer(rules.tolerance_m)).area)


def _close(area: HazardArea, rules: ReleaseRules) -> HazardArea:
    gap = uncovered_m2(area, rules)
    if gap > rules.min_area_m2:
        raise RuleViolation(
            errors.AREA_NOT_COVERED,
            f"area {area.id} cannot be closed: {_m2(gap)} of its {_m2(area.area_m2)} are not "
            f"covered by cancelled, reduced or cleared land (tolerance {rules.tolerance_m} m)",
        )
    for outcome in area.outcomes:
        if outcome.outcome is not OutcomeType.CLEARED:
            continue
        if outcome.depth_cm is None or outcome.depth_cm <= 0:
            raise RuleViolation(
                errors.CLEARANCE_WITHOUT_DEPTH,
                f"area {area.id} cannot be closed: clearance {outcome.id} states no depth",
            )
        if not qa_passed(area, outcome.id):
            raise RuleViolation(
                errors.CLEARANCE_WITHOUT_QA,
                f"area {area.id} cannot be closed: clearance {outcome.id} has no approved "
                f"quality-assurance record with result 'passed'",
            )
    return replace(area, status=AreaStatus.CLOSED)


def _reopen(area: HazardArea, p: Payload) -> HazardArea:
    evidence = p.text("evidence", "").strip()
    if not evidence:
        raise RuleViolation(
            errors.REOPEN_NEEDS_EVIDENCE, f"{p.where}: reopening an area needs its new evidence"
        )
    # Land released before the new evidence is no longer counted as released: it must be
    # released again on the evidence the workflow demands. The outcomes stay in history.
    return replace(
        area,
        status=AreaStatus.OPEN,
        hazard_type=p.choice("hazard_type", HazardType, area.hazard_type),
        evidence=f"{area.evidence}\n{evidence}".strip(),
        voided_outcomes=(*area.voided_outcomes, *area.outcomes),
        outcomes=(),
    )


# --- other records -------------------------------------------------------------------------


def _register_only(
    state: Record | None, report: Report, build: Callable[[Payload, Report], Record]
) -> Record:
    if state is not None:
        raise RuleViolation(
            errors.RECORD_EXISTS, f"{_where(report)}: {report.record_id} exists already"
        )
    return build(Payload(report.payload, _where(report)), report)


def _organisation(p: Payload, report: Report) -> Organisation:
    return Organisation(
        id=report.record_id,
        name=p.text("name"),
        kind=p.text("kind", ""),
        registered=report.report_date,
        report_ids=(report.id,),
    )


def _team(p: Payload, report: Report) -> Team:
    size = p.count("size", 1)
    if size < 1:
        raise RuleViolation(errors.INVALID_REPORT, f"{p.where}: a team has at least 1 member")
    return Team(
        id=report.record_id,
        name=p.text("name"),
        organisation_id=p.optional_text("organisation_id"),
        team_type=p.choice("team_type", TeamType),
        size=size,
        registered=report.report_date,
        report_ids=(report.id,),
    )


def _eo_item(p: Payload, report: Report) -> EOItem:
    return EOItem(
        id=report.record_id,
        category=p.choice("category", OrdnanceCategory),
        ordnance_type=p.text("ordnance_type", ""),
        condition=p.text("condition", ""),
        depth_cm=p.number("depth_cm"),
        area_id=p.optional_text("area_id"),
        geometry=p.point(),
        date=report.report_date,
        report_ids=(report.id,),
    )


def _accident(p: Payload, report: Report) -> Accident:
    return Accident(
        id=report.record_id,
        date=report.report_date,
        area_id=p.optional_text("area_id"),
        description=p.text("description", ""),
        killed=p.count("killed"),
        injured=p.count("injured"),
        geometry=p.point(),
        report_ids=(report.id,),
    )


def apply_asset(asset: Asset | None, report: Report) -> Asset:
    p = Payload(report.payload, _where(report))
    if report.kind is K.ASSET_REGISTER:
        if asset is not None:
            raise RuleViolation(errors.RECORD_EXISTS, f"{p.where}: asset exists already")
        return Asset(
            id=report.record_id,
            name=p.text("name", ""),
            kind=p.choice("kind", AssetKind),
            damage_grade=p.choice("damage_grade", DamageGrade, DamageGrade.UNKNOWN),
            state=p.choice("state", AssetState, AssetState.DAMAGED),
            admin_unit=p.text("admin_unit", ""),
            geometry=p.any_geometry(),
            registered=report.report_date,
            updated=report.report_date,
            report_ids=(report.id,),
        )
    if asset is None:
        raise RuleViolation(errors.UNKNOWN_RECORD, f"{p.where}: no such asset")
    return replace(
        asset,
        name=p.text("name", asset.name),
        damage_grade=p.choice("damage_grade", DamageGrade, asset.damage_grade),
        state=p.choice("state", AssetState, asset.state),
        admin_unit=p.text("admin_unit", asset.admin_unit),
        geometry=p.any_geometry() if p.has("geometry") else asset.geometry,
        updated=report.report_date,
        report_ids=(*asset.report_ids, report.id),
    )


# --- events -----------------------------------------------------------------------------

#: The years an event may claim: mines of the First World War still kill.
EVENT_YEARS = range(1900, 2101)


def apply_event(event: Event | None, report: Report) -> Event:
    p = Payload(report.payload, _where(report))
    if report.kind is K.EVENT_REGISTER:
        if event is not None:
            raise RuleViolation(errors.RECORD_EXISTS, f"{p.where}: event exists already")
        day, year = _event_when(p, None, None)
        return Event(
            id=report.record_id,
            event_type=p.choice("event_type", EventType),
            source_type=p.text("source_type", ""),
            date=day,
            year=year,
            admin_unit=p.text("admin_unit", ""),
            place=p.text("place", ""),
            description=p.text("description", ""),
            geometry=p.point(),
            registered=report.report_date,
            updated=report.report_date,
            report_ids=(report.id,),
        )
    if event is None:
        raise RuleViolation(errors.UNKNOWN_RECORD, f"{p.where}: no such event")
    if report.kind is not K.EVENT_UPDATE:
        raise RuleViolation(errors.INVALID_REPORT, f"{p.where}: not a report on an event")
    day, year = _event_when(p, event.date, event.year)
    return replace(
        event,
        event_type=p.choice("event_type", EventType, event.event_type),
        source_type=p.text("source_type", event.source_type),
        date=day,
        year=year,
        admin_unit=p.text("admin_unit", event.admin_unit),
        place=p.text("place", event.place),
        description=p.text("description", event.description),
        geometry=p.point() if p.has("geometry") else event.geometry,
        updated=report.report_date,
        report_ids=(*event.report_ids, report.id),
    )


def _event_when(p: Payload, day: date | None, year: int | None) -> tuple[date | None, int | None]:
    """The date and year of an event: the year follows the date and must agree with it."""
    if p.has("date"):
        day = p.day("date")
        year = None if day is None else day.year
    if p.has("year"):
        given = p.count("year")
        if given not in EVENT_YEARS:
            raise RuleViolation(
                errors.INVALID_REPORT, f"{p.where}: field 'year' {given} is not a plausible year"
            )
        if day is not None and day.year != given:
            raise RuleViolation(
                errors.INVALID_REPORT,
                f"{p.where}: field 'year' {given} contradicts the date {day.isoformat()}",
            )
        year = given
    return day, year
