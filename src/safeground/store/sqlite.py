"""The embedded store: one SQLite file that is a valid OGC GeoPackage.

SQLite discipline: WAL journal, one writer with ``BEGIN IMMEDIATE``, every unit of work
one transaction, ordered named migrations recorded in a table. Writers in one process (the
server's pooled connections) queue on a lock per database file before ``BEGIN IMMEDIATE``:
SQLite's own wait for a busy file sleeps in steps of up to 100 ms, which made the slowest
of concurrent submissions wait hundreds of milliseconds; a queued thread starts as soon as
the writer before it commits. Other processes still wait through ``busy_timeout``.

Map layers (hazard areas, released land, finds, accidents, assets) are GeoPackage feature
tables with R-tree indexes, so QGIS and GDAL open the file as it is. Personal data
(victims, and the personal part of reports) lives in tables that are not registered as
GeoPackage contents, so GIS clients do not list them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from safeground.domain.model import (
    Record,
    RecordType,
    Report,
    ReportStatus,
    Victim,
)
from safeground.store import gpkg
from safeground.store.base import (
    Conflict,
    InvalidData,
    Layer,
    NewReport,
    NotFound,
    Store,
    StoreError,
)
from safeground.store.sql import SQLITE_0004, SharedSQL, payload_text
from safeground.store.tables import (
    RECORD_TABLES,
    TABLES,
    Row,
    Table,
    record_key,
    rows_of,
    victim_rows,
)


def _table_ddl(table: Table) -> str:
    cols = ["fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL"]
    if table.geometry_type:
        cols.append(f"geom {table.geometry_type}")
    cols += [f"{name} {type_}" for name, type_ in table.columns]
    if table.unique:
        cols.append(f"UNIQUE ({', '.join(table.unique)})")
    ddl = f"CREATE TABLE {table.name} (\n  " + ",\n  ".join(cols) + "\n);\n"
    ddl += f"CREATE INDEX {table.name}_{table.key} ON {table.name} ({table.key});\n"
    if table.personal:
        return ddl  # not registered: GIS clients do not list personal data
    if table.geometry_type:
        return ddl + gpkg.feature_table_sql(
            table.name, "geom", table.geometry_type, table.description
        )
    return ddl + gpkg.attribute_table_sql(table.name, table.description)


_REGISTER_SQL = """
CREATE TABLE reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  kind TEXT NOT NULL,
  record_type TEXT NOT NULL,
  record_id TEXT NOT NULL,
  report_date DATE NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
  author TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  submitted_by TEXT,
  submitted_at DATETIME,
  reviewed_by TEXT,
  reviewed_at DATETIME,
  review_note TEXT,
  supersedes INTEGER REFERENCES reports (id),
  superseded_by INTEGER REFERENCES reports (id)
);
CREATE INDEX reports_record ON reports (record_type, record_id);
CREATE INDEX reports_status ON reports (status);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description)
 VALUES ('reports', 'attributes', 'reports', 'Every dated report, draft to approved');
-- Approved reports are history: never edited, never deleted. A correction is a new
-- report that supersedes the old one.
CREATE TRIGGER reports_approved_immutable BEFORE UPDATE OF
  kind, record_type, record_id, report_date, payload, author, created_at, supersedes,
  reviewed_by, reviewed_at ON reports
WHEN OLD.status = 'approved'
BEGIN
  SELECT RAISE(ABORT, 'approved-report-immutable: an approved report cannot be changed');
END;
CREATE TRIGGER reports_approved_status_final BEFORE UPDATE OF status ON reports
WHEN OLD.status IN ('approved', 'rejected') AND NEW.status != OLD.status
BEGIN
  SELECT RAISE(ABORT, 'approved-report-immutable: a reviewed report keeps its status');
END;
CREATE TRIGGER reports_approved_undeletable BEFORE DELETE ON reports
WHEN OLD.status = 'approved'
BEGIN
  SELECT RAISE(ABORT, 'approved-report-immutable: an approved report cannot be deleted');
