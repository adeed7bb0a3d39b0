"""Importing geodata files as register records, through the same rules as any report.

Each feature of a file becomes one register report (``area.register``, ``event.register``
or ``asset.register``) filed by the importing user and approved by the reviewer, with
every source attribute, the file, the layer, the feature's place in it and the CRS it was
declared in kept in the report. The whole import is one transaction:

- by default all or nothing: any bad feature aborts the import, and the refusal lists
  every bad feature (layer, index, line, id, reason), so a file is fixed in one pass;
- with ``skip_invalid`` the good features are imported and each bad one is written, with
  its reason, to a rejects file; read = imported + unchanged + rejected.

A feature's stable identity is its dataset (by default the file's name), its layer and its
own id (``id_field``, or a GeoJSON feature id); a feature without one is known by a hash of
its content. Re-importing a file therefore files nothing new: features already imported
unchanged are counted as unchanged; a feature whose content changed since is refused,
since only a person may decide that a record changes.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from safeground.clock import Clock, SystemClock
from safeground.domain.errors import RuleViolation
from safeground.domain.model import Report
from safeground.gc_pause import no_gc_pauses
from safeground.geometry import to_geojson, to_geojson_many
from safeground.importing.mapping import (
    FieldMapping,
    ImportKind,
    MappingError,
    check_targets,
    plan,
)
from safeground.importing.sources import Source, SourceFeature, list_layers, read_source
from safeground.services.workflow import Draft, Workflow
from safeground.store.base import ImportLog, SourceLink, Store


@dataclass(frozen=True)
class Problem:
    """Why one feature was not imported, and where it is in the file."""

    layer: str
    index: int
    line: int | None
    fid: str | None
    reason: str

    def where(self) -> str:
        parts = [f"feature {self.index}"]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.fid is not None:
            parts.append(f"id {self.fid}")
        return f"{self.layer}: " + ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.where()}: {self.reason}"


class ImportRefused(Exception):
    """Nothing was imported, because of these features."""

    def __init__(self, path: Path, read: int, problems: Sequence[Problem]) -> None:
        self.path = path
        self.read = read
        self.problems = list(problems)
        super().__init__(
            f"{path.name}: nothing imported; {len(self.problems)} of {read} features cannot "
            "be imported (fix them, or import the rest with --skip-invalid --rejects FILE)"
        )


@dataclass(frozen=True)
class ImportSummary:
    file: str
    format: str
    kind: str
    dataset: str
    layers: list[dict[str, Any]]
    read: int
    imported: int
    unchanged: int
    rejected: int
    import_id: int | None
    record_ids: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rejects_file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "kind": self.kind,
            "dataset": self.dataset,
            "layers": self.layers,
            "read": self.read,
            "imported": self.imported,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "import_id": self.import_id,
            "rejects_file": self.rejects_file,
            "problems": [
                {
                    "layer": p.layer,
                    "index": p.index,
                    "line": p.line,
                    "id": p.fid,
                    "reason": p.reason,
                }
                for p in self.problems
            ],
        }


@dataclass(frozen=True)
class _Item:
    layer: str
    crs: str
    feature: SourceFeature
    key: str
    content_hash: str


# the import builds a few small objects per feature and no cycles: see no_gc_pauses
@no_gc_pauses()
def import_file(
    store: Store,
    path: Path,
    kind: ImportKind,
    *,
    user: str,
    reviewer: str | None = None,
    mapping: FieldMapping | None = None,
    layers: Sequence[str] | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    id_field: str | None = None,
    x_field: str | None = None,
    y_field: str | None = None,
    wkt_field: str | None = None,
    dataset: str | None = None,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    report_date: date | None = None,
    clock: Clock | None = None,
    four_eyes: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Import the features of ``path`` as ``kind`` records (see the module docstring).

    Raises SourceError when the file cannot be read at all, MappingError for a mapping
    that does not fit the kind or the file, and ImportRefused (nothing stored) when a
    feature is bad and ``skip_invalid`` is not set. ``progress(done, total)`` hears of
    the filing as it goes.
    """
    if skip_invalid and rejects is None:
        raise MappingError("--skip-invalid needs --rejects FILE: every rejected feature is kept")
    mapping = mapping or FieldMapping()
    check_targets(kind, mapping)
    source = read_source(
        path,
        layers=layers if layers else _preset_layers(path, mapping),
        crs=crs,
        encoding=encoding,
        id_field=id_field,
        x_field=x_field,
        y_field=y_field,
        wkt_field=wkt_field,
    )
    dataset = dataset or path.name
    clock = clock or SystemClock()
    reviewer = reviewer or user
    read = sum(len(layer.features) for layer in source.layers)
    problems: list[Problem] = []
    items: list[_Item] = []
    payloads: list[dict[str, Any]] = []
    seen: set[str] = set()
    for layer in source.layers:
        fmap = mapping.for_layer(layer.name)
        attributes = sorted({name for f in layer.features for name in f.properties})
        missing = [a for a in fmap.fields.values() if attributes and a not in attributes]
        if missing:
            raise MappingError(
                f"layer {layer.name} has no attribute {', '.join(map(repr, missing))}; "
                f"its attributes: {', '.join(attributes)}"
            )
        occurrences: dict[str, int] = {}
        fields_of = plan(kind, fmap, attributes).payload
        wkbs = shapely.to_wkb(_array([f.geometry for f in layer.features]))
        for feature, wkb in zip(layer.features, wkbs, strict=True):
            item = _identify(dataset, layer.name, layer.crs, feature, wkb, occurrences)
            if item.key in seen:
                problems.append(_problem(item, f"id {feature.fid!r} appears twice"))
                continue
            seen.add(item.key)
            if feature.error is not None:
                problems.append(_problem(item, feature.error))
                continue
            try:
                fields = fields_of(feature.properties)
            except MappingError as exc:
                problems.append(_problem(item, str(exc)))
                continue
            assert feature.geometry is not None
            fields["source"] = _source_block(source, dataset, item)
            items.append(item)
            payloads.append(fields)
    shapes = [item.feature.geometry for item in items]
    for fields, geojson in zip(payloads, to_geojson_many(shapes), strict=True):
        fields["geometry"] = geojson
    report_kind = kind.report_kind
    drafts = [
        Draft(report_kind, fields, None, report_date, shape=shape)
        for fields, shape in zip(payloads, shapes, strict=True)
    ]
    links = store.source_links([item.key for item in items])
    unchanged = 0
    fresh_items: list[_Item] = []
    fresh_drafts: list[Draft] = []
    for item, draft in zip(items, drafts, strict=True):
        link = links.get(item.key)
        if link is None:
            fresh_items.append(item)
            fresh_drafts.append(draft)
        elif link.content_hash == item.content_hash:
            unchanged += 1
        else:
            problems.append(
                _problem(
                    item,
                    f"changed since it was imported as {link.record_id} (report "
                    f"{link.report_id}); a change to a record is a report a person files",
                )
            )
    workflow = Workflow(store, clock=clock, four_eyes=four_eyes)
    filed: list[tuple[_Item, Report]] = []

    def refused(index: int, violation: RuleViolation) -> None:
        message = violation.message.split(": ", 1)[-1]  # drop "item N: "
        problems.append(_problem(fresh_items[index], f"[{violation.rule}] {message}"))

    def done(index: int, report: Report) -> None:
        filed.append((fresh_items[index], report))
        if progress is not None:
            progress(len(filed), len(fresh_drafts))

    with store.transaction():
        workflow.file_many(
            fresh_drafts, author=user, reviewer=reviewer, on_refused=refused, on_filed=done
        )
        problems.sort(key=lambda p: (p.layer, p.index))
        if problems and not skip_invalid:
            raise ImportRefused(path, read, problems)
        summary_layers = [
            {"name": layer.name, "crs": layer.crs, "read": len(layer.features)}
            for layer in source.layers
        ]
        import_id = store.add_import(
            ImportLog(
                file=path.name,
                sha256=source.sha256,
                format=source.format,
                kind=kind.value,
                dataset=dataset,
                layers=summary_layers,
                mapping=mapping.as_dict(),
                imported_by=user,
                approved_by=reviewer,
                at=clock.now(),
                read=read,
                imported=len(filed),
                unchanged=unchanged,
                rejected=len(problems),
            ),
            [
                SourceLink(
                    item.key, report.record_type, report.record_id, item.content_hash, report.id
                )
                for item, report in filed
            ],
        )
        if rejects is not None and (problems or skip_invalid):
            _write_rejects(rejects, source, problems)
    return ImportSummary(
        file=str(path),
        format=source.format,
        kind=kind.value,
        dataset=dataset,
        layers=summary_layers,
        read=read,
        imported=len(filed),
        unchanged=unchanged,
        rejected=len(problems),
        import_id=import_id,
        record_ids=[report.record_id for _, report in filed],
        problems=problems,
        rejects_file=None if rejects is None else str(rejects),
    )


