"""SQL shared by the SQLite/GeoPackage and PostGIS stores: reading and moving reports,
source links and the import log, accounts, sessions, report versions and layer pages.

Each back-end mixes :class:`SharedSQL` in and provides a few small hooks: how to run a
statement, how timestamps and geometries come out, and the bbox filter (the GeoPackage
R-tree or a PostGIS GiST index). Statements here use ``?`` placeholders; a back-end whose
driver wants another style rewrites them in :meth:`SharedSQL._sql`.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import orjson

from safeground.domain.accounting import AreaRow, ReleaseRow
from safeground.domain.model import (
    OutcomeType,
    Record,
    RecordType,
    Report,
    ReportKind,
    ReportStatus,
)
from safeground.store.base import Account, Conflict, ImportLog, Layer, NotFound, SourceLink
from safeground.store.tables import TABLES, Row, Table, rows_of

#: The columns of a report row, in the order :meth:`SharedSQL._report` reads them.
REPORT_COLUMNS = (
    "id, kind, record_id, report_date, payload, status, author, created_at, submitted_by, "
    "submitted_at, reviewed_by, reviewed_at, review_note, supersedes, superseded_by"
)
_ACCOUNT_COLUMNS = "name, roles, password_hash, active, version, created_at, created_by"


_ORJSON_STRICT = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def payload_text(payload: Mapping[str, Any]) -> str:
    """A report's payload as stored: the JSON that ``json.dumps`` writes, or an equal one.

    orjson writes it (tens of times faster on an area's coordinates); where orjson would
    write something else (NaN and infinities become null in orjson, non-text keys and
    types json refuses), ``json.dumps`` writes it, as it always did."""
    try:
        text = orjson.dumps(payload, option=_ORJSON_STRICT)
    except TypeError:
        return json.dumps(payload)
    if b"null" in text:  # a None, a NaN orjson wrote as null, or the word in a text
        return json.dumps(payload)
    return text.decode()


class SharedSQL:
    """The SQL both back-ends run the same way, over their hooks."""

    # --- hooks ---------------------------------------------------------------------------
    @abstractmethod
    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query (``?`` placeholders) and return every row."""

    def _iterate(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Run a query and yield its rows (streamed where the driver can)."""
        yield from self._read(sql, params)

    @abstractmethod
    def _change(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a write (``?`` placeholders) inside the current transaction; the row count.
        Constraint failures raise InvalidData."""

    @abstractmethod
    def _insert_id(self, sql: str, params: Sequence[Any]) -> int:
        """Run an INSERT of one row (``?`` placeholders) into a table with an ``id`` key,
        inside the current transaction; the new row's id."""

    @abstractmethod
    def _change_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run a write once per row, inside the current transaction. Constraint failures
        raise InvalidData."""

    @abstractmethod
    def _ts_in(self, at: datetime) -> Any:
        """A timestamp as the database takes it."""

    @abstractmethod
    def _ts_out(self, value: Any) -> datetime:
        """A stored timestamp back as an aware datetime."""

    @abstractmethod
    def _geom_select(self) -> str:
        """The select expression that yields a row's geometry."""

    @abstractmethod
    def _geom_out(self, value: Any) -> bytes | None:
        """That value as ISO WKB."""

    @abstractmethod
    def _bbox_filter(self, table: str) -> str:
        """A WHERE condition on ``table`` taking (minx, miny, maxx, maxy) parameters."""

    def _lock_suffix(self) -> str:
        """What makes a SELECT hold its rows until the transaction ends (if needed)."""
        return ""

    # --- reports -------------------------------------------------------------------------
    def _report(self, row: Sequence[Any]) -> Report:
        """A row of ``REPORT_COLUMNS`` as a report."""
        day = row[3]
        return Report(
            id=row[0],
            kind=ReportKind(row[1]),
            record_id=row[2],
            report_date=day if isinstance(day, date) else date.fromisoformat(day),
            payload=json.loads(row[4]),
            status=ReportStatus(row[5]),
            author=row[6],
            created_at=self._ts_out(row[7]),
            submitted_by=row[8],
            submitted_at=None if row[9] is None else self._ts_out(row[9]),
            reviewed_by=row[10],
            reviewed_at=None if row[11] is None else self._ts_out(row[11]),
            review_note=row[12],
            supersedes=row[13],
            superseded_by=row[14],
        )

    def report(self, report_id: int) -> Report:
        rows = self._read(f"SELECT {REPORT_COLUMNS} FROM reports WHERE id = ?", (report_id,))
        if not rows:
            raise NotFound(f"no report {report_id}")
        return self._report(rows[0])

    def reports(
        self,
        *,
        record_type: RecordType | None = None,
        record_id: str | None = None,
        status: ReportStatus | None = None,
    ) -> list[Report]:
        where, params = [], []
        for column, value in (
            ("record_type", record_type),
            ("record_id", record_id),
            ("status", status),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(str(value))
        sql = f"SELECT {REPORT_COLUMNS} FROM reports"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [self._report(r) for r in self._read(sql + " ORDER BY id", params)]

    def iter_reports(self, status: ReportStatus | None = None) -> Iterator[Report]:
        sql = f"SELECT {REPORT_COLUMNS} FROM reports"
        params: tuple[str, ...] = ()
        if status is not None:
            sql += " WHERE status = ?"
            params = (status.value,)
        for row in self._iterate(sql + " ORDER BY record_type, record_id, id", params):
            yield self._report(row)

    def update_draft(self, report_id: int, payload: Mapping[str, Any], report_date: date) -> None:
        changed = self._change(
            "UPDATE reports SET payload = ?, report_date = ? WHERE id = ? AND status = 'draft'",
            (json.dumps(payload, sort_keys=True), report_date.isoformat(), report_id),
        )
        if changed != 1:
            self._guard(report_id, ReportStatus.DRAFT)

    def _guard(self, report_id: int, expected: ReportStatus) -> None:
        """Raise NotFound or Conflict, saying which, unless the report is ``expected``."""
        current = self.report(report_id).status
        if current is not expected:
            raise Conflict(f"report {report_id} is {current}, not {expected}")

    def set_status(
        self,
        report_id: int,
        *,
        expected: ReportStatus,
        status: ReportStatus,
        by: str,
        at: datetime,
        note: str | None = None,
    ) -> Report:
        if status is ReportStatus.SUBMITTED:
            sql = "UPDATE reports SET status = ?, submitted_by = ?, submitted_at = ?"
            params: tuple[Any, ...] = (status.value, by, self._ts_in(at))
        else:
            sql = "UPDATE reports SET status = ?, reviewed_by = ?, reviewed_at = ?, review_note = ?"
            params = (status.value, by, self._ts_in(at), note)
        changed = self._change(
            sql + " WHERE id = ? AND status = ?", (*params, report_id, expected.value)
        )
        if changed != 1:
            self._guard(report_id, expected)
        return self.report(report_id)

    def mark_superseded(self, report_id: int, by_report_id: int) -> None:
        self._change("UPDATE reports SET superseded_by = ? WHERE id = ?", (by_report_id, report_id))

    def personal_data(self, report_id: int) -> Mapping[str, Any] | None:
        rows = self._read("SELECT data FROM report_personal WHERE report_id = ?", (report_id,))
        return None if not rows else dict(json.loads(rows[0][0]))

    def record_ids_taken(self, record_type: RecordType, record_ids: Sequence[str]) -> set[str]:
        taken: set[str] = set()
        for chunk in _chunks(record_ids):
            rows = self._read(
                "SELECT DISTINCT record_id FROM reports WHERE record_type = ? "
                f"AND record_id IN ({_marks(chunk)})",
                (record_type.value, *chunk),
            )
            taken.update(row[0] for row in rows)
        return taken

    # --- imports ---------------------------------------------------------------------------
    def source_links(self, source_keys: Sequence[str]) -> dict[str, SourceLink]:
        links: dict[str, SourceLink] = {}
        for chunk in _chunks(source_keys):
            rows = self._read(
                "SELECT source_key, record_type, record_id, content_hash, report_id "
                f"FROM source_features WHERE source_key IN ({_marks(chunk)})",
                chunk,
            )
            for key, record_type, record_id, content_hash, report_id in rows:
                links[key] = SourceLink(
                    key, RecordType(record_type), record_id, content_hash, report_id
                )
        return links

    def add_import(self, log: ImportLog, links: Sequence[SourceLink]) -> int:
        import_id = self._insert_id(
            "INSERT INTO imports (file, sha256, format, kind, dataset, layers, mapping, "
            "imported_by, approved_by, at, read, imported, unchanged, rejected) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                log.file,
                log.sha256,
                log.format,
                log.kind,
                log.dataset,
                json.dumps(list(log.layers)),
                json.dumps(log.mapping, sort_keys=True),
                log.imported_by,
                log.approved_by,
                self._ts_in(log.at),
                log.read,
                log.imported,
                log.unchanged,
                log.rejected,
            ),
        )
        self._change_many(
            "INSERT INTO source_features VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    k.source_key,
                    k.record_type.value,
                    k.record_id,
                    k.content_hash,
                    k.report_id,
                    import_id,
                )
                for k in links
            ],
        )
        return import_id

    def imports(self) -> list[tuple[int, ImportLog]]:
        rows = self._read(
            "SELECT id, file, sha256, format, kind, dataset, layers, mapping, imported_by, "
            "approved_by, at, read, imported, unchanged, rejected FROM imports ORDER BY id"
        )
        return [
            (
                row[0],
                ImportLog(
                    file=row[1],
                    sha256=row[2],
                    format=row[3],
                    kind=row[4],
                    dataset=row[5],
                    layers=json.loads(row[6]),
                    mapping=json.loads(row[7]),
                    imported_by=row[8],
                    approved_by=row[9],
                    at=self._ts_out(row[10]),
                    read=row[11],
                    imported=row[12],
                    unchanged=row[13],
                    rejected=row[14],
                ),
            )
            for row in rows
        ]

    # --- the projection ----------------------------------------------------------------
    @abstractmethod
    def _insert(self, table: Table, rows: Sequence[Row]) -> None:
        """Insert projection rows (with their ``geom``) into ``table`` at once."""

    def put_records(self, records: Sequence[Record], *, new: bool = False) -> None:
        if not new:
            super().put_records(records)  # type: ignore[misc]
            return
        by_table: dict[str, list[Row]] = {}
        for record in records:
            for name, rows in rows_of(record).items():
                by_table.setdefault(name, []).extend(rows)
        for name, rows in by_table.items():
            self._insert(TABLES[name], rows)

    def area_rows(self, status: str | None = None) -> list[AreaRow]:
        sql = "SELECT area_id, name, admin_unit, status, hazard_type, area_m2 FROM hazard_areas"
        params: tuple[str, ...] = ()
        if status is not None:
            sql += " WHERE status = ?"
            params = (status,)
        return [AreaRow._make(row) for row in self._read(sql + " ORDER BY area_id", params)]

    def release_rows(self) -> list[ReleaseRow]:
        rows = self._read(
            "SELECT l.area_id, h.admin_unit, l.outcome, l.method, l.date, l.released_m2 "
            "FROM land_release l JOIN hazard_areas h ON h.area_id = l.area_id ORDER BY l.fid"
        )
        outcomes = {o.value: o for o in OutcomeType}
        return [
            ReleaseRow(
                a, admin, outcomes[o], m, d if isinstance(d, date) else date.fromisoformat(d), m2
            )
            for a, admin, o, m, d, m2 in rows
        ]

    # --- report versions -------------------------------------------------------------------
    def report_version(self, report_id: int) -> int:
        rows = self._read(
            "SELECT version FROM reports WHERE id = ?" + self._lock_suffix(), (report_id,)
        )
        if not rows:
            raise NotFound(f"no report {report_id}")
        return int(rows[0][0])

    # --- layer pages -----------------------------------------------------------------------
    def layer_page(
        self,
        name: str,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        limit: int | None = None,
        offset: int = 0,
        key: str | None = None,
    ) -> Layer:
        table = TABLES.get(name)
        if table is None or table.personal:
            raise NotFound(f"no layer {name!r}")
        columns = list(table.column_names)
        select = ", ".join(columns + ([self._geom_select()] if table.geometry_type else []))
        where: list[str] = []
        params: list[Any] = []
        if bbox is not None and table.geometry_type:
            where.append(self._bbox_filter(table.name))
            params += list(bbox)
        if key is not None:
            where.append(f"{table.key} = ?")
            params.append(key)
        sql = f"SELECT {select} FROM {table.name}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY fid"
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            params += [2**62 if limit is None else limit, offset]
        rows = self._read(sql, params)
        geometries = None
        if table.geometry_type:
            geometries = [self._geom_out(r[-1]) for r in rows]
            rows = [r[:-1] for r in rows]
        dated = [i for i, (_name, type_) in enumerate(table.columns) if type_ == "DATE"]
        out = [_plain_dates(r, dated) for r in rows] if dated else rows
        return Layer(name, table.geometry_type, columns, out, geometries, table.personal)

    # --- accounts --------------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql

    def _account(self, row: Sequence[Any]) -> Account:
        return Account(
            name=row[0],
            roles=tuple(json.loads(row[1])),
            password_hash=row[2],
            active=bool(row[3]),
            version=int(row[4]),
            created_at=self._ts_out(row[5]),
            created_by=row[6],
        )

    def add_account(self, account: Account, *, by: str) -> Account:
        if self._read("SELECT 1 FROM accounts WHERE name = ?", (account.name,)):
            raise Conflict(f"an account named {account.name!r} exists already")
        self._change(
            f"INSERT INTO accounts ({_ACCOUNT_COLUMNS}) VALUES (?, ?, ?, ?, 1, ?, ?)",
            (
                account.name,
                json.dumps(sorted(account.roles)),
                account.password_hash,
                account.active,
                self._ts_in(account.created_at),
                by,
            ),
        )
        self._log(
            account.name, by, account.created_at, f"created with roles {sorted(account.roles)}"
        )
        return self.account(account.name)

    def _log(self, name: str, by: str, at: datetime, what: str) -> None:
        self._change(
            "INSERT INTO account_log (name, at, by_user, change) VALUES (?, ?, ?, ?)",
            (name, self._ts_in(at), by, what),
        )

    def account(self, name: str) -> Account:
        rows = self._read(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE name = ?", (name,))
        if not rows:
            raise NotFound(f"no account {name!r}")
        return self._account(rows[0])

    def accounts(self) -> list[Account]:
        return [
            self._account(r)
            for r in self._read(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY name")
        ]

    def update_account(
        self,
        name: str,
        *,
        expected_version: int,
        by: str,
        at: datetime,
        roles: Sequence[str] | None = None,
        password_hash: str | None = None,
        active: bool | None = None,
    ) -> Account:
        sets: list[str] = ["version = version + 1"]
        params: list[Any] = []
        said: list[str] = []
        if roles is not None:
            sets.append("roles = ?")
            params.append(json.dumps(sorted(roles)))
            said.append(f"roles {sorted(roles)}")
        if password_hash is not None:
            sets.append("password_hash = ?")
            params.append(password_hash)
            said.append("password changed")
        if active is not None:
            sets.append("active = ?")
            params.append(active)
            said.append("activated" if active else "deactivated")
        count = self._change(
            f"UPDATE accounts SET {', '.join(sets)} WHERE name = ? AND version = ?",
            (*params, name, expected_version),
        )
        if count != 1:
            current = self.account(name)  # NotFound if there is none
            raise Conflict(
                f"account {name!r} is at version {current.version}, not {expected_version}"
            )
        self._log(name, by, at, "; ".join(said) or "no change")
        if active is False or password_hash is not None:
            self._change("DELETE FROM sessions WHERE name = ?", (name,))
        return self.account(name)

    def account_log(self, name: str) -> list[tuple[datetime, str, str]]:
        rows = self._read(
            "SELECT at, by_user, change FROM account_log WHERE name = ? ORDER BY id", (name,)
        )
        return [(self._ts_out(at), by, what) for at, by, what in rows]

    def add_session(self, token_hash: str, name: str, at: datetime, expires: datetime) -> None:
        self._change(
            "INSERT INTO sessions (token_hash, name, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (token_hash, name, self._ts_in(at), self._ts_in(expires)),
        )

    def session_account(self, token_hash: str, now: datetime) -> Account | None:
        rows = self._read(
            f"SELECT {', '.join('a.' + c for c in _ACCOUNT_COLUMNS.split(', '))} "
            "FROM sessions s JOIN accounts a ON a.name = s.name "
            "WHERE s.token_hash = ? AND s.expires_at > ? AND a.active",
            (token_hash, self._ts_in(now)),
        )
        return self._account(rows[0]) if rows else None

    def delete_session(self, token_hash: str) -> None:
        self._change("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))


def _plain_dates(row: Sequence[Any], dated: Sequence[int]) -> tuple[Any, ...]:
    """The row with its DATE columns (at ``dated``) as ISO text (only those can hold dates:
    converting every value cost a map page more than its query)."""
    out = list(row)
    for i in dated:
        out[i] = _plain(out[i])
    return tuple(out)


def _plain(value: Any) -> Any:
    """Dates as ISO text, as the GeoPackage keeps them."""
    if isinstance(value, date):
        return value.isoformat()
    return value


#: Migration 0004 on SQLite: report versions, accounts, their log and sessions.
SQLITE_0004 = """
ALTER TABLE reports ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE TRIGGER reports_version AFTER UPDATE ON reports
WHEN NEW.version = OLD.version
BEGIN
  UPDATE reports SET version = OLD.version + 1 WHERE id = OLD.id;
END;
CREATE TABLE accounts (
  name TEXT PRIMARY KEY NOT NULL,
  roles TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  active BOOLEAN NOT NULL,
  version INTEGER NOT NULL,
  created_at DATETIME NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE account_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  name TEXT NOT NULL REFERENCES accounts (name),
  at DATETIME NOT NULL,
  by_user TEXT NOT NULL,
  change TEXT NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL REFERENCES accounts (name),
  created_at DATETIME NOT NULL,
  expires_at DATETIME NOT NULL
);
"""


def _chunks(values: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    """``values`` in pieces within SQLite's limit on parameters."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)
