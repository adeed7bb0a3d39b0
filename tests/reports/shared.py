"""Shared by the report tests: the example story's register (three areas, a victim with a
name, finds, assets) and its report, full and public."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from safeground.services import example, reporting
from safeground.store.sqlite import SQLiteStore

#: The victim the example story records (services/example.py): no report may show them.
VICTIM_NAME = "A. Farmer"


@dataclass(frozen=True)
class Example:
    db: Path
    report: reporting.Written
    public: reporting.Written


_WRITTEN: dict[Path, Example] = {}


def write_example(tmp_path_factory: pytest.TempPathFactory) -> Example:
    """The example story recorded in a temporary example.gpkg and its reports written
    (once per test session: the files are only read)."""
    base = tmp_path_factory.getbasetemp()
    if base in _WRITTEN:
        return _WRITTEN[base]
    folder = tmp_path_factory.mktemp("report")
    db = folder / "example.gpkg"
    with SQLiteStore.create(db) as store:
        example.run(store)
        written = reporting.write(store, folder / "out", forecast_note="not asked for")
        public = reporting.write(store, folder / "out", public=True)
    _WRITTEN[base] = Example(db, written, public)
    return _WRITTEN[base]
