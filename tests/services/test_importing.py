"""Imports: all or nothing, every bad feature named, idempotent, and true to real data."""

from __future__ import annotations

import collections
import hashlib
import json
import math
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from safeground.clock import FixedClock
from safeground.geometry import to_geojson
from safeground.importing.mapping import FieldMapping, ImportKind, MappingError, preset
from safeground.importing.sources import SourceError, read_source
from safeground.services import checking, export, register
from safeground.services.importing import ImportRefused, import_file
from safeground.services.workflow import Workflow
from safeground.store.base import ImportLog, SourceLink
from safeground.store.sqlite import SQLiteStore
from tests.conftest import box, filing_dump, shared_data, table_dump

CLOCK = FixedClock(date(2025, 6, 1))
SQUARE = [[30.5, 50.4], [30.501, 50.4], [30.501, 50.401], [30.5, 50.401], [30.5, 50.4]]


def feature(coordinates: Any, geometry_type: str = "Polygon", **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": geometry_type, "coordinates": coordinates},
    }


def write(path: Path, *features: dict[str, Any], **extra: Any) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", **extra, "features": list(features)}))
    return path


def good(i: int) -> dict[str, Any]:
    ring = [[x + 0.01 * i, y] for x, y in SQUARE]
    return feature([ring], name=f"field {i}", hazard_type="SHA", admin_unit="Kharkiv")


def areas(db: SQLiteStore, path: Path, **options: Any) -> Any:
    return import_file(db, path, ImportKind.HAZARD_AREAS, user="importer", clock=CLOCK, **options)


# --- all or nothing, and every bad feature named -----------------------------------------------
def test_one_bad_feature_imports_nothing_and_every_bad_feature_is_named(
    store: SQLiteStore, db_path: Path, tmp_path: Path
) -> None:
    bowtie = [[[30, 50], [30.1, 50.1], [30.1, 50], [30, 50.1], [30, 50]]]
    path = write(
        tmp_path / "a.geojson",
        good(0),
        feature(bowtie, name="bowtie"),
        good(2),
        feature([[30.5, 50.4], [30.6, 50.5]], "Point", name="a point"),
    )
    before = table_dump(db_path)
    with pytest.raises(ImportRefused) as caught:
        areas(store, path)
    assert [p.index for p in caught.value.problems] == [1, 3]
    assert "Self-intersection" in caught.value.problems[0].reason
    assert caught.value.read == 4
    assert table_dump(db_path) == before


def test_skip_invalid_imports_the_rest_and_writes_each_reject_with_its_reason(
    store: SQLiteStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "a.geojson",
        good(0),
        feature([SQUARE[:3]], name="two vertices"),
        good(2),
        {"type": "Feature", "properties": {"name": "no geometry"}, "geometry": None},
    )
    rejects = tmp_path / "rejects.geojson"
    summary = areas(store, path, skip_invalid=True, rejects=rejects)
    assert (summary.read, summary.imported, summary.rejected) == (4, 2, 2)
    assert summary.imported + summary.rejected + summary.unchanged == summary.read
    written = json.loads(rejects.read_text())["features"]
    assert [f["properties"]["name"] for f in written] == ["two vertices", "no geometry"]
    assert all(f["properties"]["reject_reason"] for f in written)
    assert [a.name for a in register.list_areas(store)] == ["field 0", "field 2"]


def test_skip_invalid_without_a_rejects_file_is_refused(store: SQLiteStore, tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="--rejects"):
        areas(store, write(tmp_path / "a.geojson", good(0)), skip_invalid=True)


# --- idempotence -------------------------------------------------------------------------------
def test_reimporting_a_file_files_nothing_new(store: SQLiteStore, tmp_path: Path) -> None:
    path = write(tmp_path / "a.geojson", good(0), good(1), good(1))  # the last two identical
    first = areas(store, path)
    again = areas(store, path)
    assert (first.imported, first.unchanged) == (3, 0)
    assert (again.imported, again.unchanged, again.rejected) == (0, 3, 0)
    assert len(register.list_areas(store)) == 3
    assert len(store.imports()) == 2


