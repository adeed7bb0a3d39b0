"""The projection's tables, and how a record becomes their rows.

One description serves every back-end: the SQLite/GeoPackage store builds its DDL from
it, and so will PostGIS. Geometries in rows are shapely geometries; each back-end encodes
them its own way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from safeground.domain.model import (
    Accident,
    Asset,
    EOItem,
    Event,
    HazardArea,
    Organisation,
    OutcomeType,
    Record,
    RecordType,
    Team,
    Victim,
)

TEXT, REAL, INTEGER, DATE = "TEXT", "REAL", "INTEGER", "DATE"


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    record_type: RecordType | None  # whose projection this is
    key: str  # the column naming the record a row belongs to
    columns: tuple[tuple[str, str], ...]  # (name, type), without the geometry
    geometry_type: str | None = None  # GeoPackage geometry type name; None: a table
    unique: tuple[str, ...] = ()  # the natural key of a row
    personal: bool = False  # personal data: never exported or shown unless asked for

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


TABLES: Mapping[str, Table] = {
    t.name: t
    for t in (
        Table(
            "hazard_areas",
            "Suspected and confirmed hazardous areas, current state",
            RecordType.AREA,
            "area_id",
            (
                ("area_id", TEXT),
                ("name", TEXT),
                ("hazard_type", TEXT),
                ("status", TEXT),
                ("evidence", TEXT),
                ("blockages", TEXT),
                ("land_use", TEXT),
                ("admin_unit", TEXT),
                ("area_m2", REAL),
                ("cancelled_m2", REAL),
                ("reduced_m2", REAL),
                ("cleared_m2", REAL),
                ("remaining_m2", REAL),
                ("epsg", INTEGER),
                ("registered", DATE),
                ("updated", DATE),
            ),
            "MULTIPOLYGON",
            ("area_id",),
        ),
        Table(
            "land_release",
            "Land cancelled, reduced or cleared, as counted in the accounts",
            RecordType.AREA,
            "area_id",
            (
                ("area_id", TEXT),
                ("outcome_id", TEXT),
                ("outcome", TEXT),
                ("activity_id", TEXT),
                ("method", TEXT),
                ("depth_cm", REAL),
                ("released_m2", REAL),
                ("date", DATE),
                ("report_id", INTEGER),
            ),
            "MULTIPOLYGON",
            ("area_id", "outcome_id"),
        ),
        Table(
            "activities",
            "Survey and clearance activities on hazard areas",
            RecordType.AREA,
            "area_id",
            (
                ("area_id", TEXT),
                ("activity_id", TEXT),
                ("activity_type", TEXT),
                ("team_id", TEXT),
                ("method", TEXT),
                ("start_date", DATE),
                ("end_date", DATE),
                ("report_id", INTEGER),
            ),
            unique=("area_id", "activity_id"),
        ),
        Table(
            "qa_records",
            "Quality-assurance records on land-release outcomes",
            RecordType.AREA,
            "area_id",
            (
                ("area_id", TEXT),
                ("qa_id", TEXT),
                ("outcome_id", TEXT),
                ("result", TEXT),
                ("inspector", TEXT),
                ("date", DATE),
                ("report_id", INTEGER),
            ),
            unique=("area_id", "qa_id"),
        ),
        Table(
            "eo_items",
            "Explosive-ordnance items found",
            RecordType.EO_ITEM,
            "item_id",
            (
                ("item_id", TEXT),
                ("category", TEXT),
                ("ordnance_type", TEXT),
                ("condition", TEXT),
                ("depth_cm", REAL),
                ("area_id", TEXT),
                ("date", DATE),
            ),
            "POINT",
            ("item_id",),
        ),
        Table(
            "accidents",
            "Accidents (counts of victims only)",
            RecordType.ACCIDENT,
            "accident_id",
            (
                ("accident_id", TEXT),
                ("date", DATE),
                ("area_id", TEXT),
                ("description", TEXT),
                ("killed", INTEGER),
                ("injured", INTEGER),
            ),
            "POINT",
            ("accident_id",),
        ),
        Table(
            "assets",
            "Buildings, roads, bridges and utilities to rebuild",
            RecordType.ASSET,
            "asset_id",
            (
                ("asset_id", TEXT),
                ("name", TEXT),
                ("kind", TEXT),
                ("damage_grade", TEXT),
                ("state", TEXT),
                ("admin_unit", TEXT),
                ("registered", DATE),
                ("updated", DATE),
            ),
            "GEOMETRY",
            ("asset_id",),
        ),
        Table(
            "events",
            "Point events: accidents, ordnance finds, suspected minefields, as reported",
            RecordType.EVENT,
            "event_id",
            (
                ("event_id", TEXT),
                ("event_type", TEXT),
                ("source_type", TEXT),
                ("date", DATE),
                ("year", INTEGER),
                ("admin_unit", TEXT),
                ("place", TEXT),
                ("description", TEXT),
                ("registered", DATE),
                ("updated", DATE),
            ),
            "POINT",
            ("event_id",),
        ),
        Table(
            "organisations",
            "Mine action and reconstruction organisations",
            RecordType.ORGANISATION,
            "organisation_id",
            (("organisation_id", TEXT), ("name", TEXT), ("kind", TEXT), ("registered", DATE)),
            unique=("organisation_id",),
        ),
        Table(
            "teams",
            "Teams and their type and size",
            RecordType.TEAM,
            "team_id",
            (
                ("team_id", TEXT),
                ("name", TEXT),
                ("organisation_id", TEXT),
                ("team_type", TEXT),
                ("size", INTEGER),
                ("registered", DATE),
            ),
            unique=("team_id",),
        ),
        Table(
            "victims",
            "Victims of accidents: personal data",
            None,
            "accident_id",
            (
                ("accident_id", TEXT),
                ("number", INTEGER),
                ("name", TEXT),
                ("sex", TEXT),
                ("age", INTEGER),
                ("injury", TEXT),
            ),
            unique=("accident_id", "number"),
            personal=True,
        ),
    )
}

#: The tables holding each record type's projection; the first is the record's own.
RECORD_TABLES: Mapping[RecordType, tuple[str, ...]] = {
    RecordType.AREA: ("hazard_areas", "land_release", "activities", "qa_records"),
    RecordType.EO_ITEM: ("eo_items",),
    RecordType.ACCIDENT: ("accidents",),
    RecordType.ASSET: ("assets",),
    RecordType.EVENT: ("events",),
    RecordType.ORGANISATION: ("organisations",),
    RecordType.TEAM: ("teams",),
}

Row = dict[str, Any]  # column -> value; "geom" -> a shapely geometry when the table has one


def _day(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def rows_of(record: Record) -> dict[str, list[Row]]:
    """The rows that represent ``record`` in each of its tables."""
    match record:
        case HazardArea():
            return _area_rows(record)
        case EOItem():
            return {
                "eo_items": [
                    {
                        "item_id": record.id,
                        "category": record.category.value,
                        "ordnance_type": record.ordnance_type,
                        "condition": record.condition,
                        "depth_cm": record.depth_cm,
                        "area_id": record.area_id,
                        "date": _day(record.date),
                        "geom": record.geometry,
                    }
                ]
            }
        case Accident():
            return {
                "accidents": [
                    {
                        "accident_id": record.id,
                        "date": _day(record.date),
                        "area_id": record.area_id,
                        "description": record.description,
                        "killed": record.killed,
                        "injured": record.injured,
                        "geom": record.geometry,
                    }
                ]
            }
        case Asset():
            return {
                "assets": [
                    {
                        "asset_id": record.id,
                        "name": record.name,
                        "kind": record.kind.value,
                        "damage_grade": record.damage_grade.value,
                        "state": record.state.value,
                        "admin_unit": record.admin_unit,
                        "registered": _day(record.registered),
                        "updated": _day(record.updated),
                        "geom": record.geometry,
                    }
                ]
            }
        case Event():
            return {
                "events": [
                    {
                        "event_id": record.id,
                        "event_type": record.event_type.value,
                        "source_type": record.source_type,
                        "date": _day(record.date),
                        "year": record.year,
                        "admin_unit": record.admin_unit,
                        "place": record.place,
                        "description": record.description,
                        "registered": _day(record.registered),
                        "updated": _day(record.updated),
                        "geom": record.geometry,
                    }
                ]
            }
        case Organisation():
            return {
                "organisations": [
                    {
                        "organisation_id": record.id,
                        "name": record.name,
                        "kind": record.kind,
                        "registered": _day(record.registered),
                    }
                ]
            }
        case Team():
            return {
                "teams": [
                    {
                        "team_id": record.id,
                        "name": record.name,
                        "organisation_id": record.organisation_id,
                        "team_type": record.team_type.value,
                        "size": record.size,
                        "registered": _day(record.registered),
                    }
                ]
            }
    raise TypeError(f"not a record: {record!r}")


def _area_rows(area: HazardArea) -> dict[str, list[Row]]:
    return {
        "hazard_areas": [
            {
                "area_id": area.id,
                "name": area.name,
                "hazard_type": area.hazard_type.value,
                "status": area.status.value,
                "evidence": area.evidence,
                "blockages": area.blockages,
                "land_use": area.land_use,
                "admin_unit": area.admin_unit,
                "area_m2": area.area_m2,
                "cancelled_m2": area.released_m2(OutcomeType.CANCELLED),
                "reduced_m2": area.released_m2(OutcomeType.REDUCED),
                "cleared_m2": area.released_m2(OutcomeType.CLEARED),
                "remaining_m2": area.remaining_m2,
                "epsg": area.epsg,
                "registered": _day(area.registered),
                "updated": _day(area.updated),
                "geom": area.geometry,
            }
        ],
        "land_release": [
            {
                "area_id": area.id,
                "outcome_id": o.id,
                "outcome": o.outcome.value,
                "activity_id": o.activity_id,
                "method": o.method,
                "depth_cm": o.depth_cm,
                "released_m2": o.released_m2,
                "date": _day(o.date),
                "report_id": o.report_id,
                "geom": o.geometry,
            }
            for o in area.outcomes
        ],
        "activities": [
            {
                "area_id": area.id,
                "activity_id": a.id,
                "activity_type": a.activity_type.value,
                "team_id": a.team_id,
                "method": a.method,
                "start_date": _day(a.start_date),
                "end_date": _day(a.end_date),
                "report_id": a.report_id,
            }
            for a in area.activities
        ],
        "qa_records": [
            {
                "area_id": area.id,
                "qa_id": q.id,
                "outcome_id": q.outcome_id,
                "result": q.result.value,
                "inspector": q.inspector,
                "date": _day(q.date),
                "report_id": q.report_id,
            }
            for q in area.qa_records
        ],
    }


def victim_rows(victims: Sequence[Victim]) -> list[Row]:
    return [
        {
            "accident_id": v.accident_id,
            "number": v.number,
            "name": v.name,
            "sex": v.sex,
            "age": v.age,
            "injury": v.injury,
        }
        for v in victims
    ]


def record_key(record: Record) -> tuple[RecordType, str]:
    kinds: Mapping[type, RecordType] = {
        HazardArea: RecordType.AREA,
        EOItem: RecordType.EO_ITEM,
        Accident: RecordType.ACCIDENT,
        Asset: RecordType.ASSET,
        Event: RecordType.EVENT,
        Organisation: RecordType.ORGANISATION,
        Team: RecordType.TEAM,
    }
    return kinds[type(record)], record.id