END;
CREATE TABLE report_personal (
  report_id INTEGER PRIMARY KEY NOT NULL REFERENCES reports (id),
  data TEXT NOT NULL
);
CREATE TABLE counters (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
"""

#: From this many feature rows on, an insert fills the R-tree in bulk (see _bulk_insert).
_BULK_ROWS = 256

_IMPORTS_SQL = """
CREATE TABLE imports (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  file TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  format TEXT NOT NULL,
  kind TEXT NOT NULL,
  dataset TEXT NOT NULL,
  layers TEXT NOT NULL,
  mapping TEXT NOT NULL,
  imported_by TEXT NOT NULL,
  approved_by TEXT NOT NULL,
  at DATETIME NOT NULL,
  read INTEGER NOT NULL,
  imported INTEGER NOT NULL,
  unchanged INTEGER NOT NULL,
  rejected INTEGER NOT NULL
);
-- Which source feature became which record: re-importing a file finds its features here.
CREATE TABLE source_features (
  source_key TEXT PRIMARY KEY NOT NULL,
  record_type TEXT NOT NULL,
  record_id TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  report_id INTEGER NOT NULL REFERENCES reports (id),
  import_id INTEGER NOT NULL REFERENCES imports (id)
);
CREATE INDEX source_features_record ON source_features (record_type, record_id);
"""

_FIRST_TABLES = (
    "hazard_areas",
    "land_release",
    "activities",
    "qa_records",
    "eo_items",
    "accidents",
    "assets",
    "organisations",
    "teams",
    "victims",
)

#: Applied in order, each once; a released migration is never edited, only followed.
MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("0001_geopackage_core", gpkg.CORE_SQL),
    ("0002_register", _REGISTER_SQL + "".join(_table_ddl(TABLES[t]) for t in _FIRST_TABLES)),
    ("0003_events_and_imports", _table_ddl(TABLES["events"]) + _IMPORTS_SQL),
    ("0004_versions_and_accounts", SQLITE_0004),
)


@lru_cache(maxsize=16)  # a batch stamps every report with the same instant
def _ms(at: datetime) -> datetime:
    """``at`` in UTC to the millisecond: what the database keeps of it."""
    return at.astimezone(UTC).replace(microsecond=at.microsecond // 1000 * 1000)


@lru_cache(maxsize=16)  # a batch stamps every report with the same instant
def _ts(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


_NEW_COLUMNS = (
    "kind, record_type, record_id, report_date, payload, status, author, created_at, "
    "submitted_by, submitted_at, reviewed_by, reviewed_at, supersedes"
)
_NEW_MARKS = ", ".join("?" for _ in _NEW_COLUMNS.split(", "))


def _new_report(
    new: NewReport, report_id: int, approved_by: str | None, at: datetime | None
) -> Report:
    """A new report as stored: a draft, or approved by ``approved_by`` at ``at``."""
    reviewed_at = None if approved_by is None else _ms(at or new.created_at)
    return Report(
        id=report_id,
        kind=new.kind,
        record_id=new.record_id,
        report_date=new.report_date,
        payload=new.payload,
        status=ReportStatus.DRAFT if approved_by is None else ReportStatus.APPROVED,
        author=new.author,
        created_at=_ms(new.created_at),
        submitted_by=None if approved_by is None else new.author,
        submitted_at=reviewed_at,
        reviewed_by=approved_by,
        reviewed_at=reviewed_at,
        supersedes=new.supersedes,
    )


def _picker(names: Sequence[str]) -> Callable[[Row], tuple[Any, ...]]:
    """A function giving the values of a row under ``names``, as a tuple."""
    if len(names) == 1:  # itemgetter of one name gives the value, not a tuple
        return lambda row: (row[names[0]],)
    return itemgetter(*names)


def _row(r: Report) -> tuple[Any, ...]:
    """The values of ``_NEW_COLUMNS`` for a new report."""
    return (
        r.kind.value,
        r.kind.record_type.value,
        r.record_id,
        r.report_date.isoformat(),
        payload_text(r.payload),
        r.status.value,
        r.author,
        _ts(r.created_at),
        r.submitted_by,
        None if r.submitted_at is None else _ts(r.submitted_at),
        r.reviewed_by,
        None if r.reviewed_at is None else _ts(r.reviewed_at),
        r.supersedes,
    )


_writer_locks: dict[Path, threading.RLock] = {}
_writer_locks_guard = threading.Lock()


def _writer_lock(path: Path) -> threading.RLock:
    """The lock that this process's writers of the database at ``path`` queue on
    (re-entrant: a thread holding it may open a nested unit of work elsewhere)."""
    key = path.resolve()
    with _writer_locks_guard:
        return _writer_locks.setdefault(key, threading.RLock())


class SQLiteStore(SharedSQL, Store):
    """The GeoPackage store. ``SQLiteStore.create(path)`` makes a new database;
    ``SQLiteStore(path)`` opens an existing one."""

    def __init__(self, path: str | Path, *, _create: bool = False) -> None:
        self.path = Path(path)
        self.url = f"sqlite:{self.path}"
        if not _create and not self.path.exists():
            raise NotFound(f"no database at {self.path}: create one with 'safeground init'")
        if _create and self.path.exists():
            raise Conflict(f"{self.path} exists already; refusing to overwrite it")
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._depth = 0
        self._writers = _writer_lock(self.path)
        try:
            gpkg.register_functions(self._conn)
            self._conn.execute("PRAGMA busy_timeout = 10000")
            if _create:
                self._conn.execute(f"PRAGMA application_id = {gpkg.APPLICATION_ID}")
                self._conn.execute(f"PRAGMA user_version = {gpkg.USER_VERSION}")
            elif not self._is_ours():
                raise InvalidData(f"{self.path} is not a safeground GeoPackage")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            # 64 MB of page cache: national registers keep their indexes in memory
            self._conn.execute("PRAGMA cache_size = -65536")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise InvalidData(f"{self.path} is not a usable database: {exc}") from exc
        except StoreError:
            self._conn.close()
            raise

    @classmethod
    def create(cls, path: str | Path) -> SQLiteStore:
        return cls(path, _create=True)

    def _is_ours(self) -> bool:
        app_id = self._conn.execute("PRAGMA application_id").fetchone()[0]
        has = self._conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'safeground_migrations'"
        ).fetchone()[0]
        return bool(app_id == gpkg.APPLICATION_ID and has)

    def _migrate(self) -> None:
        with self.transaction():
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS safeground_migrations "
                "(name TEXT PRIMARY KEY NOT NULL, applied_at DATETIME NOT NULL)"
            )
            done = {r[0] for r in self._conn.execute("SELECT name FROM safeground_migrations")}
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                for statement in _statements(sql):
                    self._conn.execute(statement)
                self._conn.execute(
                    "INSERT INTO safeground_migrations VALUES (?, ?)",
                    (name, _ts(datetime.now(UTC))),
                )

    # --- transactions ------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            with self._unit_of_work():
                yield
            return
        with self._writers, self._unit_of_work():
            yield

    @contextmanager
    def _unit_of_work(self) -> Iterator[None]:
        depth = self._depth
        self._conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT sp{depth}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if depth == 0:
                self._conn.execute("ROLLBACK")
            else:
                self._conn.execute(f"ROLLBACK TO sp{depth}")
                self._conn.execute(f"RELEASE sp{depth}")
            raise
        self._depth -= 1
        self._conn.execute("COMMIT" if depth == 0 else f"RELEASE sp{depth}")

    def _write(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        if self._depth == 0:
            raise StoreError("writes must happen inside store.transaction()")
        try:
            return self._conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            raise InvalidData(str(exc)) from exc

    def close(self) -> None:
        self._conn.close()

    # --- reports -----------------------------------------------------------------------
    def add_report(
        self, new: NewReport, *, approved_by: str | None = None, at: datetime | None = None
    ) -> Report:
        report = _new_report(new, 0, approved_by, at)
        cur = self._write(
            f"INSERT INTO reports ({_NEW_COLUMNS}) VALUES ({_NEW_MARKS})", _row(report)
        )
        report = replace(report, id=int(cur.lastrowid or 0))
        if new.personal is not None:
            self._write(
                "INSERT INTO report_personal VALUES (?, ?)",
                (report.id, json.dumps(new.personal, sort_keys=True)),
            )
        return report

    def add_reports(
        self, news: Sequence[NewReport], *, approved_by: str, at: datetime
    ) -> list[Report]:
        if self._depth == 0:
            raise StoreError("writes must happen inside store.transaction()")
        if any(new.personal is not None for new in news):
            return super().add_reports(news, approved_by=approved_by, at=at)
        # the ids AUTOINCREMENT would hand out, given here so the batch is one statement
        (last,) = self._conn.execute(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'reports'), 0), "
            "coalesce((SELECT max(id) FROM reports), 0))"
        ).fetchone()
        reports = [
            _new_report(new, report_id, approved_by, at)
            for report_id, new in enumerate(news, start=last + 1)
        ]
        try:
            self._conn.executemany(
                f"INSERT INTO reports (id, {_NEW_COLUMNS}) VALUES (?, {_NEW_MARKS})",
                [(r.id, *_row(r)) for r in reports],
            )
        except sqlite3.IntegrityError as exc:
            raise InvalidData(str(exc)) from exc
        return reports

    # --- imports ------------------------------------------------------------------------
    def next_number(self, name: str, count: int = 1) -> int:
        if count < 1:
            raise ValueError("count must be at least 1")
        cur = self._write(
            "INSERT INTO counters VALUES (?, ?) ON CONFLICT (name) "
            "DO UPDATE SET value = value + excluded.value RETURNING value",
            (name, count),
        )
        return int(cur.fetchone()[0]) - count + 1

    # --- projection ----------------------------------------------------------------------
    def put_record(self, record: Record, *, new: bool = False) -> None:
        _record_type, record_id = record_key(record)
        tables = rows_of(record)
        own, *children = tables
        if new:
            for name in tables:
                self._insert(TABLES[name], tables[name])
            return
        for name in children:
            self._write(f"DELETE FROM {name} WHERE {TABLES[name].key} = ?", (record_id,))
        self._upsert(TABLES[own], tables[own])
        for name in children:
            self._insert(TABLES[name], tables[name])

    def _values(self, table: Table, rows: Sequence[Row]) -> tuple[str, list[tuple[Any, ...]]]:
        names = list(table.column_names)
        pick = _picker(names)
        values = [pick(row) for row in rows]
        if table.geometry_type:
            names.append("geom")
            blobs = gpkg.encode_many([row["geom"] for row in rows])
            values = [(*v, blob) for v, blob in zip(values, blobs, strict=True)]
        return ", ".join(names), values

    def _insert(self, table: Table, rows: Sequence[Row]) -> None:
        if not rows:
            return
        names, values = self._values(table, rows)
        marks = ", ".join("?" for _ in values[0])
        sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
        try:
            if table.geometry_type and len(rows) >= _BULK_ROWS:
                self._bulk_insert(table.name, sql, values, [row["geom"] for row in rows])
            else:
                self._conn.executemany(sql, values)
        except sqlite3.IntegrityError as exc:
            raise InvalidData(str(exc)) from exc

    def _bulk_insert(
        self,
        name: str,
        sql: str,
        values: Sequence[tuple[Any, ...]],
        geoms: Sequence[BaseGeometry | None],
    ) -> None:
        """Many feature rows at once: the R-tree filled from the geometries' bounds after
        the rows, not by its insert trigger row by row (several times faster). The trigger
        is dropped and restored inside a savepoint, so the GeoPackage never lacks it
        outside it. The rows take the next fids in order: one writer, one statement."""
        rtree, trigger = f"rtree_{name}_geom", f"rtree_{name}_geom_insert"
        (trigger_sql,) = self._conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (trigger,)
        ).fetchone()
        array = np.empty(len(geoms), dtype=object)
        array[:] = list(geoms)
        # Python floats and ints: indexing numpy arrays element by element costs more
        bounds = shapely.bounds(array).tolist()
        present = np.flatnonzero(~shapely.is_missing(array) & ~shapely.is_empty(array)).tolist()
        with self.transaction():
            self._conn.execute(f"DROP TRIGGER {trigger}")
            (last,) = self._conn.execute(
                "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0)", (name,)
            ).fetchone()
            cursor = self._conn.executemany(sql, values)
            first, final = self._conn.execute(
                f"SELECT min(fid), max(fid) FROM {name} WHERE fid > ?", (last,)
            ).fetchone()
            if cursor.rowcount != len(values) or (first, final) != (last + 1, last + len(values)):
                raise StoreError(f"{name}: the bulk insert did not take consecutive fids")
            self._conn.executemany(
                f"INSERT INTO {rtree} VALUES (?, ?, ?, ?, ?)",
                [
                    (first + i, bounds[i][0], bounds[i][2], bounds[i][1], bounds[i][3])
                    for i in present
                ],
            )
            self._conn.execute(trigger_sql)

    def _upsert(self, table: Table, rows: Sequence[Row]) -> None:
        # UPDATE then INSERT, not an UPSERT: an upsert's conflict mode would override the
        # "INSERT OR REPLACE" of the GeoPackage R-tree triggers.
        names, values = self._values(table, rows)
        columns = names.split(", ")
        sets = ", ".join(f"{n} = ?" for n in columns)
        keys = " AND ".join(f"{k} = ?" for k in table.unique)
        missing = []
        for row, value in zip(rows, values, strict=True):
            key = tuple(row[k] for k in table.unique)
            cur = self._write(f"UPDATE {table.name} SET {sets} WHERE {keys}", (*value, *key))
            if cur.rowcount == 0:
                missing.append(row)
        self._insert(table, missing)

    def put_victims(self, accident_id: str, victims: Sequence[Victim]) -> None:
        table = TABLES["victims"]
        self._write("DELETE FROM victims WHERE accident_id = ?", (accident_id,))
        self._insert(table, victim_rows(victims))

    def layer(self, name: str) -> Layer:
        table = TABLES.get(name)
        if table is None:
            raise NotFound(f"no layer {name!r}; layers: {', '.join(TABLES)}")
        columns = list(table.column_names)
        select = ", ".join(columns + (["geom"] if table.geometry_type else []))
        rows = self._conn.execute(f"SELECT {select} FROM {table.name} ORDER BY fid").fetchall()
        geometries = None
        if table.geometry_type:
            geometries = [None if r[-1] is None else gpkg.wkb(r[-1]) for r in rows]
            rows = [r[:-1] for r in rows]
        return Layer(name, table.geometry_type, columns, rows, geometries, table.personal)

    def projection_snapshot(self, record_type: RecordType, record_id: str) -> Any:
        snapshot: dict[str, list[Row]] = {}
        for name in RECORD_TABLES[record_type]:
            table = TABLES[name]
            layer_rows = self._conn.execute(
                f"SELECT {', '.join(table.column_names)}"
                + (", geom" if table.geometry_type else "")
                + f" FROM {name} WHERE {table.key} = ? ORDER BY fid",
                (record_id,),
            ).fetchall()
            out = []
            for r in layer_rows:
                row = dict(zip(table.column_names, r, strict=False))
                if table.geometry_type:
                    row["geom"] = gpkg.decode(r[-1])
                out.append(row)
            snapshot[name] = out
        return snapshot

    # --- hooks of the shared SQL (store/sql.py) ------------------------------------------
    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    def _insert_id(self, sql: str, params: Sequence[Any]) -> int:
        return int(self._write(sql, params).lastrowid or 0)

    def _change_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self._depth == 0:
            raise StoreError("writes must happen inside store.transaction()")
        try:
            self._conn.executemany(sql, rows)
        except sqlite3.IntegrityError as exc:
            raise InvalidData(str(exc)) from exc

    def _iterate(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        yield from self._conn.execute(sql, params)  # a national register is large

    def _change(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._write(sql, params).rowcount

    def _ts_in(self, at: datetime) -> Any:
        return _ts(_ms(at))

    def _ts_out(self, value: Any) -> datetime:
        return datetime.fromisoformat(value)

    def _geom_select(self) -> str:
        return "geom"

    def _geom_out(self, value: Any) -> bytes | None:
        return None if value is None else gpkg.wkb(value)

    def _bbox_filter(self, table: str) -> str:
        return (
            f"fid IN (SELECT id FROM rtree_{table}_geom WHERE maxx >= ? AND maxy >= ? "
            "AND minx <= ? AND miny <= ?)"
        )

    # --- for tests and tools -------------------------------------------------------------
    def integrity_check(self) -> str:
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])


def _statements(sql: str) -> Iterator[str]:
    """Split a script into statements (trigger bodies hold semicolons)."""
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()