def test_a_feature_changed_since_its_import_is_refused_not_overwritten(
    store: SQLiteStore, db_path: Path, tmp_path: Path
) -> None:
    original = good(0) | {"id": "F-7"}
    path = write(tmp_path / "a.geojson", original)
    areas(store, path)
    changed = original | {"properties": {**original["properties"], "name": "renamed"}}
    write(path, changed)
    before = table_dump(db_path)
    with pytest.raises(ImportRefused) as caught:
        areas(store, path)
    assert "changed since it was imported as HA-000001" in caught.value.problems[0].reason
    assert table_dump(db_path) == before


# --- the import stores what filing each feature's report one by one stores ----------------------
#: Attribute values as files hold them: text (any, and the words the rules read in any case),
#: numbers, nothing; and extra attributes that are only kept in the report.
_attribute = st.one_of(st.text(max_size=6), st.integers(-5, 5), st.floats(-1e6, 1e6), st.none())
_import_feature = st.builds(
    lambda e, n, w, name, hazard, extra, fid: {
        "type": "Feature",
        **({} if fid is None else {"id": fid}),
        "properties": {"name": name, "hazard_type": hazard, "admin_unit": "Izium", **extra},
        "geometry": to_geojson(box(e, n, w, w / 2)),
    },
    st.floats(0, 20_000),
    st.floats(0, 20_000),
    st.floats(5, 900),
    st.text(max_size=8),
    st.sampled_from(["SHA", "cha", "Sha", None]),
    st.dictionaries(st.sampled_from(["land_use", "note", "x_ref"]), _attribute, max_size=2),
    st.one_of(st.none(), st.integers(1, 4).map(str)),
)


def _imported_one_by_one(store: SQLiteStore, path: Path) -> None:
    """What an import of ``path`` stores, written the slow, plain way: each feature's
    report built from the documented parts, drafted, submitted and approved on its own,
    its source link with the documented key and content hash."""
    source = read_source(path)
    workflow = Workflow(store, clock=CLOCK)
    links, occurrences = [], collections.Counter[str]()
    with store.transaction():
        for layer in source.layers:
            for f in layer.features:
                wkb = shapely.to_wkb(f.geometry)
                digest = hashlib.sha256(
                    json.dumps(f.properties, sort_keys=True, default=str).encode() + b"\0" + wkb
                ).hexdigest()
                if f.fid is not None:
                    key = f"{path.name}|{layer.name}|id:{f.fid}"
                else:
                    key = f"{path.name}|{layer.name}|sha256:{digest}#{occurrences[digest]}"
                    occurrences[digest] += 1
                hazard = f.properties.get("hazard_type")
                payload: dict[str, Any] = {
                    "name": f.properties["name"],
                    **({} if hazard is None else {"hazard_type": hazard.upper()}),
                    "admin_unit": f.properties["admin_unit"],
                }
                land_use = f.properties.get("land_use")  # text: numbers are written out
                if isinstance(land_use, str):
                    payload["land_use"] = land_use
                elif land_use is not None:
                    whole = float(land_use).is_integer()
                    payload["land_use"] = str(int(land_use)) if whole else str(land_use)
                payload["source"] = {
                    "dataset": path.name,
                    "file": path.name,
                    "sha256": source.sha256,
                    "layer": layer.name,
                    "index": f.index,
                    "crs": layer.crs,
                    "attributes": f.properties,
                    **({} if f.line is None else {"line": f.line}),
                    **({} if f.fid is None else {"id": f.fid}),
                }
                payload["geometry"] = json.loads(json.dumps(to_geojson(f.geometry)))
                draft = workflow.draft("area.register", author="importer", payload=payload)
                workflow.submit(draft.id, user="importer")
                report = workflow.approve(draft.id, user="importer")
                links.append(
                    SourceLink(key, report.record_type, report.record_id, digest, report.id)
                )
        read = sum(len(layer.features) for layer in source.layers)
        store.add_import(
            ImportLog(
                file=path.name,
                sha256=source.sha256,
                format=source.format,
                kind="hazard-areas",
                dataset=path.name,
                layers=[
                    {"name": layer.name, "crs": layer.crs, "read": len(layer.features)}
                    for layer in source.layers
                ],
                mapping=FieldMapping().as_dict(),
                imported_by="importer",
                approved_by="importer",
                at=CLOCK.now(),
                read=read,
                imported=read,
                unchanged=0,
                rejected=0,
            ),
            links,
        )


