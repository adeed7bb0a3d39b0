"""The team store: PostgreSQL with PostGIS, for a server that many people use at once.

The same contract and the same tables as the GeoPackage store (store/tables.py), with
PostGIS geometry columns in EPSG:4326 and GiST indexes. The database stores and indexes;
every rule and every measurement stays in Python. Writers are serialised by a
transaction-level advisory lock, as SQLite's one writer is: a report's approval reads the
record's reports and writes its projection, and two of those interleaved would lose one.
Readers never wait for it. Migrations are ordered, named and recorded in a table.

``postgresql://user@host:port/db?schema=NAME`` keeps everything in schema NAME (made if
missing); without it, the ``public`` schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import shapely
from psycopg import errors as pg_errors

from safeground.domain.model import (
    Record,
    RecordType,
    Report,
    ReportStatus,
    Victim,
)
from safeground.store.base import (
    Conflict,
    InvalidData,
    Layer,
    NewReport,
    NotFound,
    Store,
    StoreError,
)
from safeground.store.sql import SharedSQL, payload_text
from safeground.store.tables import (
    RECORD_TABLES,
    TABLES,
    Row,
    Table,
    record_key,
    rows_of,
    victim_rows,
)

_WRITER_LOCK = 0x5AFE6800  # the advisory lock every write transaction holds


_TYPES = {
    "TEXT": "text",
    "REAL": "double precision",
    "INTEGER": "bigint",
    "DATE": "date",
}
_GEOMETRY = {"MULTIPOLYGON": "MultiPolygon", "POINT": "Point", "GEOMETRY": "Geometry"}


def _table_ddl(table: Table) -> str:
    cols = ["fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"]
    if table.geometry_type:
        cols.append(f"geom geometry({_GEOMETRY[table.geometry_type]}, 4326)")
    cols += [f"{name} {_TYPES[type_]}" for name, type_ in table.columns]
    if table.unique:
        cols.append(f"UNIQUE ({', '.join(table.unique)})")
    ddl = f"CREATE TABLE {table.name} (\n  " + ",\n  ".join(cols) + "\n);\n"
    ddl += f"CREATE INDEX {table.name}_{table.key} ON {table.name} ({table.key});\n"
    if table.geometry_type:
        ddl += f"CREATE INDEX {table.name}_geom ON {table.name} USING gist (geom);\n"
    ddl += f"COMMENT ON TABLE {table.name} IS '{table.description}';\n"
    return ddl


_REGISTER_SQL = """
CREATE TABLE reports (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL,
  record_type text NOT NULL,
  record_id text NOT NULL,
  report_date date NOT NULL,
  payload text NOT NULL,
  status text NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
  author text NOT NULL,
  created_at timestamptz NOT NULL,
  submitted_by text,
  submitted_at timestamptz,
  reviewed_by text,
  reviewed_at timestamptz,
  review_note text,
  supersedes bigint REFERENCES reports (id),
  superseded_by bigint REFERENCES reports (id),
  version bigint NOT NULL DEFAULT 1
);
CREATE INDEX reports_record ON reports (record_type, record_id);
CREATE INDEX reports_status ON reports (status);
-- Approved reports are history: never edited, never deleted; each change counts a version.
CREATE FUNCTION reports_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status = 'approved' THEN
      RAISE EXCEPTION 'approved-report-immutable: an approved report cannot be deleted'
        USING ERRCODE = 'check_violation';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status = 'approved' AND (NEW.kind, NEW.record_type, NEW.record_id, NEW.report_date,
      NEW.payload, NEW.author, NEW.created_at, NEW.supersedes, NEW.reviewed_by,
      NEW.reviewed_at) IS DISTINCT FROM (OLD.kind, OLD.record_type, OLD.record_id,
      OLD.report_date, OLD.payload, OLD.author, OLD.created_at, OLD.supersedes,
      OLD.reviewed_by, OLD.reviewed_at) THEN
    RAISE EXCEPTION 'approved-report-immutable: an approved report cannot be changed'
      USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.status IN ('approved', 'rejected') AND NEW.status <> OLD.status THEN
    RAISE EXCEPTION 'approved-report-immutable: a reviewed report keeps its status'
      USING ERRCODE = 'check_violation';
  END IF;
  NEW.version := OLD.version + 1;
  RETURN NEW;
