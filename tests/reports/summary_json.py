"""What ``safeground summary --json`` prints, read through the command itself, and the
check that a report table holds those numbers."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from safeground.cli import app

#: Report table -> the ``--by`` of the summary it must equal.
RELEASE_TABLES = {
    "release-total": "total",
    "release-by-year": "year",
    "release-by-admin": "admin",
    "release-by-method": "method",
}
STOCK = ("areas", "open_areas", "hazard_m2")
RELEASED = ("cancelled_m2", "reduced_m2", "cleared_m2", "released_m2")


def summary_json(db: Path, by: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(app, ["summary", "--json", "--by", by, "--db", str(db)])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.output)
    return rows


def expected_cells(row: dict[str, Any], by: str) -> list[tuple[str, float | None]]:
    """The cells a report row must hold for one summary row: (printed text, value)."""
    fields = [*STOCK, *RELEASED, "remaining_m2"] if by in ("total", "admin") else list(RELEASED)
    return [(row["key"] or "(no date)", None)] + [
        (f"{row[f]:,.0f}" if isinstance(row[f], float) else f"{row[f]:,}", float(row[f]))
        for f in fields
    ]


def assert_table_equals_summary(
    rows: Sequence[Sequence[tuple[str, float | None]]], db: Path, by: str
) -> None:
    """``rows`` of (text, value) cells hold exactly the summary's rows, in its order."""
    summary = summary_json(db, by)
    assert summary, f"the summary by {by} is empty: the test would prove nothing"
    assert len(rows) == len(summary)
    for got, row in zip(rows, summary, strict=True):
        want = expected_cells(row, by)
        assert [text for text, _ in got] == [text for text, _ in want]
        for (_, value), (_, expected) in zip(got[1:], want[1:], strict=True):
            assert value is not None and expected is not None
            assert math.isclose(value, expected, rel_tol=1e-12, abs_tol=1e-9)
