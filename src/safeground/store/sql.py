"""SQL shared by the SQLite/GeoPackage and PostGIS stores: accounts, sessions, report
versions and layer pages.

Each back-end mixes :class:`SharedSQL` in and provides a few small hooks: how to run a
statement, how timestamps and geometries come out, and the bbox filter (the GeoPackage
R-tree or a PostGIS GiST index). Statements here use ``?`` placeholders; a back-end whose
driver wants another style rewrites them in :meth:`SharedSQL._sql`.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from safeground.store.base import Account, Conflict, Layer, NotFound
from safeground.store.tables import TABLES

_ACCOUNT_COLUMNS = "name, roles, password_hash, active, version, created_at, created_by"


class SharedSQL:
    """The SQL both back-ends run the same way, over their hooks."""

    # --- hooks ---------------------------------------------------------------------------
    @abstractmethod
    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query (``?`` placeholders) and return every row."""

    @abstractmethod
    def _change(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a write (``?`` placeholders) inside the current transaction; the row count.
        Constraint failures raise InvalidData."""

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
        out = [tuple(_plain(v) for v in r) for r in rows]
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
