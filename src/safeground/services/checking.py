"""``safeground check``: the geometry checks run over the register, and safe repairs.

The records checked are those of the map layers (hazard areas, assets, events), as
stored: the land-release rules refuse bad geometry on the way in, but a GeoPackage is
also edited in GIS tools outside those rules, and an imported register carries the
mistakes of its sources (duplicates, overlaps, a mistyped digit, a sign lost).

``fix`` repairs only what :func:`safeground.geodata.checks.repair` calls safe (a vertex
repeated, a polygon made valid with a negligible change of area), each repair as an
approved update report of the record, by the named user, so it is in the record's history
and can be superseded like any other report. Everything else is reported for a person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

from safeground.clock import Clock, SystemClock
from safeground.domain.model import ReportKind
from safeground.geodata.checks import Extent, Finding, check_geometries, repair
from safeground.geometry import GeometryError, to_geojson
from safeground.importing.sources import read_source
from safeground.services.workflow import Draft, Workflow
from safeground.store.base import Store

#: The layers checked, their key column, and the report that changes a record's geometry.
CHECKED_LAYERS: Mapping[str, tuple[str, ReportKind | None]] = {
    "hazard_areas": ("area_id", ReportKind.AREA_UPDATE),
    "assets": ("asset_id", ReportKind.ASSET_UPDATE),
    "events": ("event_id", ReportKind.EVENT_UPDATE),
}


@dataclass(frozen=True)
class Repair:
    record_id: str
    layer: str
    repairs: list[str]
    report_id: int


@dataclass(frozen=True)
class CheckResult:
    checked: dict[str, int]  # layer -> records checked
    findings: list[tuple[str, Finding]]  # (layer, finding)
    repairs: list[Repair] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for _, f in self.findings:
            out[f.rule.value] = out.get(f.rule.value, 0) + 1
        return out


def read_admin_units(
    path: Path, name_field: str, *, layer: str | None = None
) -> dict[str, BaseGeometry]:
    """Admin-unit polygons from a file, by the value of ``name_field`` (parts of one unit
    are merged). Features without a usable polygon are refused, not skipped."""
    source = read_source(path, layers=[layer] if layer else None)
    units: dict[str, list[BaseGeometry]] = {}
    for src_layer in source.layers:
        for f in src_layer.features:
            if f.error is not None or f.geometry is None:
                raise GeometryError(f"admin units {path.name}, feature {f.index}: {f.error}")
            name = f.properties.get(name_field)
            if name is None:
                raise GeometryError(
                    f"admin units {path.name}, feature {f.index} has no {name_field!r}; "
                    f"its attributes: {', '.join(f.properties)}"
                )
            units.setdefault(str(name), []).append(f.geometry)
    return {name: shapely.union_all(parts) for name, parts in units.items()}


def check_register(
    store: Store,
    *,
    layers: Sequence[str] = tuple(CHECKED_LAYERS),
    rules: Sequence[str] | None = None,
    admin_units: Mapping[str, BaseGeometry] | None = None,
    match_admin_names: bool = True,
    expected_extent: Extent | None = None,
    long_edge_m: float | None = None,
    fix: bool = False,
    user: str = "",
    clock: Clock | None = None,
) -> CheckResult:
    """The findings of the geometry checks on the chosen layers; with ``fix``, the safe
    repairs filed as update reports by ``user`` (who also approves them: a repair that
    changes no fact, recorded as such)."""
    for name in layers:
        if name not in CHECKED_LAYERS:
            raise ValueError(f"cannot check {name!r}; layers: {', '.join(CHECKED_LAYERS)}")
    if fix and not user:
        raise ValueError("--fix files repairs as reports: name the user")
    options: dict[str, object] = {}
    if long_edge_m is not None:
        options["long_edge_m"] = long_edge_m
    checked: dict[str, int] = {}
    found: list[tuple[str, Finding]] = []
    geometries: dict[tuple[str, str], BaseGeometry | None] = {}
    for name in layers:
        key, _ = CHECKED_LAYERS[name]
        layer = store.layer(name)
        records = layer.records()
        ids = [str(r[key]) for r in records]
        claimed = [r["admin_unit"] for r in records]
        geoms = layer.shapes()
        geometries.update({(name, i): g for i, g in zip(ids, geoms, strict=True)})
        checked[name] = len(ids)
        findings = check_geometries(
            list(zip(ids, geoms, strict=True)),
            rules=rules,
            expected_extent=expected_extent,
            admin_units=admin_units,
            claimed_admin_units={i: c or None for i, c in zip(ids, claimed, strict=True)},
            match_admin_names=match_admin_names,
            **options,  # type: ignore[arg-type]
        )
        found += [(name, f) for f in findings]
    result = CheckResult(checked, found)
    if fix:
        result.repairs.extend(_fix(store, result, geometries, user, clock or SystemClock()))
    return result


def _fix(
    store: Store,
    result: CheckResult,
    geometries: Mapping[tuple[str, str], BaseGeometry | None],
    user: str,
    clock: Clock,
) -> list[Repair]:
    targets = sorted({(layer, f.record_id) for layer, f in result.findings if f.fixable})
    drafts: list[Draft] = []
    done: list[tuple[str, str, list[str]]] = []
    for layer, record_id in targets:
        geom = geometries[(layer, record_id)]
        kind = CHECKED_LAYERS[layer][1]
        if geom is None or kind is None:
            continue
        try:
            fixed, repairs = repair(geom)
        except GeometryError:
            continue  # the finding says why; a person decides
        if not repairs:
            continue
        note = "geometry repaired by safeground check --fix: " + "; ".join(repairs)
        drafts.append(Draft(kind, {"geometry": to_geojson(fixed), "note": note}, record_id))
        done.append((layer, record_id, repairs))
    if not drafts:
        return []
    today: date = clock.now().date()
    drafts = [Draft(d.kind, d.payload, d.record_id, today) for d in drafts]
    filed = Workflow(store, clock=clock).file_many(drafts, author=user, reviewer=user)
    return [
        Repair(record_id, layer, repairs, report.id)
        for (layer, record_id, repairs), report in zip(done, filed, strict=True)
    ]