END $$;
CREATE TRIGGER reports_guard BEFORE UPDATE OR DELETE ON reports
  FOR EACH ROW EXECUTE FUNCTION reports_guard();
CREATE TABLE report_personal (
  report_id bigint PRIMARY KEY REFERENCES reports (id),
  data text NOT NULL
);
CREATE TABLE counters (name text PRIMARY KEY, value bigint NOT NULL);
"""

_IMPORTS_SQL = """
CREATE TABLE imports (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  file text NOT NULL,
  sha256 text NOT NULL,
  format text NOT NULL,
  kind text NOT NULL,
  dataset text NOT NULL,
  layers text NOT NULL,
  mapping text NOT NULL,
  imported_by text NOT NULL,
  approved_by text NOT NULL,
  at timestamptz NOT NULL,
  read bigint NOT NULL,
  imported bigint NOT NULL,
  unchanged bigint NOT NULL,
  rejected bigint NOT NULL
);
CREATE TABLE source_features (
  source_key text PRIMARY KEY,
  record_type text NOT NULL,
  record_id text NOT NULL,
  content_hash text NOT NULL,
  report_id bigint NOT NULL REFERENCES reports (id),
  import_id bigint NOT NULL REFERENCES imports (id)
);
CREATE INDEX source_features_record ON source_features (record_type, record_id);
"""

_ACCOUNTS_SQL = """
CREATE TABLE accounts (
  name text PRIMARY KEY,
  roles text NOT NULL,
  password_hash text NOT NULL,
  active boolean NOT NULL,
  version bigint NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL
);
CREATE TABLE account_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL REFERENCES accounts (name),
  at timestamptz NOT NULL,
  by_user text NOT NULL,
  change text NOT NULL
);
CREATE TABLE sessions (
  token_hash text PRIMARY KEY,
  name text NOT NULL REFERENCES accounts (name),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_name ON sessions (name);
"""

#: Applied in order, each once; a released migration is never edited, only followed.
#: The names match the GeoPackage store's where they do the same thing.
MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("0001_postgis", "CREATE EXTENSION IF NOT EXISTS postgis"),
    (
        "0002_register",
        _REGISTER_SQL
        + "".join(
            _table_ddl(TABLES[t])
            for t in (
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
        ),
    ),
    ("0003_events_and_imports", _table_ddl(TABLES["events"]) + _IMPORTS_SQL),
    ("0004_versions_and_accounts", _ACCOUNTS_SQL),
)


def _ms(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(microsecond=at.microsecond // 1000 * 1000)


def _split_url(url: str) -> tuple[str, str]:
    """The libpq URL without our ``schema`` parameter, and the schema."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    schema = next((v for k, v in query if k == "schema"), "public")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
        raise InvalidData(f"schema {schema!r}: lower-case letters, digits and _ only")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest, scheme="postgresql")), schema


