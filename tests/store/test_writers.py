"""Writers of one SQLite file in one process queue on a lock, not on SQLite's busy wait."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from safeground.store.sqlite import SQLiteStore


def test_a_second_writer_in_the_process_waits_for_the_first_to_commit(tmp_path: Path) -> None:
    db = tmp_path / "w.gpkg"
    SQLiteStore.create(db).close()
    first, second = SQLiteStore(db), SQLiteStore(db)
    # SQLite's own wait would give up after 50 ms and raise "database is locked"; the
    # first writer holds the file for 400 ms
    second._conn.execute("PRAGMA busy_timeout = 50")
    began = threading.Event()
    order: list[str] = []

    def hold() -> None:
        with first.transaction():
            began.set()
            time.sleep(0.4)
            order.append("first committed")

    holder = threading.Thread(target=hold)
    holder.start()
    began.wait(5)
    with second.transaction():  # raises without the lock
        order.append("second began")
    holder.join()
    assert order == ["first committed", "second began"]
    # the lock is re-entrant for the nested units of work of one store
    with second.transaction(), second.transaction():
        pass
    first.close()
    second.close()
