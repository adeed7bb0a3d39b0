"""Reading geodata files: features in WGS84, with exact errors for the file or a feature."""

from __future__ import annotations

import hashlib
import json
import math
import struct
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon

from safeground.importing.sources import (
    Source,
    SourceError,
    SourceFeature,
    SourceLayer,
    list_layers,
    read_source,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
COPERNICUS = (
    DATA / "italy2016_emsr190_arquata" / "EMSR190_12ARQUATADELTRONTO_GRADING_OVERVIEW_v1_vector.zip"
)
TO_UTM33 = Transformer.from_crs(4326, 32633, always_xy=True)
SQUARE = [[13.29, 42.77], [13.30, 42.77], [13.30, 42.78], [13.29, 42.78], [13.29, 42.77]]


# --- helpers -----------------------------------------------------------------------


def write_json(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def feature(geometry: Any, fid: Any = None, **properties: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "Feature", "properties": properties, "geometry": geometry}
    if fid is not None:
        out["id"] = fid
    return out


def collection(*features: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", **extra, "features": list(features)}


def polygon(ring: Sequence[Sequence[Any]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [list(ring)]}


def only_layer(source: Source) -> SourceLayer:
    assert len(source.layers) == 1
    return source.layers[0]


def errors(layer: SourceLayer) -> dict[int, str]:
    return {f.index: f.error for f in layer.features if f.error is not None}


def utm_square(east: float, north: float, size: float = 100.0) -> Polygon:
    return Polygon(
        [(east, north), (east + size, north), (east + size, north + size), (east, north + size)]
    )


def write_gdal(
    path: Path,
    geometries: Sequence[bytes | None],
    fields: dict[str, np.ndarray],
    *,
    crs: str | None,
    driver: str,
    geometry_type: str,
    layer: str | None = None,
) -> Path:
    wkb = np.empty(len(geometries), dtype=object)
    wkb[:] = list(geometries)
    with warnings.catch_warnings():
        if crs is None:  # a file without CRS is what the test wants
            warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        pyogrio.raw.write(
            path,
            geometry=wkb,
            field_data=list(fields.values()),
            fields=list(fields),
            crs=crs,
            driver=driver,
            geometry_type=geometry_type,
            layer=layer,
        )
    return path


def write_shapefile(folder: Path, name: str, geometries: Sequence[Any], crs: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    names = np.array([f"{name} {i}" for i in range(len(geometries))], dtype=object)
    path = write_gdal(
        folder / f"{name}.shp",
        [shapely.to_wkb(g) for g in geometries],
        {"name": names, "n": np.arange(len(geometries))},
        crs=crs or "EPSG:4326",
        driver="ESRI Shapefile",
        geometry_type=geometries[0].geom_type,
    )
    if crs is None:
        (folder / f"{name}.prj").unlink()
    return path


def zip_folder(folder: Path, target: Path, skip: Sequence[str] = ()) -> Path:
    with zipfile.ZipFile(target, "w") as z:
        for file in sorted(folder.iterdir()):
            if file.name not in skip:
                z.write(file, file.name)
    return target


def raw_polygon_wkb(ring: Sequence[tuple[float, float]]) -> bytes:
    """WKB of a one-ring polygon exactly as given (shapely would refuse or close it)."""
    out = struct.pack("<BIII", 1, 3, 1, len(ring))
    for x, y in ring:
        out += struct.pack("<dd", x, y)
    return out


# --- the file as a whole -----------------------------------------------------------


@pytest.mark.parametrize("name", ["a.geojson", "a.csv", "a.gpkg", "a.kml", "a.zip", "a.shp"])
@pytest.mark.parametrize("content", [b"", b"  \n\t \r\n"])
def test_empty_or_whitespace_file_is_refused_as_empty(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError, match=r"a\.\w+ is empty"):
        read_source(path)
    with pytest.raises(SourceError, match="is empty"):
        list_layers(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        read_source(tmp_path / "nothing.geojson")


def test_unsupported_extension_is_refused_naming_the_supported_formats(tmp_path: Path) -> None:
    path = tmp_path / "areas.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(SourceError, match=r"\.xlsx is not a supported format.*\.geojson.*\.gpkg"):
        read_source(path)


def test_extension_is_matched_case_insensitively_and_sha256_is_of_the_bytes(
    tmp_path: Path,
) -> None:
    path = write_json(tmp_path / "AREAS.GeoJSON", collection(feature(polygon(SQUARE))))
    source = read_source(path)
    assert source.format == "geojson"
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert source.path == path


# --- GeoJSON -----------------------------------------------------------------------


def test_geojson_features_keep_their_ids_properties_and_lonlat_geometry(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "areas.geojson",
        collection(
            feature(polygon(SQUARE), "HA-1", name="North field", depth=0.3, cleared=False),
            feature({"type": "Point", "coordinates": [13.3, 42.8]}, 7, note=None, tags=["a"]),
        ),
    )
    layer = only_layer(read_source(path))
    assert (layer.name, layer.crs, layer.geometry_type) == ("areas", "EPSG:4326", "Mixed")
    first, second = layer.features
    assert first == SourceFeature(
        0,
        None,
        "HA-1",
        {"name": "North field", "depth": 0.3, "cleared": False},
        Polygon(SQUARE),
        None,
    )
    assert (second.index, second.fid, second.properties) == (1, "7", {"note": None, "tags": ["a"]})
    assert second.geometry == Point(13.3, 42.8) and second.error is None


def test_truncated_geojson_is_a_source_error_with_line_and_column(tmp_path: Path) -> None:
    text = json.dumps(collection(feature(polygon(SQUARE))), indent=1)
    path = tmp_path / "cut.geojson"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(SourceError, match=r"not valid JSON: .* at line \d+, column \d+.*truncated"):
        read_source(path)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_standard_nan_and_infinity_literals_are_refused(tmp_path: Path, literal: str) -> None:
    path = tmp_path / "nan.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [\n'
        '{"type": "Feature", "properties": {},\n'
        f' "geometry": {{"type": "Point", "coordinates": [{literal}, 42.0]}}}}]}}',
        encoding="utf-8",
    )
    with pytest.raises(SourceError, match=rf"{literal} at line 3, column \d+ is not a JSON number"):
        read_source(path)


def test_overflowing_coordinate_is_a_feature_error_not_finite(tmp_path: Path) -> None:
    path = tmp_path / "inf.geojson"
    good = json.dumps(feature({"type": "Point", "coordinates": [13.3, 42.8]}))
    bad = (
        '{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Point", "coordinates": [1e999, 42]}}'
    )
    path.write_text(f'{{"type": "FeatureCollection", "features": [{good}, {bad}]}}', "utf-8")
    layer = only_layer(read_source(path))
    assert errors(layer) == {1: "geometry: coordinates are not finite numbers (NaN or infinite)"}
    assert layer.features[0].geometry == Point(13.3, 42.8)


def test_wrong_coordinate_types_are_feature_errors_and_reading_goes_on(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "types.geojson",
        collection(
            feature(polygon([[str(x), str(y)] for x, y in SQUARE])),
            feature({"type": "Point", "coordinates": [True, 42.0]}),
            feature({"type": "Point", "coordinates": "13.3 42.8"}),
            feature({"type": "Circle", "coordinates": [13.3, 42.8]}),
            feature(polygon(SQUARE)),
        ),
    )
    layer = only_layer(read_source(path))
    found = errors(layer)
    assert found[0] == 'geometry: coordinates must be numbers, found "13.29"'
    assert found[1] == "geometry: coordinates must be numbers, found true"
    assert found[2] == 'geometry: coordinates must be numbers, found "13.3 42.8"'
    assert found[3] == "geometry: 'Circle' is not a GeoJSON geometry type"
    assert 4 not in found and layer.features[4].geometry == Polygon(SQUARE)
    assert all(layer.features[i].geometry is None for i in range(4))


def test_unclosed_ring_is_a_feature_error_and_is_not_closed(tmp_path: Path) -> None:
    path = write_json(tmp_path / "open.geojson", collection(feature(polygon(SQUARE[:-1]))))
    [bad] = only_layer(read_source(path)).features
    assert bad.error == (
        "geometry: exterior ring is not closed: it starts at [13.29, 42.77] and ends at "
        "[13.29, 42.78] (GeoJSON rings repeat the first position at the end)"
    )
    assert bad.geometry is None


@pytest.mark.parametrize(
    "ring",
    [
        [[13.29, 42.77], [13.30, 42.77], [13.29, 42.77]],  # 3 positions
        [[13.29, 42.77], [13.30, 42.77], [13.30, 42.77], [13.29, 42.77]],  # 4 positions
    ],
)
def test_polygon_with_two_vertices_is_a_feature_error(tmp_path: Path, ring: list[Any]) -> None:
    path = write_json(tmp_path / "thin.geojson", collection(feature(polygon(ring))))
    [bad] = only_layer(read_source(path)).features
    assert bad.error == (
        "geometry: exterior ring has 2 distinct vertices; a polygon needs at least 3"
    )


def test_self_intersecting_polygon_is_a_feature_error_with_shapelys_reason(
    tmp_path: Path,
) -> None:
    bowtie = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]
    path = write_json(tmp_path / "bowtie.geojson", collection(feature(polygon(bowtie))))
    [bad] = only_layer(read_source(path)).features
    assert bad.error == "geometry: invalid polygon: Self-intersection[0.5 0.5]"
    assert bad.geometry == Polygon(bowtie)  # kept as read, for showing; never repaired


def test_null_missing_and_empty_geometries_are_feature_errors(tmp_path: Path) -> None:
    no_geometry = {"type": "Feature", "properties": {"a": 1}}
    path = write_json(
        tmp_path / "null.geojson",
        collection(
            feature(None),
            no_geometry,
            feature({"type": "Polygon", "coordinates": []}),
            feature(polygon(SQUARE)),
        ),
    )
    layer = only_layer(read_source(path))
    assert errors(layer) == {
        0: "geometry is null",
        1: "the feature has no 'geometry' member",
        2: "geometry is empty",
    }
    assert layer.features[1].properties == {"a": 1}
    assert layer.geometry_type == "Polygon"


def test_mixed_geometry_types_are_allowed_and_the_layer_type_is_mixed(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "mixed.geojson",
        collection(
            feature(polygon(SQUARE)),
            feature({"type": "LineString", "coordinates": SQUARE[:2]}),
            feature({"type": "Point", "coordinates": SQUARE[0]}),
        ),
    )
    layer = only_layer(read_source(path))
    assert layer.geometry_type == "Mixed"
    assert errors(layer) == {}
    assert [f.geometry.geom_type for f in layer.features if f.geometry is not None] == [
        "Polygon",
        "LineString",
        "Point",
    ]


@pytest.mark.parametrize(
    "member",
    [
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32633"}},
        {"type": "name", "properties": {"name": "EPSG:32633"}},
    ],
)
def test_geojson_2008_crs_member_is_honoured_and_reprojected(
    tmp_path: Path, member: dict[str, Any]
) -> None:
    east, north = TO_UTM33.transform(13.29, 42.77)
    ring = [list(c) for c in utm_square(east, north).exterior.coords]
    path = write_json(tmp_path / "utm.geojson", collection(feature(polygon(ring)), crs=member))
    layer = only_layer(read_source(path))
    assert layer.crs == "EPSG:32633"
    [f] = layer.features
    assert f.error is None and f.geometry is not None
    x, y = f.geometry.exterior.coords[0]
    assert (x, y) == pytest.approx((13.29, 42.77), abs=1e-9)


def test_unknown_crs_is_a_source_error(tmp_path: Path) -> None:
    member = {"type": "name", "properties": {"name": "EPSG:999999"}}
    path = write_json(tmp_path / "x.geojson", collection(feature(polygon(SQUARE)), crs=member))
    with pytest.raises(SourceError, match=r"unknown CRS 'EPSG:999999'"):
        read_source(path)
    link = {"type": "link", "properties": {"href": "http://example.com/crs/42"}}
    path = write_json(tmp_path / "y.geojson", collection(feature(polygon(SQUARE)), crs=link))
    with pytest.raises(SourceError, match="unknown CRS"):
        read_source(path)
    with pytest.raises(SourceError, match=r"unknown CRS 'not a crs' \(the crs argument\)"):
        read_source(tmp_path / "y.geojson", crs="not a crs")


def test_crs_argument_that_contradicts_the_file_is_refused(tmp_path: Path) -> None:
    path = write_json(tmp_path / "a.geojson", collection(feature(polygon(SQUARE))))
    with pytest.raises(SourceError, match=r"declares the CRS EPSG:4326, but crs='EPSG:32633'"):
        read_source(path, crs="EPSG:32633")
    assert only_layer(read_source(path, crs="EPSG:4326")).crs == "EPSG:4326"


def test_projected_coordinates_without_crs_member_are_feature_errors_with_a_hint(
    tmp_path: Path,
) -> None:
    east, north = TO_UTM33.transform(13.29, 42.77)
    ring = [list(c) for c in utm_square(east, north).exterior.coords]
    path = write_json(tmp_path / "utm.geojson", collection(feature(polygon(ring))))
    [bad] = only_layer(read_source(path)).features
    assert bad.error is not None
    assert "is outside longitude -180..180" in bad.error and 'needs a "crs" member' in bad.error


def test_single_feature_and_bare_geometry_are_one_feature_each(tmp_path: Path) -> None:
    single = write_json(tmp_path / "one.geojson", feature(polygon(SQUARE), "A", k=1))
    [f] = only_layer(read_source(single)).features
    assert (f.fid, f.properties, f.geometry) == ("A", {"k": 1}, Polygon(SQUARE))
    bare = write_json(tmp_path / "bare.json", polygon(SQUARE))
    [g] = only_layer(read_source(bare)).features
    assert (g.fid, g.properties, g.geometry, g.error) == (None, {}, Polygon(SQUARE), None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"type": "Topology", "objects": {}}, "top-level object is of type 'Topology'"),
        ([1, 2], "the top level is a JSON list"),
        ({"type": "FeatureCollection"}, "has no 'features' list"),
    ],
)
def test_top_level_object_of_another_kind_is_refused(
    tmp_path: Path, content: Any, message: str
) -> None:
    path = write_json(tmp_path / "x.geojson", content)
    with pytest.raises(SourceError, match=message):
        read_source(path)


def test_properties_that_are_not_an_object_are_a_feature_error(tmp_path: Path) -> None:
    bad = {"type": "Feature", "properties": ["a", "b"], "geometry": polygon(SQUARE)}
    null = {"type": "Feature", "properties": None, "geometry": polygon(SQUARE)}
    path = write_json(tmp_path / "p.geojson", collection(bad, null, {"type": "Polygon"}))
    layer = only_layer(read_source(path))
    assert errors(layer) == {
        0: 'properties is not an object: ["a", "b"]',
        2: "not a GeoJSON Feature (found 'Polygon')",
    }
    assert layer.features[1].properties == {}


def test_repeated_key_is_reported_rather_than_one_value_dropped(tmp_path: Path) -> None:
    path = tmp_path / "dup.geojson"
    geometry = json.dumps(polygon(SQUARE))
    path.write_text(
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "properties": {"name": "a", "name": "b"}, '
        f'"geometry": {geometry}}},'
        f'{{"type": "Feature", "properties": {{"name": "c"}}, "geometry": {geometry}}}]}}',
        encoding="utf-8",
    )
    layer = only_layer(read_source(path))
    assert errors(layer) == {0: "properties: the key 'name' appears twice in an object"}


def test_infinite_property_value_is_a_feature_error(tmp_path: Path) -> None:
    path = tmp_path / "big.geojson"
    geometry = json.dumps(polygon(SQUARE))
    path.write_text(
        '{"type": "Feature", "properties": {"survey": {"depths": [0.5, 1e400]}}, '
        f'"geometry": {geometry}}}',
        encoding="utf-8",
    )
    [f] = only_layer(read_source(path)).features
    assert f.error == "properties: survey.depths[1] is not a finite number"
    assert f.properties == {"survey": {"depths": [0.5, None]}}  # JSON-safe


def test_latin1_geojson_needs_encoding_and_then_reads(tmp_path: Path) -> None:
    path = tmp_path / "latin.geojson"
    obj = collection(feature(polygon(SQUARE), name="Zona minada, área 3"))
    text = json.dumps(obj, ensure_ascii=False)
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(SourceError, match=r"not valid UTF-8: byte\(s\) e1 at line 1.*encoding="):
        read_source(path)
    [f] = only_layer(read_source(path, encoding="latin-1")).features
    assert f.properties == {"name": "Zona minada, área 3"} and f.error is None


# --- ids ---------------------------------------------------------------------------


def test_id_field_gives_each_feature_its_id_and_repeats_are_flagged(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "ids.geojson",
        collection(
            feature(polygon(SQUARE), "x", code="HA-1"),
            feature(polygon(SQUARE), "y", code="HA-2"),
            feature(polygon(SQUARE), "z", code="HA-1"),
            feature(polygon(SQUARE), "w", code=None),
        ),
    )
    layer = only_layer(read_source(path, id_field="code"))
    assert [f.fid for f in layer.features] == ["HA-1", "HA-2", "HA-1", None]
    assert errors(layer) == {
        0: "id 'HA-1' is not unique in the layer (also feature 2)",
        2: "id 'HA-1' is not unique in the layer (also feature 0)",
        3: "no id: attribute 'code' is empty",
    }
    with pytest.raises(SourceError, match=r"id_field 'ref' is not a field of ids\.geojson"):
        read_source(path, id_field="ref")


def test_a_feature_with_several_problems_names_each_of_them(tmp_path: Path) -> None:
    bowtie = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]
    path = write_gdal(
        tmp_path / "ids.gpkg",
        [shapely.to_wkb(Polygon(SQUARE)), shapely.to_wkb(Polygon(bowtie))],
        {"code": np.array(["HA-1", "HA-1"], dtype=object), "area": np.array([1.0, np.inf])},
        crs="EPSG:4326",
        driver="GPKG",
        geometry_type="Polygon",
    )
    layer = only_layer(read_source(path, id_field="CODE"))
    assert errors(layer) == {
        0: "id 'HA-1' is not unique in the layer (also feature 1)",
        1: "attribute 'area' is not a finite number (inf); "
        "geometry: invalid polygon: Self-intersection[0.5 0.5]; "
        "id 'HA-1' is not unique in the layer (also feature 0)",
    }
    assert layer.features[1].properties == {"fid": 2, "code": "HA-1", "area": None}


