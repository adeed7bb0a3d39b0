"""The PDF report read back as text (pdftotext): the land-release tables are there, row
by row, with the numbers of ``safeground summary --json``; no victim's name."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.reports.shared import VICTIM_NAME, Example
from tests.reports.summary_json import expected_cells, summary_json
from tests.tools import require_tool


def pdf_text(path: Path) -> str:
    pdftotext = require_tool("pdftotext")
    return subprocess.run(
        [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize(
    ("title", "by"),
    [
        ("Hazardous areas and land released by admin unit", "admin"),
        ("Land released by year", "year"),
        ("Land released by method", "method"),
    ],
)
def test_pdf_land_release_table_holds_the_summary_numbers_row_by_row(
    example_report: Example, title: str, by: str
) -> None:
    text = pdf_text(example_report.report.pdf)
    assert title in text
    table = text[text.index(title) :]
    for row in summary_json(example_report.db, by):
        printed = [shown for shown, _ in expected_cells(row, by)]
        line = next(
            (ln for ln in table.splitlines() if ln.split()[:1] == printed[0].split()[:1]), None
        )
        assert line is not None, f"no row {printed[0]!r} under {title!r}"
        # the row's numbers in the order of the summary's columns
        assert line.split()[-len(printed[1:]) :] == printed[1:], line


def test_pdf_holds_every_section_and_no_victim_name(example_report: Example) -> None:
    for written in (example_report.report, example_report.public):
        text = pdf_text(written.pdf)
        for heading in (
            "Land release (the layout of Article 7 reports)",
            "Explosive ordnance and accidents",
            "Data quality: the geometry checks",
        ):
            assert heading in text
        assert VICTIM_NAME not in text
    assert "Public edition" in pdf_text(example_report.public.pdf)
