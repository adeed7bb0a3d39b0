"""Crash safety: a writer killed with SIGKILL mid-batch leaves a sound database in which
each report is there whole or not at all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from safeground.domain.model import ReportStatus
from safeground.services import register
from safeground.store.sqlite import SQLiteStore

WRITER = """
import sys
from datetime import date
from safeground.geometry import rectangle, to_geojson
from safeground.services.workflow import Workflow
from safeground.store.sqlite import SQLiteStore

store = SQLiteStore(sys.argv[1])
wf = Workflow(store)
for i in range(100_000):
    geom = rectangle(30 + (i % 300) * 0.01, 50 + (i // 300) * 0.01, 80, 60)
    with store.transaction():  # one report: drafted, submitted and approved together
        r = wf.draft("area.register", author="a", payload={"geometry": to_geojson(geom)},
                     report_date=date(2025, 1, 1))
        wf.submit(r.id, user="a")
        wf.approve(r.id, user="b")
    if i == 20:
        print("running", flush=True)
"""


def test_killed_writer_leaves_whole_reports_only(tmp_path: Path) -> None:
    db = tmp_path / "crash.gpkg"
    SQLiteStore.create(db).close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"running"
    time.sleep(1.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    with SQLiteStore(db) as store:
        assert store.integrity_check() == "ok"
        reports = store.reports()
        assert len(reports) > 20
        # each report is whole: approved with its projection row, nothing half-way
        assert {r.status for r in reports} == {ReportStatus.APPROVED}
        assert len(store.area_rows()) == len(reports)
        assert list(register.verify(store)) == []
        # the spatial index holds exactly the stored areas
        conn = store._conn
        n_index = conn.execute("SELECT count(*) FROM rtree_hazard_areas_geom").fetchone()[0]
        assert n_index == len(reports)