# --- GeoPackage --------------------------------------------------------------------


def test_utm_geopackage_is_reprojected_to_lonlat_and_its_crs_recorded(tmp_path: Path) -> None:
    east, north = TO_UTM33.transform(13.29, 42.77)
    squares = [utm_square(east + 200 * i, north) for i in range(3)]
    path = write_gdal(
        tmp_path / "areas.gpkg",
        [shapely.to_wkb(s) for s in squares],
        {
            "code": np.array(["A", "B", "C"], dtype=object),
            "depth": np.array([0.5, np.nan, 2.0]),
            "day": np.array(["2024-05-01", "NaT", "2024-05-03"], dtype="datetime64[D]"),
            "count": np.array([1, 2, 3], dtype="int64"),
        },
        crs="EPSG:32633",
        driver="GPKG",
        geometry_type="Polygon",
    )
    source = read_source(path, id_field="code")
    assert source.format == "gpkg"
    layer = only_layer(source)
    assert (layer.name, layer.crs, layer.geometry_type) == ("areas", "EPSG:32633", "Polygon")
    assert errors(layer) == {}
    first = layer.features[0]
    assert first.fid == "A"
    assert first.geometry is not None
    assert first.geometry.exterior.coords[0] == pytest.approx((13.29, 42.77), abs=1e-9)
    assert [f.properties for f in layer.features] == [
        {"fid": 1, "code": "A", "depth": 0.5, "day": "2024-05-01", "count": 1},
        {"fid": 2, "code": "B", "depth": None, "day": None, "count": 2},
        {"fid": 3, "code": "C", "depth": 2.0, "day": "2024-05-03", "count": 3},
    ]
    for props in (f.properties for f in layer.features):
        json.dumps(props, allow_nan=False)  # JSON-safe
        assert all(type(v) in (str, int, float, type(None)) for v in props.values())