class PostGISStore(SharedSQL, Store):
    """The PostGIS store. ``PostGISStore.create(url)`` makes the tables in an empty schema;
    ``PostGISStore(url)`` opens a schema that has them."""

    def __init__(self, url: str, *, _create: bool = False) -> None:
        conninfo, self.schema = _split_url(url)
        parts = urlsplit(url)
        self.url = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]))
        try:
            self._conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise NotFound(f"cannot reach the database at {self.url}: {exc}") from exc
        self._depth = 0
        try:
            self._conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            self._conn.execute(f"SET search_path TO {self.schema}, public")
            has = self._has_migrations()
            if _create and has:
                raise Conflict(f"{self.url} (schema {self.schema}) holds a register already")
            if not _create and not has:
                raise NotFound(
                    f"no safeground register at {self.url} (schema {self.schema}): "
                    "create one with 'safeground init'"
                )
            self._migrate()
        except psycopg.Error as exc:
            self._conn.close()
            raise InvalidData(f"{self.url} is not a usable database: {exc}") from exc
        except StoreError:
            self._conn.close()
            raise

    @classmethod
    def create(cls, url: str) -> PostGISStore:
        return cls(url, _create=True)

    def _has_migrations(self) -> bool:
        row = self._conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s "
            "AND tablename = 'safeground_migrations'",
            (self.schema,),
        ).fetchone()
        return bool(row and row[0])

    def _migrate(self) -> None:
        with self.transaction():
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS safeground_migrations "
                "(name text PRIMARY KEY, applied_at timestamptz NOT NULL)"
            )
            done = {r[0] for r in self._conn.execute("SELECT name FROM safeground_migrations")}
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                self._conn.execute(sql.encode())
                self._conn.execute(
                    "INSERT INTO safeground_migrations VALUES (%s, %s)", (name, datetime.now(UTC))
                )

    def migrations(self) -> list[str]:
        """The names of the applied migrations, in order."""
        return [
            r[0] for r in self._conn.execute("SELECT name FROM safeground_migrations ORDER BY name")
        ]

    # --- transactions ------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        depth = self._depth
        if depth == 0:
            self._conn.execute("BEGIN")
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITER_LOCK,))
        else:
            self._conn.execute(f"SAVEPOINT sp{depth}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if depth == 0:
                self._conn.execute("ROLLBACK")
            else:
                self._conn.execute(f"ROLLBACK TO SAVEPOINT sp{depth}")
                self._conn.execute(f"RELEASE SAVEPOINT sp{depth}")
            raise
        self._depth -= 1
        self._conn.execute("COMMIT" if depth == 0 else f"RELEASE SAVEPOINT sp{depth}")

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        if self._depth == 0:
            raise StoreError("writes must happen inside store.transaction()")
        try:
            return self._conn.execute(sql, params)
        except pg_errors.IntegrityError as exc:
            raise InvalidData(str(exc).strip()) from exc

    def close(self) -> None:
        self._conn.close()

    # --- hooks of the shared SQL --------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(self._sql(sql), params).fetchall()

    def _insert_id(self, sql: str, params: Sequence[Any]) -> int:
        row = self._exec(self._sql(sql) + " RETURNING id", params).fetchone()
        assert row is not None
        return int(row[0])

    def _change_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self._depth == 0:
            raise StoreError("writes must happen inside store.transaction()")
        if not rows:
            return
        try:
            with self._conn.cursor() as c:
                c.executemany(self._sql(sql), rows)
        except pg_errors.IntegrityError as exc:
            raise InvalidData(str(exc).strip()) from exc

    def _change(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._exec(self._sql(sql), params).rowcount

    def _ts_in(self, at: datetime) -> Any:
        return _ms(at)

    def _ts_out(self, value: Any) -> datetime:
        return value.astimezone(UTC)  # type: ignore[no-any-return]

    def _geom_select(self) -> str:
        return "ST_AsBinary(geom)"

    def _geom_out(self, value: Any) -> bytes | None:
        return None if value is None else bytes(value)

    def _bbox_filter(self, table: str) -> str:
        return "geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)"

    def _lock_suffix(self) -> str:
        return " FOR UPDATE" if self._depth else ""

    # --- reports -----------------------------------------------------------------------
    def add_report(
        self, new: NewReport, *, approved_by: str | None = None, at: datetime | None = None
    ) -> Report:
        status = ReportStatus.DRAFT if approved_by is None else ReportStatus.APPROVED
        created_at = _ms(new.created_at)
        reviewed_at = None if approved_by is None else _ms(at or new.created_at)
        submitted_by = None if approved_by is None else new.author
        cur = self._exec(
            "INSERT INTO reports (kind, record_type, record_id, report_date, payload, status, "
            "author, created_at, submitted_by, submitted_at, reviewed_by, reviewed_at, "
            "supersedes) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "RETURNING id",
            (
                new.kind.value,
                new.kind.record_type.value,
                new.record_id,
                new.report_date,
                payload_text(new.payload),
                status.value,
                new.author,
                created_at,
                submitted_by,
                reviewed_at,
                approved_by,
                reviewed_at,
                new.supersedes,
            ),
        )
        row = cur.fetchone()
        assert row is not None
        report_id = int(row[0])
        if new.personal is not None:
            self._exec(
                "INSERT INTO report_personal VALUES (%s, %s)",
                (report_id, json.dumps(new.personal, sort_keys=True)),
            )
        return Report(
            id=report_id,
            kind=new.kind,
            record_id=new.record_id,
            report_date=new.report_date,
            payload=new.payload,
            status=status,
            author=new.author,
            created_at=created_at,
            submitted_by=submitted_by,
            submitted_at=reviewed_at,
            reviewed_by=approved_by,
            reviewed_at=reviewed_at,
            supersedes=new.supersedes,
        )

    # --- imports ------------------------------------------------------------------------
    def next_number(self, name: str, count: int = 1) -> int:
        if count < 1:
            raise ValueError("count must be at least 1")
        cur = self._exec(
            "INSERT INTO counters VALUES (%s, %s) ON CONFLICT (name) "
            "DO UPDATE SET value = counters.value + excluded.value RETURNING value",
            (name, count),
        )
        row = cur.fetchone()
        assert row is not None
        return int(row[0]) - count + 1

    # --- projection ----------------------------------------------------------------------
    def put_record(self, record: Record, *, new: bool = False) -> None:
        _record_type, record_id = record_key(record)
        tables = rows_of(record)
        for name in tables:
            if not new:
                self._exec(f"DELETE FROM {name} WHERE {TABLES[name].key} = %s", (record_id,))
            self._insert(TABLES[name], tables[name])

    def _insert(self, table: Table, rows: Sequence[Row]) -> None:
        if not rows:
            return
        names = list(table.column_names)
        values = [[row[n] for n in names] for row in rows]
        marks = ["%s"] * len(names)
        if table.geometry_type:
            names.append("geom")
            marks.append("ST_GeomFromWKB(%s, 4326)")
            wkbs = shapely.to_wkb([row["geom"] for row in rows], output_dimension=2, flavor="iso")
            for v, wkb in zip(values, wkbs, strict=True):
                v.append(wkb)
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(marks)})"
        if self._depth == 0:
            raise StoreError("writes must happen inside store.transaction()")
        try:
            with self._conn.cursor() as c:
                c.executemany(sql, values)
        except pg_errors.IntegrityError as exc:
            raise InvalidData(str(exc).strip()) from exc

    def put_victims(self, accident_id: str, victims: Sequence[Victim]) -> None:
        self._exec("DELETE FROM victims WHERE accident_id = %s", (accident_id,))
        self._insert(TABLES["victims"], victim_rows(victims))

    def layer(self, name: str) -> Layer:
        table = TABLES.get(name)
        if table is None:
            raise NotFound(f"no layer {name!r}; layers: {', '.join(TABLES)}")
        if not table.personal:
            return self.layer_page(name)
        columns = list(table.column_names)
        rows = self._conn.execute(f"SELECT {', '.join(columns)} FROM {name} ORDER BY fid")
        return Layer(name, None, columns, rows.fetchall(), None, True)

    def projection_snapshot(self, record_type: RecordType, record_id: str) -> Any:
        snapshot: dict[str, list[Row]] = {}
        for name in RECORD_TABLES[record_type]:
            page = self.layer_page(name, key=record_id)
            rows = page.records()
            for row, geom in zip(rows, page.shapes(), strict=True):
                if page.geometry_type:
                    row["geom"] = geom
            snapshot[name] = rows
        return snapshot