def _preset_layers(path: Path, mapping: FieldMapping) -> list[str] | None:
    """The layers a mapping names that the file has; None (all) when it names none."""
    if not mapping.layers:
        return None
    names = list_layers(path)
    chosen = [n for n in names if any(p.lower() in n.lower() for p in mapping.layers)]
    return chosen or None


#: What ``json.dumps(properties, sort_keys=True, default=str)`` uses, made once: that call
#: builds a new encoder each time. Content hashes of past imports depend on this text.
_HASH_JSON = json.JSONEncoder(sort_keys=True, default=str)


def _identify(
    dataset: str,
    layer: str,
    crs: str,
    feature: SourceFeature,
    wkb: bytes | None,
    occurrences: dict[str, int],
) -> _Item:
    """The feature's stable key and content hash (of its attributes and WKB geometry)."""
    wkb = wkb or b""
    digest = hashlib.sha256(
        _HASH_JSON.encode(feature.properties).encode() + b"\0" + wkb
    ).hexdigest()
    if feature.fid is not None:
        key = f"{dataset}|{layer}|id:{feature.fid}"
    else:
        n = occurrences.get(digest, 0)
        occurrences[digest] = n + 1
        key = f"{dataset}|{layer}|sha256:{digest}#{n}"
    return _Item(layer, crs, feature, key, digest)