def test_geopackage_bad_features_each_get_their_own_error(tmp_path: Path) -> None:
    good = utm_square(350_000, 4_740_000)
    path = write_gdal(
        tmp_path / "bad.gpkg",
        [
            shapely.to_wkb(good),
            None,
            raw_polygon_wkb([(350_000, 4_740_000), (350_100, 4_740_000), (350_100, 4_740_100)]),
            shapely.to_wkb(Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])),
            raw_polygon_wkb([(350_000, 4_740_000), (math.nan, 4_740_000), (350_000, 4_740_000)]),
            raw_polygon_wkb([(350_000, 4_740_000), (350_100, 4_740_000), (350_000, 4_740_000)]),
            shapely.to_wkb(good),
        ],
        {"n": np.arange(7)},
        crs="EPSG:32633",
        driver="GPKG",
        geometry_type="Polygon",
    )
    layer = only_layer(read_source(path))
    found = errors(layer)
    assert found[1] == "geometry is null"
    assert found[2].startswith("geometry: cannot be read: ")
    assert "closed" in found[2]
    assert found[3].startswith("geometry: invalid polygon: Self-intersection[")
    assert found[4] == "geometry: coordinates are not finite numbers (NaN or infinite)"
    assert found[5] == (
        "geometry: exterior ring has 2 distinct vertices; a polygon needs at least 3"
    )
    assert set(found) == {1, 2, 3, 4, 5}
    assert [f.properties["n"] for f in layer.features] == list(range(7))