@settings(max_examples=15, deadline=None)
@given(st.lists(_import_feature, min_size=1, max_size=6), st.booleans())
def test_an_import_stores_what_filing_each_feature_one_by_one_stores(
    features: list[dict[str, Any]], twice: bool
) -> None:
    """Records, reports (payload, source block, geometry), source links, content hashes,
    the import log: the batched import writes exactly what the plain path writes."""
    if twice:  # a feature without an id that the file holds twice: two records
        copy = {k: v for k, v in features[0].items() if k != "id"}
        features = [*features, copy, copy]
    ids = [f["id"] for f in features if "id" in f]
    assume(len(ids) == len(set(ids)))
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        path = write(tmp / "areas.geojson", *features)
        with SQLiteStore.create(tmp / "batch.gpkg") as store:
            summary = areas(store, path)
        assert summary.imported == len(features)
        with SQLiteStore.create(tmp / "each.gpkg") as store:
            _imported_one_by_one(store, path)
        batch = filing_dump(tmp / "batch.gpkg")
        each = filing_dump(tmp / "each.gpkg")
    assert batch == each


# --- bad input: a clear error, nothing stored --------------------------------------------------
def _latin1(path: Path) -> Path:
    text = json.dumps({"type": "FeatureCollection", "features": [good(0)]}, ensure_ascii=False)
    path.write_bytes(text.replace("field 0", "Peñón").encode("latin-1"))
    return path


def _shapefile_without(part: str) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        shp = path.with_suffix(".shp")
        pyogrio.raw.write(
            shp,
            geometry=shapely.to_wkb([shapely.Polygon(SQUARE)]),
            field_data=[np.array(["a"], dtype=object)],
            fields=["name"],
            crs="EPSG:4326",
            driver="ESRI Shapefile",
            geometry_type="Polygon",
        )
        shp.with_suffix(part).unlink()
        return shp

    return make


