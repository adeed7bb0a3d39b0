"""The team server's service layer: who may do what, and no lost updates.

Every operation takes the principal asking and checks their permission first; the rules
of land release stay in the workflow (services/workflow.py), with four eyes always on: a
reviewer never approves or rejects a report they wrote. Writes to a report name the
version the writer saw; if it changed since, :class:`VersionConflict` says the current
one and nothing is stored. The web routes are thin shells over this module.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from safeground.clock import Clock, SystemClock
from safeground.domain.accounting import GroupBy, SummaryRow
from safeground.domain.model import HazardArea, RecordType, Report, ReportKind, ReportStatus
from safeground.domain.replay import in_force
from safeground.geometry import to_geojson
from safeground.importing.sources import FORMATS, SourceError, read_source
from safeground.services import export as export_service
from safeground.services import register
from safeground.services.accounts import AccessDenied, Permission, Principal
from safeground.services.workflow import Workflow
from safeground.store.base import Layer, NotFound, Store, StoreError

#: The OGC API collections: layer name and title.
COLLECTIONS: Mapping[str, str] = {
    "hazard_areas": "Hazard areas (suspected and confirmed)",
    "land_release": "Released land (cancelled, reduced, cleared)",
    "events": "Events (accidents, finds, suspected minefields)",
    "assets": "Assets to rebuild",
}

MAX_LIMIT = 10_000
_EXPORT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")


class VersionConflict(Exception):
    """The record changed since the writer read it (HTTP 409)."""

    def __init__(self, what: str, current: int, expected: int) -> None:
        super().__init__(f"{what} is at version {current}, not {expected}: reload and retry")
        self.current = current


@dataclass(frozen=True)
class Versioned:
    report: Report
    version: int


class Team:
    """What one principal can do on one store."""

    def __init__(self, store: Store, principal: Principal, *, clock: Clock | None = None):
        self.store = store
        self.who = principal
        self.workflow = Workflow(store, clock=clock or SystemClock(), four_eyes=True)

    # --- reading ---------------------------------------------------------------------------
    def report(self, report_id: int) -> Versioned:
        self.who.require(Permission.READ)
        return Versioned(self.store.report(report_id), self.store.report_version(report_id))

    def reports(
        self, *, status: str | None = None, record_id: str | None = None, limit: int = 200
    ) -> list[Report]:
        """The latest ``limit`` reports (in id order), filtered."""
        self.who.require(Permission.READ)
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit is 1 to {MAX_LIMIT}")
        found = self.store.reports(
            record_id=record_id, status=None if status is None else ReportStatus(status)
        )
        return found[-limit:]

    def personal_data(self, report_id: int) -> Mapping[str, Any] | None:
        """Victims' personal data of a report: only with the explicit permission."""
        self.who.require(Permission.PERSONAL_DATA)
        self.store.report(report_id)  # NotFound first
        return self.store.personal_data(report_id)

    def victims(self) -> Layer:
        self.who.require(Permission.PERSONAL_DATA)
        return self.store.layer("victims")

    def areas(self, status: str | None = None) -> list[register.AreaListing]:
        self.who.require(Permission.READ)
        return register.list_areas(self.store, status)

    def area(self, area_id: str) -> tuple[HazardArea, int]:
        """The area's current state and its version (the approved reports that built it)."""
        self.who.require(Permission.READ)
        history = register.history(self.store, area_id)
        if not isinstance(history.state, HazardArea):
            raise NotFound(f"hazard area {area_id} has no approved report yet")
        return history.state, len(history.in_force)

    def summary(self, by: str = "total") -> list[SummaryRow]:
        self.who.require(Permission.READ)
        return register.summary(self.store, GroupBy(by))

    def features(
        self,
        collection: str,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        limit: int = 10,
        offset: int = 0,
        key: str | None = None,
    ) -> tuple[Layer, bool]:
        """A page of a collection's features, and whether more follow it."""
        self.who.require(Permission.READ)
        if collection not in COLLECTIONS:
            raise NotFound(f"no collection {collection!r}")
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise ValueError(f"limit is 1 to {MAX_LIMIT} and offset at least 0")
        layer = self.store.layer_page(
            collection, bbox=bbox, limit=limit + 1, offset=offset, key=key
        )
        more = len(layer.rows) > limit
        geometries = None if layer.geometries is None else layer.geometries[:limit]
        page = Layer(layer.name, layer.geometry_type, layer.columns, layer.rows[:limit], geometries)
        return page, more

    # --- writing reports -------------------------------------------------------------------
    def draft(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        record_id: str | None = None,
        report_date: date | None = None,
        personal: Mapping[str, Any] | None = None,
        record_version: int | None = None,
        submit: bool = False,
    ) -> Versioned:
        """Draft (and optionally submit) a report. With ``record_version``, refuse it if the
        record has changed since that version was read."""
        self.who.require(Permission.DRAFT)
        with self.store.transaction():
            if record_id is not None and record_version is not None:
                kind_ = ReportKind(kind)
                reports = self.store.reports(record_type=kind_.record_type, record_id=record_id)
                current = len(in_force(reports))
                if current != record_version:
                    raise VersionConflict(f"{record_id}", current, record_version)
            report = self.workflow.draft(
                kind,
                author=self.who.name,
                payload=payload,
                record_id=record_id,
                report_date=report_date,
                personal=personal,
            )
            if submit:
                report = self.workflow.submit(report.id, user=self.who.name)
            return Versioned(report, self.store.report_version(report.id))

    def upload_area(
        self,
        data: bytes,
        *,
        name: str,
        filename: str = "upload.geojson",
        hazard_type: str = "SHA",
        admin_unit: str = "",
        evidence: str = "",
        submit: bool = False,
    ) -> Versioned:
        """Draft the registration of an area from an uploaded file holding one polygon:
        GeoJSON, or (by the ``filename``'s extension) any other format the importer reads
        (GeoPackage, a zip of a shapefile, KML/KMZ, a field-coordinates CSV)."""
        self.who.require(Permission.DRAFT)
        suffix = Path(filename).suffix.lower()
        if suffix in ("", ".geojson", ".json"):
            try:
                geojson = json.loads(data.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ValueError(f"the upload is not GeoJSON: {exc}") from exc
            geometry = _one_geometry(geojson)
        else:
            geometry = _one_geometry(uploaded_polygon(data, suffix))
        payload = {
            "name": name,
            "hazard_type": hazard_type,
            "admin_unit": admin_unit,
            "evidence": evidence,
            "geometry": geometry,
        }
        return self.draft(ReportKind.AREA_REGISTER.value, payload, submit=submit)

    def _own_draft(self, report_id: int, version: int) -> Report:
        self.who.require(Permission.DRAFT)
        self._at_version(report_id, version)
        report = self.store.report(report_id)
        if report.author != self.who.name:
            raise AccessDenied(f"report {report_id} is {report.author}'s, not yours")
        return report

    def edit(
        self,
        report_id: int,
        *,
        version: int,
        payload: Mapping[str, Any],
        report_date: date | None = None,
    ) -> Versioned:
        with self.store.transaction():
            self._own_draft(report_id, version)
            report = self.workflow.edit(
                report_id, user=self.who.name, payload=payload, report_date=report_date
            )
            return Versioned(report, self.store.report_version(report_id))

    def submit(self, report_id: int, *, version: int) -> Versioned:
        with self.store.transaction():
            self._own_draft(report_id, version)
            report = self.workflow.submit(report_id, user=self.who.name)
            return Versioned(report, self.store.report_version(report_id))

    def _review(self, report_id: int, version: int) -> None:
        self.who.require(Permission.REVIEW)
        self._at_version(report_id, version)
        report = self.store.report(report_id)
        if report.author == self.who.name:
            raise AccessDenied(f"four eyes: {self.who.name} wrote report {report_id}")

    def approve(self, report_id: int, *, version: int, note: str | None = None) -> Versioned:
        with self.store.transaction():
            self._review(report_id, version)
            report = self.workflow.approve(report_id, user=self.who.name, note=note)
            return Versioned(report, self.store.report_version(report_id))

    def reject(self, report_id: int, *, version: int, reason: str) -> Versioned:
        with self.store.transaction():
            self._review(report_id, version)
            report = self.workflow.reject(report_id, user=self.who.name, reason=reason)
            return Versioned(report, self.store.report_version(report_id))

    def _at_version(self, report_id: int, version: int) -> None:
        current = self.store.report_version(report_id)  # held until the transaction ends
        if current != version:
            raise VersionConflict(f"report {report_id}", current, version)

    # --- export ----------------------------------------------------------------------------
    def export(
        self,
        folder: Path,
        name: str,
        fmt: str = "gpkg",
        *,
        include_personal: bool = False,
    ) -> list[export_service.Written]:
        """Export the layers to ``folder/name`` (a .gpkg file, or a folder of files).

        ``name`` is a plain name: letters, digits, '-' and '_', so it never leaves
        ``folder``; personal data only with the permission."""
        self.who.require(Permission.READ)
        if include_personal:
            self.who.require(Permission.PERSONAL_DATA)
        if not _EXPORT_NAME.fullmatch(name):
            raise ValueError("an export name is letters, digits, '-' and '_' (at most 80)")
        form = export_service.Format(fmt)
        root = folder.resolve()
        target = (root / (f"{name}.gpkg" if form is export_service.Format.GPKG else name)).resolve()
        if not target.is_relative_to(root) or target == root:
            raise ValueError("an export stays inside the export folder")
        root.mkdir(parents=True, exist_ok=True)
        return export_service.export(self.store, target, form, include_personal=include_personal)


#: The most an uploaded zip (or KMZ) may unpack to.
UNPACKED_LIMIT = 50 * 1024 * 1024


def uploaded_polygon(data: bytes, suffix: str) -> dict[str, Any]:
    """The one feature's geometry (GeoJSON, WGS84) of an uploaded file in a format the
    importer reads, by its extension ``suffix``. Raises ValueError when the format is not
    one of them, a zip unpacks to more than :data:`UNPACKED_LIMIT`, the file does not read,
    or it holds other than one feature, or a feature the reader refuses (with its reason).
    """
    if suffix not in FORMATS or FORMATS[suffix] == "shapefile":
        raise ValueError(
            f"uploads of {suffix} files are not read; send GeoJSON, GeoPackage, KML/KMZ, a "
            "field-coordinates CSV, or a shapefile as a zip of its parts"
        )
    if suffix in (".zip", ".kmz"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                unpacked = sum(m.file_size for m in z.infolist())
        except zipfile.BadZipFile as exc:
            raise ValueError(f"the upload is not a readable zip file: {exc}") from None
        if unpacked > UNPACKED_LIMIT:
            raise ValueError(
                f"the upload unpacks to {unpacked:,} bytes; the limit is {UNPACKED_LIMIT:,}"
            )
    with tempfile.TemporaryDirectory(prefix="safeground-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            source = read_source(path)
        except SourceError as exc:
            raise ValueError(f"the upload does not read: {exc}") from None
    features = [f for layer in source.layers for f in layer.features]
    if len(features) != 1:
        raise ValueError(f"expected one feature, found {len(features)}")
    (feature,) = features
    if feature.error or feature.geometry is None:
        raise ValueError(f"the upload's feature is refused: {feature.error or 'no geometry'}")
    return to_geojson(feature.geometry)


def _one_geometry(data: Any) -> dict[str, Any]:
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            raise ValueError(f"expected one feature, found {len(features)}")
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError("the upload holds no polygon")
    return data


__all__ = [
    "COLLECTIONS",
    "AccessDenied",
    "NotFound",
    "RecordType",
    "StoreError",
    "Team",
    "VersionConflict",
    "Versioned",
]