def test_geopackage_without_crs_needs_the_crs_argument(tmp_path: Path) -> None:
    path = write_gdal(
        tmp_path / "nocrs.gpkg",
        [shapely.to_wkb(utm_square(350_000, 4_740_000))],
        {"n": np.arange(1)},
        crs=None,
        driver="GPKG",
        geometry_type="Polygon",
    )
    with pytest.raises(SourceError, match=r"declares no CRS .*span x .*crs="):
        read_source(path)
    layer = only_layer(read_source(path, crs="EPSG:32633"))
    assert layer.crs == "EPSG:32633" and errors(layer) == {}


# --- shapefiles and zips -----------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "what"), [(".dbf", "attribute table"), (".shx", "shape index")]
)
def test_shapefile_without_dbf_or_shx_is_refused_naming_the_part(
    tmp_path: Path, missing: str, what: str
) -> None:
    path = write_shapefile(tmp_path / "shp", "roads", [LineString(SQUARE)], "EPSG:4326")
    path.with_suffix(missing).unlink()
    with pytest.raises(SourceError, match=rf"roads\.shp has no \{missing} \({what}\)"):
        read_source(path)
    with pytest.raises(SourceError, match=rf"has no \{missing}"):
        list_layers(path)


@pytest.mark.parametrize("missing", [".dbf", ".shx"])
def test_zip_with_a_shapefile_missing_a_part_is_refused(tmp_path: Path, missing: str) -> None:
    write_shapefile(tmp_path / "pkg", "roads", [LineString(SQUARE)], "EPSG:4326")
    path = zip_folder(tmp_path / "pkg", tmp_path / "pkg.zip", skip=[f"roads{missing}"])
    with pytest.raises(SourceError, match=rf"pkg\.zip: the shapefile roads\.shp has no \{missing}"):
        read_source(path)


