"""The report's map drawn with matplotlib, for the PDF: the same layers and colours as the
interactive map, over the same Natural Earth outlines, in longitude and latitude with the
aspect of the map's middle latitude."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from safeground.reports.document import Document

SEA = "#cfe3ef"
LAND = "#f4f1ea"


def _parts(geom: BaseGeometry, kind: str) -> Iterable[Any]:
    """The parts of ``geom`` of geometry type ``kind``, through multi-parts and collections."""
    if geom.geom_type == kind:
        yield geom
    elif hasattr(geom, "geoms"):
        for part in geom.geoms:
            yield from _parts(part, kind)


def _patch(polygon: Any, **style: Any) -> PathPatch:
    rings = [polygon.exterior, *polygon.interiors]
    path = MplPath.make_compound_path(
        *(MplPath(np.asarray(r.coords)[:, :2], closed=True) for r in rings)
    )
    return PathPatch(path, **style)


def _draw(ax: Any, feature: Mapping[str, Any], colour: str, faded: bool = False) -> None:
    geom = shape(feature["geometry"])
    alpha = 0.15 if faded else 0.6
    for polygon in _parts(geom, "Polygon"):
        ax.add_patch(
            _patch(polygon, facecolor=colour, edgecolor=colour, alpha=alpha, linewidth=0.6)
        )
    for line in _parts(geom, "LineString"):
        x, y = np.asarray(line.coords)[:, 0], np.asarray(line.coords)[:, 1]
        ax.plot(x, y, color=colour, alpha=0.4 if faded else 0.9, linewidth=1.5)
    if geom.geom_type in ("Point", "MultiPoint"):
        points = [geom] if geom.geom_type == "Point" else list(getattr(geom, "geoms", []))
        size = float(feature["properties"].get("radius", 4)) ** 2 * 2
        ax.scatter(
            [p.x for p in points],
            [p.y for p in points],
            s=size,
            color=colour,
            alpha=0.3 if faded else 0.8,
            edgecolors="black",
            linewidths=0.4,
            zorder=3,
        )


def map_figure(document: Document, *, title: str = "Map", notes: Sequence[str] = ()) -> Figure:
    """The document's layers on its outlines, framed on its bounds; ``notes`` printed
    under the map."""
    fig = Figure(figsize=(8.27, 11.69), dpi=100)
    ax = fig.add_axes((0.1, 0.3, 0.85, 0.62))
    if notes:
        fig.text(0.07, 0.08, "\n".join(textwrap.fill(n, 100) for n in notes), fontsize=8, va="top")
    ax.set_facecolor(SEA)
    if document.basemap:
        for feature in document.basemap.get("features", []):
            for polygon in _parts(shape(feature["geometry"]), "Polygon"):
                ax.add_patch(_patch(polygon, facecolor=LAND, edgecolor="#7a7a7a", linewidth=0.6))
    handles = []
    for layer in document.layers:
        for feature in layer.features:
            colour = layer.legend.get(feature["properties"].get("style"), "#555555")
            _draw(ax, feature, colour, bool(feature["properties"].get("faded")))
        handles += [
            Patch(color=c, label=f"{layer.title}: {label.replace('_', ' ')}")
            for label, c in layer.legend.items()
        ]
    if document.bounds:
        w, s, e, n = document.bounds
        ax.set_xlim(w, e)
        ax.set_ylim(s, n)
        ax.set_aspect(1 / math.cos(math.radians((s + n) / 2)))
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.set_title(title)
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(0, -0.07), ncol=2, fontsize="x-small"
    )
    ax.text(0.99, 0.01, "Outlines: Natural Earth", transform=ax.transAxes, ha="right", fontsize=6)
    return fig