BAD_FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "truncated JSON": (
        lambda p: (
            p.write_text(json.dumps({"type": "FeatureCollection", "features": [good(0)]})[:-9]),
            p,
        )[1],
        "line 1",
    ),
    "wrong types": (lambda p: write(p, feature([[["30.5", "50.4"]] * 4])), "feature 0"),
    "NaN coordinates": (
        lambda p: (
            p.write_text(
                json.dumps(
                    {"type": "FeatureCollection", "features": [feature([[[30.5, math.nan]] * 4])]}
                )
            ),
            p,
        )[1],
        "NaN",
    ),
    "infinite coordinates": (lambda p: write(p, feature([[[30.5, 1e400]] * 4])), "Infinity"),
    "unclosed ring": (lambda p: write(p, feature([SQUARE[:4]])), "feature 0"),
    "mixed geometry types": (
        lambda p: write(p, good(0), feature([30.5, 50.4], "Point")),
        "feature 1",
    ),
    "unknown CRS": (
        lambda p: write(p, good(0), crs={"type": "name", "properties": {"name": "EPSG:999999"}}),
        "CRS",
    ),
    "empty file": (lambda p: (p.write_text(""), p)[1], "empty"),
    "shapefile without .dbf": (_shapefile_without(".dbf"), ".dbf"),
    "shapefile without .shx": (_shapefile_without(".shx"), ".shx"),
    "Latin-1 names": (_latin1, "encoding"),
    "null geometry": (
        lambda p: write(p, {"type": "Feature", "properties": {}, "geometry": None}),
        "feature 0",
    ),
    "polygon with 2 vertices": (
        lambda p: write(p, feature([SQUARE[:2] + SQUARE[:1]])),
        "feature 0",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_input_is_refused_clearly_and_nothing_is_stored(
    case: str, store: SQLiteStore, db_path: Path, tmp_path: Path
) -> None:
    make, expected = BAD_FILES[case]
    path = make(tmp_path / "bad.geojson")
    before = table_dump(db_path)
    with pytest.raises((SourceError, ImportRefused)) as caught:
        areas(store, path)
    text = str(caught.value)
    if isinstance(caught.value, ImportRefused):
        text += "\n" + "\n".join(str(p) for p in caught.value.problems)
    assert expected in text, text
    assert table_dump(db_path) == before


def test_latin1_names_import_when_the_encoding_is_given(store: SQLiteStore, tmp_path: Path) -> None:
    summary = areas(store, _latin1(tmp_path / "a.geojson"), encoding="latin-1")
    assert summary.imported == 1
    assert register.list_areas(store)[0].name == "Peñón"


# --- fuzz and round trip -----------------------------------------------------------------------
number = st.one_of(
    st.floats(-200, 200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-200, 200),
    st.text(max_size=3),
    st.none(),
    st.booleans(),
)
position = st.lists(number, min_size=0, max_size=3)
ring = st.lists(position, min_size=0, max_size=6)
geometry = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString", "Bogus"]),
            "coordinates": st.one_of(st.lists(ring, max_size=2), position, st.just(None)),
        }
    ),
    st.builds(
        lambda r: {"type": "Polygon", "coordinates": [[*r, r[0]]]},
        st.lists(st.tuples(st.floats(29, 31), st.floats(49, 51)).map(list), min_size=3, max_size=6),
    ),
)
fuzz_feature = st.fixed_dictionaries(
    {
        "type": st.just("Feature"),
        "properties": st.one_of(
            st.none(),
            st.dictionaries(st.sampled_from(["name", "hazard_type", "admin_unit"]), number),
        ),
        "geometry": geometry,
    }
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(fuzz_feature, max_size=5))
def test_any_geojson_imports_wholly_or_not_at_all(
    tmp_path: Path, features: list[dict[str, Any]]
) -> None:
    path = tmp_path / "fuzz.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    db = tmp_path / "fuzz.gpkg"
    db.unlink(missing_ok=True)
    with SQLiteStore.create(db) as store:
        before = table_dump(db)
        try:
            summary = areas(store, path)
        except (SourceError, ImportRefused, MappingError):
            assert table_dump(db) == before
        else:
            assert summary.imported == summary.read == len(features)
            assert len(register.list_areas(store)) == len(features)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 5_000), st.floats(0, 5_000), st.floats(5, 400), st.floats(5, 400)),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["gpkg", "geojson"]),
)
def test_export_then_import_gives_the_same_records(
    boxes: list[tuple[float, float, float, float]], fmt: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _round_trip(Path(folder), boxes, fmt)


def _round_trip(tmp: Path, boxes: list[tuple[float, float, float, float]], fmt: str) -> None:
    out = tmp / ("out.gpkg" if fmt == "gpkg" else "out")
    with SQLiteStore.create(tmp / "a.gpkg") as source:
        features = [
            {
                "type": "Feature",
                "properties": {"name": f"a{i}", "hazard_type": "CHA", "admin_unit": "u"},
                "geometry": to_geojson(box(*b)),
            }
            for i, b in enumerate(boxes)
        ]
        areas(source, write(tmp / "in.geojson", *features))
        written = export.export(source, out, export.Format(fmt), layers=["hazard_areas"])
        before = {a.area_id: a for a in register.list_areas(source)}
        geoms = {i: register.area(source, i).geometry for i in before}
    with SQLiteStore.create(tmp / "b.gpkg") as target:
        areas(target, Path(written[0].path), id_field="area_id")
        after = {a.area_id: a for a in register.list_areas(target)}
        assert [(a.name, a.hazard_type, a.admin_unit) for a in after.values()] == [
            (a.name, a.hazard_type, a.admin_unit) for a in before.values()
        ]
        for new_id, old_id in zip(after, before, strict=True):
            got = register.area(target, new_id).geometry
            assert shapely.equals_exact(got, geoms[old_id], tolerance=0 if fmt == "gpkg" else 1e-9)
            assert after[new_id].area_m2 == pytest.approx(before[old_id].area_m2, rel=1e-9)


# --- real data ---------------------------------------------------------------------------------
def test_copernicus_emsr190_package_imports_straight_from_the_zip(
    store: SQLiteStore, db_path: Path
) -> None:
    zip_path = shared_data(
        "italy2016_emsr190_arquata", "EMSR190_12ARQUATADELTRONTO_GRADING_OVERVIEW_v1_vector.zip"
    )
    summary = import_file(
        store,
        zip_path,
        ImportKind.ASSETS,
        user="importer",
        mapping=preset("copernicus-ems"),
        clock=CLOCK,
    )
    assert (summary.read, summary.imported, summary.rejected) == (1_344, 1_344, 0)
    assert {layer["crs"] for layer in summary.layers} == {"EPSG:32633"}
    assets = store.layer("assets")
    rows = assets.records()
    kinds = collections.Counter(r["kind"] for r in rows)
    assert kinds == {"building": 1_300, "road": 44}
    grades = collections.Counter(r["damage_grade"] for r in rows if r["kind"] == "building")
    assert grades == {
        "destroyed": 96,
        "highly_damaged": 42,
        "moderately_damaged": 22,
        "slightly_damaged": 86,
        "not_affected": 1_054,
    }
    geoms = shapely.from_wkb(list(assets.geometries or []))
    centre = shapely.union_all(geoms).centroid
    assert centre.x == pytest.approx(13.29, abs=0.02)
    assert centre.y == pytest.approx(42.77, abs=0.02)
    report = store.reports(record_type=store.reports()[0].record_type)[0]
    assert report.payload["source"]["crs"] == "EPSG:32633"
    assert report.payload["source"]["attributes"]["grading"]


def test_colombia_events_import_with_counts_equal_to_the_source(tmp_path: Path) -> None:
    folder = shared_data("colombia_mine_events")
    files = sorted(folder.glob("[12]*.json"))
    expected_types: collections.Counter[str] = collections.Counter()
    expected_years: collections.Counter[int] = collections.Counter()
    for path in files:
        for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
            expected_types[f["properties"]["TIPO_EVENTO"]] += 1
            expected_years[int(f["properties"]["AÑO"])] += 1
    assert sum(expected_types.values()) == 36_527
    with SQLiteStore.create(tmp_path / "co.gpkg") as store:
        mapping = preset("colombia-descontamina")
        for path in files:
            summary = import_file(
                store, path, ImportKind.EVENTS, user="importer", mapping=mapping, clock=CLOCK
            )
            assert summary.rejected == 0
        events = store.layer("events")
        rows = events.records()
        assert len(rows) == 36_527
        assert collections.Counter(r["source_type"].split()[0] for r in rows) == expected_types
        assert collections.Counter(r["year"] for r in rows) == expected_years

        units = checking.read_admin_units(
            folder / "boundaries" / "colombia_departamentos.geojson", "NOMBRE_DPT"
        )
        result = checking.check_register(store, layers=["events"], admin_units=units)
    by_rule = collections.defaultdict(set)
    for _, finding in result.findings:
        by_rule[finding.rule.value].add(finding.record_id)
    assert 360 <= len(by_rule["outside-all-admin-units"]) <= 380  # SOURCES.md: about 370
    assert len(by_rule["outside-admin-unit"]) >= 1_300  # SOURCES.md: 1,313 in a neighbour
    sign = [r for r in rows if r["event_id"] in by_rule["coordinate-sign-error"]]
    assert any(r["year"] == 2004 and r["admin_unit"] == "BOGOTA DC" for r in sign)


def test_field_traverse_csv_becomes_a_hazard_area_with_its_measured_size(
    store: SQLiteStore, tmp_path: Path
) -> None:
    path = tmp_path / "traverse.csv"
    path.write_text(
        "polygon_id,point_type,seq,coord_system,x,y,bearing_deg,distance_m,north,name\n"
        "SHA-7,benchmark,0,lonlat,30.5,50.4,,,,Field by the ford\n"
        "SHA-7,turning_point,1,traverse,,,0,10,true,\n"
        "SHA-7,turning_point,2,traverse,,,90,100,true,\n"
        "SHA-7,turning_point,3,traverse,,,180,100,true,\n"
        "SHA-7,turning_point,4,traverse,,,270,100,true,\n"
        "SHA-7,closing_point,5,traverse,,,0,100,true,\n",
        encoding="utf-8",
    )
    summary = areas(store, path)
    assert (summary.format, summary.imported) == ("field-csv", 1)
    (area,) = register.list_areas(store)
    assert area.name == "Field by the ford"
    assert area.area_m2 == pytest.approx(10_000, rel=1e-3)