def test_shapefile_parts_are_found_case_insensitively(tmp_path: Path) -> None:
    path = write_shapefile(tmp_path / "shp", "roads", [LineString(SQUARE)], "EPSG:4326")
    path.with_suffix(".dbf").rename(path.with_suffix(".DBF"))
    assert list_layers(path) == ["roads"]


def test_shapefile_without_prj_needs_crs_and_a_contradicting_crs_is_refused(
    tmp_path: Path,
) -> None:
    east, north = TO_UTM33.transform(13.29, 42.77)
    path = write_shapefile(tmp_path / "a", "areas", [utm_square(east, north)], None)
    with pytest.raises(SourceError, match=r"declares no CRS \(no \.prj file\).*crs="):
        read_source(path)
    layer = only_layer(read_source(path, crs="EPSG:32633"))
    assert layer.crs == "EPSG:32633" and errors(layer) == {}
    assert layer.features[0].geometry is not None
    assert layer.features[0].geometry.exterior.coords[0] == pytest.approx((13.29, 42.77))
    with_prj = write_shapefile(tmp_path / "b", "areas", [utm_square(east, north)], "EPSG:32633")
    with pytest.raises(SourceError, match=r"declares the CRS EPSG:32633, but crs='EPSG:32634'"):
        read_source(with_prj, crs="EPSG:32634")


