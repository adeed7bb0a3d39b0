"""What a report holds, before it is drawn: sections of text, tables and charts, and the
map's layers as GeoJSON.

The service (:mod:`safeground.services.reporting`) fills a :class:`Document` from the
register; :mod:`.html` and :mod:`.pdf` draw the same document, so the two files cannot
say different things. Tables keep each number beside its printed text, so a test (or a
reader's script) can compare the exact value with ``safeground summary --json``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from matplotlib.figure import Figure

#: A cell: its printed text, and the number it stands for (None for text).
Cell = tuple[str, float | None]


def text(value: object) -> Cell:
    return (str(value), None)


def m2(value: float | None) -> Cell:
    """Square metres, printed whole with thousands separators; the exact value kept."""
    return ("" if value is None else f"{value:,.0f}", None if value is None else float(value))


def count(value: int | None) -> Cell:
    return ("" if value is None else f"{value:,}", None if value is None else float(value))


def days(value: float | None) -> Cell:
    return ("-" if value is None else f"{value:,.0f}", None if value is None else float(value))


@dataclass(frozen=True)
class Table:
    """A table; ``key`` names it for tests and scripts (``data-table`` in the HTML)."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.key}: a row of {len(row)} cells, not {self.columns}")


@dataclass(frozen=True)
class Chart:
    """A chart, drawn on demand (each renderer draws its own copy: PNG or vector PDF)."""

    key: str
    caption: str
    draw: Callable[[], Figure]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    map: bool = False  # the interactive map (HTML) or the static map (PDF) goes here


@dataclass(frozen=True)
class MapLayer:
    """One map layer: GeoJSON features in WGS84 with a ``style`` property each (a legend
    key of ``legend``: label -> colour)."""

    key: str
    title: str
    features: Sequence[Mapping[str, Any]]
    legend: Mapping[str, str]


@dataclass(frozen=True)
class Document:
    title: str
    generated: date
    public: bool
    sections: tuple[Section, ...]
    layers: tuple[MapLayer, ...] = ()
    basemap: Mapping[str, Any] | None = None  # GeoJSON outlines under the layers
    bounds: tuple[float, float, float, float] | None = None  # west, south, east, north
    notes: tuple[str, ...] = field(default=())  # printed under the title

    def table(self, key: str) -> Table:
        """The table called ``key``; KeyError if there is none."""
        for section in self.sections:
            for t in section.tables:
                if t.key == key:
                    return t
        raise KeyError(key)
