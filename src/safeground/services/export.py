"""Export the register's layers to GeoPackage, GeoJSON or CSV, through GDAL (pyogrio).

Personal data (victims) is written only when ``include_personal`` is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw

from safeground.store.base import LAYERS, PERSONAL_LAYERS, Layer, Store, StoreError
from safeground.store.tables import TABLES


class Format(StrEnum):
    GPKG = "gpkg"
    GEOJSON = "geojson"
    CSV = "csv"


_DRIVERS = {Format.GPKG: "GPKG", Format.GEOJSON: "GeoJSON", Format.CSV: "CSV"}


@dataclass(frozen=True)
class Written:
    layer: str
    path: Path
    features: int


def export(
    store: Store,
    out: Path,
    fmt: Format = Format.GPKG,
    *,
    layers: Sequence[str] | None = None,
    include_personal: bool = False,
    on_layer: Callable[[str], object] | None = None,
) -> list[Written]:
    """Write ``layers`` (default: all non-personal layers) to ``out``.

    GeoPackage: ``out`` is one file holding every layer. GeoJSON and CSV: ``out`` is a
    folder with one file per layer. Existing files are not overwritten (StoreError).
    ``on_layer`` is told each layer's name before it is written (for progress bars).
    """
    names = list(layers) if layers else list(LAYERS)
    if include_personal and not layers:
        names += PERSONAL_LAYERS
    for name in names:
        if name in PERSONAL_LAYERS and not include_personal:
            raise StoreError(f"layer {name!r} holds personal data: ask for it explicitly")
    if fmt is Format.GPKG:
        if out.exists():
            raise StoreError(f"{out} exists already; refusing to overwrite it")
        out.parent.mkdir(parents=True, exist_ok=True)
    else:
        out.mkdir(parents=True, exist_ok=True)
    written: list[Written] = []
    for name in names:
        if on_layer is not None:
            on_layer(name)
        layer = store.layer(name)
        path = out if fmt is Format.GPKG else out / f"{name}.{fmt.value}"
        if fmt is not Format.GPKG and path.exists():
            raise StoreError(f"{path} exists already; refusing to overwrite it")
        _write(layer, path, fmt, append=fmt is Format.GPKG and bool(written))
        written.append(Written(name, path, len(layer.rows)))
    return written


def _column(values: list[Any], sql_type: str) -> tuple[np.ndarray, np.ndarray]:
    mask = np.array([v is None for v in values], dtype=bool)
    if sql_type == "REAL":
        return np.array([np.nan if v is None else v for v in values], dtype="float64"), mask
    if sql_type == "INTEGER":
        return np.array([0 if v is None else v for v in values], dtype="int64"), mask
    return np.array(["" if v is None else str(v) for v in values], dtype=object), mask


def _write(layer: Layer, path: Path, fmt: Format, *, append: bool) -> None:
    types = dict(TABLES[layer.name].columns)
    data, masks = [], []
    for i, column in enumerate(layer.columns):
        values, mask = _column([row[i] for row in layer.rows], types[column])
        data.append(values)
        masks.append(mask)
    options: dict[str, Any] = {}
    if fmt is Format.CSV and layer.geometry_type:
        options["layer_options"] = {"GEOMETRY": "AS_WKT"}
    geometry = None
    if layer.geometries is not None:
        geometry = np.array(layer.geometries, dtype=object)
    pyogrio.raw.write(
        str(path),
        geometry,
        data,
        list(layer.columns),
        field_mask=masks,
        layer=layer.name,
        driver=_DRIVERS[fmt],
        geometry_type=_geometry_type(layer.geometry_type),
        crs="EPSG:4326" if layer.geometry_type else None,
        append=append,
        **options,
    )


def _geometry_type(name: str | None) -> str | None:
    return {
        None: None,
        "MULTIPOLYGON": "MultiPolygon",
        "POINT": "Point",
        "GEOMETRY": "Unknown",
    }[name]
