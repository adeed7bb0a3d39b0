"""The cyclic collector is held back during bulk work, and always restored."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from safeground.gc_pause import no_gc_pauses
from safeground.importing.mapping import ImportKind
from safeground.services.importing import import_file
from safeground.store.sqlite import SQLiteStore


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after_even_on_error() -> None:
    with no_gc_pauses():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), no_gc_pauses():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_nested_and_overlapping_uses_leave_the_collector_on() -> None:
    outer, inner = no_gc_pauses(), no_gc_pauses()
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)  # the outer use ends first (another thread, say)
    assert gc.isenabled()
    inner.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with no_gc_pauses():
        pass
    assert not gc.isenabled()


def test_an_import_runs_without_collector_pauses_and_restores_it(
    store: SQLiteStore, tmp_path: Path
) -> None:
    ring = [[30.5, 50.4], [30.501, 50.4], [30.501, 50.401], [30.5, 50.401], [30.5, 50.4]]
    path = tmp_path / "one.geojson"
    feature = {"type": "Feature", "properties": {"name": "a"}, "geometry": None}
    feature["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    during: list[bool] = []
    summary = import_file(
        store,
        path,
        ImportKind.HAZARD_AREAS,
        user="importer",
        progress=lambda done, total: during.append(gc.isenabled()),
    )
    assert summary.imported == 1
    assert during == [False]
    assert gc.isenabled()