def _array(values: Sequence[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


def _problem(item: _Item, reason: str) -> Problem:
    f = item.feature
    return Problem(item.layer, f.index, f.line, f.fid, reason)


def _source_block(source: Source, dataset: str, item: _Item) -> dict[str, Any]:
    f = item.feature
    block: dict[str, Any] = {
        "dataset": dataset,
        "file": source.path.name,
        "sha256": source.sha256,
        "layer": item.layer,
        "index": f.index,
        "crs": item.crs,
        "attributes": f.properties,
    }
    if f.line is not None:
        block["line"] = f.line
    if f.fid is not None:
        block["id"] = f.fid
    return block


def _write_rejects(path: Path, source: Source, problems: Sequence[Problem]) -> None:
    """Every rejected feature with its reason: GeoJSON, or CSV (geometry as WKT)."""
    features = {(layer.name, f.index): f for layer in source.layers for f in layer.features}
    rows = []
    for p in problems:
        f = features[(p.layer, p.index)]
        rows.append((p, f))
    if path.suffix.lower() == ".csv":
        attributes = sorted({name for _, f in rows for name in f.properties})
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            header = ["reject_reason", "source_layer", "source_index", "source_line", "source_id"]
            writer.writerow([*header, *attributes, "wkt"])
            for p, f in rows:
                writer.writerow(
                    [p.reason, p.layer, p.index, p.line, p.fid]
                    + [f.properties.get(a) for a in attributes]
                    + ["" if f.geometry is None else f.geometry.wkt]
                )
        return
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    **f.properties,
                    "reject_reason": p.reason,
                    "source_layer": p.layer,
                    "source_index": p.index,
                    "source_line": p.line,
                    "source_id": p.fid,
                },
                "geometry": None if f.geometry is None else to_geojson(f.geometry),
            }
            for p, f in rows
        ],
    }
    path.write_text(json.dumps(collection, ensure_ascii=False, default=str), encoding="utf-8")