def test_latin1_shapefile_needs_encoding_and_then_reads(tmp_path: Path) -> None:
    path = write_shapefile(tmp_path / "shp", "areas", [Polygon(SQUARE)], "EPSG:4326")
    dbf = path.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes().replace(b"areas 0", b"\xe1reas 0"))  # the .cpg says UTF-8
    with pytest.raises(SourceError, match=r"not valid UTF-8.*pass encoding="):
        read_source(path)
    [f] = only_layer(read_source(path, encoding="latin-1")).features
    assert f.properties == {"name": "áreas 0", "n": 0}


def test_zip_of_shapefiles_is_read_layer_by_layer_with_substring_selection(
    tmp_path: Path,
) -> None:
    east, north = TO_UTM33.transform(13.29, 42.77)
    write_shapefile(
        tmp_path / "pkg",
        "ems_transport_roads",
        [LineString([(east, north), (east + 500, north)])],
        "EPSG:32633",
    )
    write_shapefile(
        tmp_path / "pkg", "ems_buildings", [utm_square(east, north, 20)] * 2, "EPSG:32633"
    )
    path = zip_folder(tmp_path / "pkg", tmp_path / "pkg.zip")
    assert list_layers(path) == ["ems_buildings", "ems_transport_roads"]
    source = read_source(path, layers=["roads"])
    assert source.format == "zip"
    layer = only_layer(source)
    assert (layer.name, layer.crs, layer.geometry_type) == (
        "ems_transport_roads",
        "EPSG:32633",
        "LineString",
    )
    [road] = layer.features
    assert road.properties == {"name": "ems_transport_roads 0", "n": 0}
    assert road.geometry is not None and road.geometry.coords[0] == pytest.approx((13.29, 42.77))
    assert [len(x.features) for x in read_source(path).layers] == [2, 1]
    with pytest.raises(SourceError, match=r"'ems' matches 2 layers"):
        read_source(path, layers=["ems"])
    with pytest.raises(SourceError, match=r"no layer of pkg\.zip matches 'rivers'"):
        read_source(path, layers=["rivers"])


def test_zip_without_shapefile_or_geopackage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(SourceError, match=r"holds no shapefile or GeoPackage \(it holds: readme"):
        read_source(path)


def test_zip_reads_shapefiles_in_a_folder_and_geopackages_naming_colliding_layers(
    tmp_path: Path,
) -> None:
    write_shapefile(tmp_path / "pkg" / "data", "roads", [LineString(SQUARE)], "EPSG:4326")
    write_gdal(
        tmp_path / "pkg" / "areas.gpkg",
        [shapely.to_wkb(Polygon(SQUARE))],
        {"n": np.arange(1)},
        crs="EPSG:4326",
        driver="GPKG",
        geometry_type="Polygon",
        layer="roads",
    )
    path = tmp_path / "pkg.zip"
    with zipfile.ZipFile(path, "w") as z:
        for file in sorted((tmp_path / "pkg").rglob("*.*")):
            z.write(file, file.relative_to(tmp_path / "pkg").as_posix())
        z.writestr("__MACOSX/data/._roads.shp", b"resource fork")
    assert list_layers(path) == ["data/roads", "areas.gpkg/roads"]
    source = read_source(path)
    assert [(x.name, len(x.features)) for x in source.layers] == [
        ("data/roads", 1),
        ("areas.gpkg/roads", 1),
    ]
    assert source.layers[1].features[0].properties == {"fid": 1, "n": 0}


def test_encoding_is_refused_for_geopackages_whose_text_is_always_utf8(tmp_path: Path) -> None:
    path = write_gdal(
        tmp_path / "a.gpkg",
        [shapely.to_wkb(Polygon(SQUARE))],
        {"n": np.arange(1)},
        crs="EPSG:4326",
        driver="GPKG",
        geometry_type="Polygon",
    )
    with pytest.raises(SourceError, match="GeoPackage text is always decoded as the file"):
        read_source(path, encoding="latin-1")
    assert only_layer(read_source(path, encoding="utf-8")).features[0].error is None


# --- KML ---------------------------------------------------------------------------

KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
<Document>
  <Folder><name>hazards</name>
    <Placemark><name>HA-1</name><description>north field</description>
      <Polygon><outerBoundaryIs><LinearRing><coordinates>
        13.29,42.77,0 13.30,42.77,0 13.30,42.78,0 13.29,42.78,0 13.29,42.77,0
      </coordinates></LinearRing></outerBoundaryIs></Polygon>
    </Placemark>
    <Placemark><name>EO-7</name><Point><coordinates>13.295,42.775</coordinates></Point></Placemark>
  </Folder>
