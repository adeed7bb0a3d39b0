"""A :class:`~safeground.reports.document.Document` as a PDF, with matplotlib alone.

Pages of A4: the title and notes; then each section's text and tables (long tables run
over several pages), its static map (:mod:`.maps`) and its charts as vector drawings.
Fonts are embedded as TrueType (``pdf.fonttype`` 42), so ``pdftotext`` and other
extractors read the numbers back as they are printed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from safeground.reports.document import Document, Section, Table
from safeground.reports.maps import map_figure

A4 = (8.27, 11.69)
ROWS_PER_PAGE = 32
WRAP = 95


def _page() -> tuple[Figure, float]:
    return Figure(figsize=A4, dpi=100), 0.95


def _wrapped(paragraph: str, width: int = WRAP) -> list[str]:
    return textwrap.wrap(paragraph, width) or [""]


def _text_page(pdf: PdfPages, title: str, paragraphs: list[str], size: float = 10) -> None:
    fig, y = _page()
    fig.text(0.07, y, title, fontsize=16, weight="bold", va="top")
    y -= 0.05
    for p in paragraphs:
        for line in _wrapped(p):
            fig.text(0.07, y, line, fontsize=size, va="top")
            y -= 0.018
        y -= 0.01
    pdf.savefig(fig)  # type: ignore[no-untyped-call]


def _table_pages(pdf: PdfPages, section: Section, table: Table, intro: list[str]) -> None:
    """``table`` over as many pages as it takes; ``intro`` (the section's text) above it
    on the first page."""
    rows = [[shown for shown, _ in row] for row in table.rows] or [
        ["none recorded", *[""] * (len(table.columns) - 1)]
    ]
    chunks = [rows[i : i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)]
    for n, chunk in enumerate(chunks):
        fig, y = _page()
        more = f" (page {n + 1} of {len(chunks)})" if len(chunks) > 1 else ""
        fig.text(0.05, y, section.title, fontsize=9, color="#555", va="top")
        y -= 0.025
        if n == 0:
            for line in (ln for p in intro for ln in _wrapped(p)):
                fig.text(0.05, y, line, fontsize=9, va="top")
                y -= 0.016
            y -= 0.01 if intro else 0
        fig.text(0.05, y, table.title + more, fontsize=13, weight="bold", va="top")
        ax = fig.add_axes((0.03, 0.05, 0.94, y - 0.07))
        ax.axis("off")
        header = [textwrap.fill(c, 14) for c in table.columns]
        cells = [[textwrap.fill(c, 60) if len(c) > 60 else c for c in r] for r in chunk]
        drawn = ax.table(cellText=cells, colLabels=header, loc="upper center", cellLoc="right")
        drawn.auto_set_font_size(False)
        drawn.set_fontsize(7 if len(table.columns) > 6 else 8)
        drawn.auto_set_column_width(list(range(len(table.columns))))
        for (r, _), cell in drawn.get_celld().items():
            if r == 0:
                cell.set_height(0.05)
                cell.set_facecolor("#eeeeee")
                cell.set_text_props(weight="bold", ha="center")
            else:
                cell.set_height(0.024)
        if table.note and n == len(chunks) - 1:
            fig.text(0.05, 0.03, table.note, fontsize=8, color="#555")
        pdf.savefig(fig)  # type: ignore[no-untyped-call]


def render(document: Document, path: Path) -> Path:
    """Write ``document`` to ``path`` as a PDF; returns ``path``."""
    with (
        matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}),
        PdfPages(path, metadata={"Title": document.title}) as pdf,
    ):
        contents = [f"{i + 1}. {s.title}" for i, s in enumerate(document.sections)]
        _text_page(
            pdf,
            document.title,
            [
                f"Generated {document.generated.isoformat()} by safeground.",
                *document.notes,
                "Contents:",
                *contents,
            ],
        )
        for section in document.sections:
            intro = list(section.paragraphs)
            if section.map:
                page = map_figure(document, title=section.title, notes=intro)
                pdf.savefig(page)
                intro = []
            elif intro and not section.tables:
                _text_page(pdf, section.title, intro)
            for table in section.tables:
                _table_pages(pdf, section, table, intro)
                intro = []
            for chart in section.charts:
                pdf.savefig(chart.draw())
    return path
