"""A :class:`~safeground.reports.document.Document` as a PDF, with matplotlib alone.

A4 pages: the title and notes, then each section's heading, text and tables flowing down
the page (a long table runs on over the next pages, its header repeated), its static map
(:mod:`.maps`) and its charts, each on a page of its own as a vector drawing. Fonts are
embedded as TrueType (``pdf.fonttype`` 42), so ``pdftotext`` and other extractors read
the numbers back as they are printed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from safeground.reports.document import Document, Table
from safeground.reports.maps import map_figure

A4 = (8.27, 11.69)
TOP, BOTTOM, LEFT = 0.95, 0.05, 0.06
LINE = 0.016  # a line of 9 pt text, in fractions of the page's height
ROW = 0.018  # a table row
HEADER = 0.042  # a table header (up to three lines)
WRAP = 100


class _Flow:
    """Text and tables laid down a page, a new page when the next one does not fit."""

    def __init__(self, pdf: PdfPages) -> None:
        self.pdf = pdf
        self.fig: Figure | None = None
        self.y = TOP

    def page(self) -> Figure:
        self.flush()
        self.fig, self.y = Figure(figsize=A4, dpi=100), TOP
        return self.fig

    def room(self, height: float) -> Figure:
        if self.fig is None or self.y - height < BOTTOM:
            return self.page()
        return self.fig

    def flush(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)  # type: ignore[no-untyped-call]
            self.fig = None

    def figure(self, fig: Figure) -> None:
        """A whole page of its own (a map, a chart)."""
        self.flush()
        self.pdf.savefig(fig)  # type: ignore[no-untyped-call]

    def line(self, text: str, size: float = 9, **style: object) -> None:
        height = LINE * size / 9
        fig = self.room(height * 1.3)
        fig.text(LEFT, self.y, text, fontsize=size, va="top", **style)  # type: ignore[arg-type]
        self.y -= height * 1.3

    def paragraph(self, text: str, size: float = 9, **style: object) -> None:
        for line in textwrap.wrap(text, WRAP) or [""]:
            self.line(line, size, **style)
        self.y -= LINE * 0.4

    def table(self, table: Table) -> None:
        rows = [[shown for shown, _ in row] for row in table.rows] or [
            ["none recorded", *[""] * (len(table.columns) - 1)]
        ]
        first = True
        while rows:
            fig = self.room(LINE * 2 + HEADER + ROW * min(len(rows), 3))
            fits = max(1, int((self.y - BOTTOM - LINE * 2 - HEADER) / ROW))
            chunk, rows = rows[:fits], rows[fits:]
            title = table.title if first else f"{table.title} (continued)"
            self.line(title, 10, weight="bold")
            height = HEADER + ROW * len(chunk)
            ax = fig.add_axes((0.03, self.y - height, 0.94, height))
            ax.axis("off")
            header = [textwrap.fill(c, 14) for c in table.columns]
            cells = [[c if len(c) <= 70 else c[:67] + "..." for c in r] for r in chunk]
            drawn = ax.table(cellText=cells, colLabels=header, loc="upper center", cellLoc="right")
            drawn.auto_set_font_size(False)
            drawn.set_fontsize(6.5 if len(table.columns) > 6 else 7.5)
            drawn.auto_set_column_width(list(range(len(table.columns))))
            for (r, _), cell in drawn.get_celld().items():
                if r == 0:
                    cell.set_height(HEADER / height)
                    cell.set_facecolor("#eeeeee")
                    cell.set_text_props(weight="bold", ha="center")
                else:
                    cell.set_height(ROW / height)
            self.y -= height + LINE * 0.5
            first = False
            if rows:
                self.page()
        if table.note:
            self.paragraph(table.note, 8, color="#555555")
        self.y -= LINE


def render(document: Document, path: Path) -> Path:
    """Write ``document`` to ``path`` as a PDF; returns ``path``."""
    rc = matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"})
    with rc, PdfPages(path, metadata={"Title": document.title}) as pdf:
        flow = _Flow(pdf)
        flow.line(document.title, 18, weight="bold")
        flow.paragraph(f"Generated {document.generated.isoformat()} by safeground.")
        for note in document.notes:
            flow.paragraph(note)
        flow.line("Contents", 11, weight="bold")
        for i, s in enumerate(document.sections):
            flow.line(f"{i + 1}. {s.title}")
        for i, section in enumerate(document.sections):
            if section.map:
                flow.figure(
                    map_figure(
                        document, title=f"{i + 1}. {section.title}", notes=section.paragraphs
                    )
                )
                continue
            flow.room(0.2)
            flow.y -= LINE
            flow.line(f"{i + 1}. {section.title}", 14, weight="bold")
            for p in section.paragraphs:
                flow.paragraph(p)
            for table in section.tables:
                flow.table(table)
            for chart in section.charts:
                flow.figure(chart.draw())
        flow.flush()
    return path