</Document>
</kml>
"""


def test_kml_is_read_in_lonlat(tmp_path: Path) -> None:
    path = tmp_path / "survey.kml"
    path.write_text(KML, encoding="utf-8")
    assert list_layers(path) == ["hazards"]
    source = read_source(path, id_field="name")
    assert source.format == "kml"
    layer = only_layer(source)
    assert layer.crs == "EPSG:4326" and errors(layer) == {}
    area, item = layer.features
    assert (area.fid, area.properties["description"]) == ("HA-1", "north field")
    assert area.geometry is not None
    assert shapely.equals(shapely.force_2d(area.geometry), Polygon(SQUARE))
    assert item.geometry == Point(13.295, 42.775)


# --- CSV ---------------------------------------------------------------------------


def test_csv_with_lon_lat_columns_gives_points_with_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "\ufeffevent,Lon,Lat,note\n"
        "E1,13.29,42.77,first\n"
        '"E2",13.30,42.78,"two\nlines"\n'
        "\n"
        "E3,13.31,42.79,\n",
        encoding="utf-8",
    )
    source = read_source(path, id_field="event")
    assert source.format == "csv"
    layer = only_layer(source)
    assert (layer.name, layer.crs, layer.geometry_type) == ("events", "EPSG:4326", "Point")
    assert errors(layer) == {}
    assert [(f.index, f.line, f.fid) for f in layer.features] == [
        (0, 2, "E1"),
        (1, 3, "E2"),
        (2, 6, "E3"),
    ]
    assert layer.features[1].properties == {
        "event": "E2",
        "Lon": "13.30",
        "Lat": "42.78",
        "note": "two\nlines",
    }
    assert layer.features[2].geometry == Point(13.31, 42.79)


def test_csv_bad_coordinate_cells_and_ragged_rows_are_feature_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "id;longitude;latitude;remark\n"
        "1;13,29;42.77;x\n"
        "2;;42.77;x\n"
        "3;nan;42.77;x\n"
        "4;13.29;42.77\n"
        "5;13.29;42.77;x;extra\n"
        "6;213.29;42.77;x\n"
        "7;13.29;42.77;x\n",
        encoding="utf-8",
    )
    layer = only_layer(read_source(path))
    assert errors(layer) == {
        0: "line 2: column 'longitude' value '13,29' is not a number (a decimal comma? "
        "write a point)",
        1: "line 3: column 'longitude' is empty",
        2: "line 4: column 'longitude' value 'nan' is not a finite number",
        3: "line 5 has 3 cells, the header 4",
        4: "line 6 has 5 cells, the header 4",
        5: "geometry: coordinate (213.29, 42.77) is outside longitude -180..180 / latitude "
        '-90..90 (if these are projected coordinates, pass their crs=, e.g. crs="EPSG:32633")',
    }
    assert layer.features[4].properties == {
        "id": "5",
        "longitude": "13.29",
        "latitude": "42.77",
        "remark": "x",
        "column 5": "extra",
    }
    assert layer.features[6].geometry == Point(13.29, 42.77)


def test_csv_with_wkt_column(tmp_path: Path) -> None:
    path = tmp_path / "areas.csv"
    path.write_text(
        "code,shape\n"
        f'A,"{Polygon(SQUARE).wkt}"\n'
        'B,"POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))"\n'
        "C,POLYGON ((0 0\n"
        "D,\n",
        encoding="utf-8",
    )
    layer = only_layer(read_source(path, wkt_field="shape", id_field="code"))
    assert layer.features[0].geometry == Polygon(SQUARE)
    found = errors(layer)
    assert found[1] == "geometry: invalid polygon: Self-intersection[0.5 0.5]"
    assert found[2].startswith("geometry: line 4: column 'shape' is not WKT: ")
    assert found[3] == "line 5: column 'shape' is empty"
    assert set(found) == {1, 2, 3}


def test_csv_projected_columns_use_the_crs_argument(tmp_path: Path) -> None:
    east, north = TO_UTM33.transform(13.29, 42.77)
    path = tmp_path / "utm.csv"
    path.write_text(f"name,Easting,Northing\nbm,{east},{north}\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"easting/northing columns, which need their CRS"):
        read_source(path)
    layer = only_layer(read_source(path, crs="EPSG:32633"))
    assert layer.crs == "EPSG:32633"
    [f] = layer.features
    assert f.geometry is not None and (f.geometry.x, f.geometry.y) == pytest.approx((13.29, 42.77))
    named = tmp_path / "named.csv"
    named.write_text(f"E,N\n{east},{north}\n", encoding="utf-8")
    [g] = only_layer(read_source(named, x_field="E", y_field="N", crs="EPSG:32633")).features
    assert g.geometry is not None and g.geometry.equals_exact(f.geometry, 1e-12)


def test_csv_without_geometry_columns_is_refused_listing_the_header(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("name,district\nA,North\n", encoding="utf-8")
    with pytest.raises(
        SourceError, match=r"no geometry columns found in the header \(name, district\)"
    ):
        read_source(path)
    with pytest.raises(SourceError, match=r"x_field 'lon' is not a field of plain\.csv"):
        read_source(path, x_field="lon", y_field="lat")


def test_csv_with_several_sets_of_coordinate_columns_asks_which_to_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "both.csv"
    path.write_text("lon,lat,easting,northing\n13.29,42.77,356000,4737000\n", "utf-8")
    with pytest.raises(SourceError, match=r"several sets of geometry columns \(lon/lat, easting"):
        read_source(path)
    [f] = only_layer(read_source(path, x_field="lon", y_field="lat")).features
    assert f.geometry == Point(13.29, 42.77)
    lonlat = tmp_path / "lonlat.csv"
    lonlat.write_text("lon,lat\n13.29,42.77\n", "utf-8")
    with pytest.raises(SourceError, match="hold longitude/latitude, but crs='EPSG:32633'"):
        read_source(lonlat, crs="EPSG:32633")


def test_latin1_csv_needs_encoding_and_then_reads(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("nombre,lon,lat\nVereda El Peñón,-75.5,6.2\n".encode("latin-1"))
    with pytest.raises(SourceError, match=r"not valid UTF-8: byte\(s\) f1 at line 2, column 13"):
        read_source(path)
    [f] = only_layer(read_source(path, encoding="latin-1")).features
    assert f.properties["nombre"] == "Vereda El Peñón" and f.geometry == Point(-75.5, 6.2)


FIELD_CSV = """polygon_id,point_type,seq,coord_system,x,y,bearing_deg,distance_m,team,remarks
HA-1,benchmark,0,lonlat,13.29,42.77,,,Team 2,stake by the oak
HA-1,turning_point,1,traverse,,,0,50,Team 2,
HA-1,turning_point,2,traverse,,,90,100,Team 2,
HA-1,turning_point,3,traverse,,,0,100,Team 2,
HA-1,turning_point,4,traverse,,,270,100,Team 2,
HA-1,closing_point,5,traverse,,,180,100,Team 2,
HA-2,turning_point,1,lonlat,13.31,42.77,,,Team 3,
HA-2,turning_point,2,lonlat,13.32,42.77,,,Team 3,
HA-3,turning_point,1,lonlat,13.33,42.77,,,Team 3,
HA-3,turning_point,2,lonlat,13.34,42.77,,,Team 3,
HA-3,turning_point,3,lonlat,13.34,42.78,,,Team 3,
"""


def test_field_coordinates_csv_gives_one_feature_per_polygon(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text(FIELD_CSV, encoding="utf-8")
    source = read_source(path)
    assert source.format == "field-csv"
    layer = only_layer(source)
    assert layer.crs == "EPSG:4326" and layer.geometry_type == "Polygon"
    first, bad, third = layer.features
    assert (first.index, first.line, first.fid, first.error) == (0, 2, "HA-1", None)
    assert first.properties == {
        "polygon_id": "HA-1",
        "team": "Team 2",
        "remarks": "stake by the oak",
    }
    assert first.geometry is not None and first.geometry.area > 0
    assert (bad.index, bad.line, bad.fid, bad.geometry) == (1, 8, "HA-2", None)
    assert bad.error == (
        "polygon 'HA-2' (rows 8, 9): only 2 distinct turning point(s); a polygon needs at least 3"
    )
    assert (third.line, third.fid, third.error) == (10, "HA-3", None)


def test_field_coordinates_rows_are_file_lines_even_with_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    lines = FIELD_CSV.splitlines(keepends=True)
    path.write_text("".join([*lines[:7], "\n", *lines[7:]]), encoding="utf-8")
    bad = only_layer(read_source(path)).features[1]
    assert bad.line == 9
    assert bad.error is not None and bad.error.startswith("polygon 'HA-2' (lines 9, 10): ")


# --- real data ---------------------------------------------------------------------


def test_copernicus_ems_package_reads_1300_buildings_in_utm_33n() -> None:
    if not COPERNICUS.exists():
        pytest.skip(f"../shared/data not present: {COPERNICUS}")
    source = read_source(COPERNICUS, layers=["settlements_poly_grading"])
    assert source.format == "zip"
    layer = only_layer(source)
    assert layer.name == "EMSR190_12ARQUATA_02GRADING_v1_13000_settlements_poly_grading"
    assert layer.crs == "EPSG:32633" and layer.geometry_type == "Polygon"
    assert len(layer.features) == 1300
    assert errors(layer) == {}
    geometries = [f.geometry for f in layer.features]
    centroid = shapely.union_all(geometries).centroid
    assert (centroid.x, centroid.y) == pytest.approx((13.29, 42.77), abs=0.02)
    grades = {f.properties["grading"] for f in layer.features}
    assert "Completely Destroyed" in grades and "Not Affected" in grades
    assert layer.features[0].properties["src_date"] == "2016-03-01"
