"""The store contract: what every back-end (SQLite/GeoPackage, PostGIS) provides.

Stores keep reports and the projection of approved reports (the current state, as map
layers). They compute nothing: rules and geometry maths stay in the core.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from safeground.domain.accounting import AreaRow, ReleaseRow
from safeground.domain.model import (
    Record,
    RecordType,
    Report,
    ReportKind,
    ReportStatus,
    Victim,
)


class StoreError(Exception):
    """The family of every error a store raises."""


class NotFound(StoreError):
    """No such database, report or record."""


class Conflict(StoreError):
    """The stored state is not what the write expected (a stale or out-of-turn change)."""


class InvalidData(StoreError):
    """The database refused the data (a constraint), or the file is not our database."""


@dataclass(frozen=True)
class NewReport:
    kind: ReportKind
    record_id: str
    report_date: date
    payload: Mapping[str, Any]
    author: str
    created_at: datetime
    supersedes: int | None = None
    personal: Mapping[str, Any] | None = None  # kept apart from the report


@dataclass(frozen=True)
class ImportLog:
    """One import of a file: what was read, by whom, and what became of it."""

    file: str
    sha256: str
    format: str
    kind: str
    dataset: str
    layers: Sequence[Mapping[str, Any]]  # name, crs (as declared), features read
    mapping: Mapping[str, Any]
    imported_by: str
    approved_by: str
    at: datetime
    read: int
    imported: int
    unchanged: int
    rejected: int


@dataclass(frozen=True)
class SourceLink:
    """A source feature (by its stable key) and the record and report it became."""

    source_key: str
    record_type: RecordType
    record_id: str
    content_hash: str
    report_id: int


@dataclass(frozen=True)
class Layer:
    """One layer's rows, for export. ``geometries`` are ISO WKB, or None for a table."""

    name: str
    geometry_type: str | None
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    geometries: Sequence[bytes | None] | None
    personal: bool = False

    def records(self) -> list[dict[str, Any]]:
        """Each row as a mapping from column to value."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def shapes(self) -> list[BaseGeometry | None]:
        """Each row's geometry (None for none, and for every row of a table)."""
        blobs = np.empty(len(self.rows), dtype=object)
        if self.geometries is not None:
            blobs[:] = list(self.geometries)
        return list(shapely.from_wkb(blobs))  # None stays None


@dataclass(frozen=True)
class Account:
    """A user of a team server: a name, roles and permissions, and a password hash (never
    the password). ``version`` grows with each change, for conflict checks."""

    name: str
    roles: tuple[str, ...]
    password_hash: str
    active: bool
    version: int
    created_at: datetime
    created_by: str


#: The layers a store can hand out, in export order. Personal layers only on request.
LAYERS: tuple[str, ...] = (
    "hazard_areas",
    "land_release",
    "activities",
    "qa_records",
    "eo_items",
    "accidents",
    "assets",
    "events",
    "organisations",
    "teams",
)
PERSONAL_LAYERS: tuple[str, ...] = ("victims",)


class Store(ABC):
    """A back-end. Every method that writes must be called inside ``transaction()``."""

    url: str

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All or nothing: commit on success, roll back on any exception (re-entrant)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reports -------------------------------------------------------------------------
    @abstractmethod
    def add_report(
        self, new: NewReport, *, approved_by: str | None = None, at: datetime | None = None
    ) -> Report:
        """Store a draft; or, with ``approved_by``, a report submitted by its author and
        approved at ``at`` (for batches that the workflow has checked)."""

    def add_reports(
        self, news: Sequence[NewReport], *, approved_by: str, at: datetime
    ) -> list[Report]:
        """:meth:`add_report` of each, approved by ``approved_by`` at ``at``, in order
        (back-ends write a batch at once)."""
        return [self.add_report(new, approved_by=approved_by, at=at) for new in news]

    @abstractmethod
    def report(self, report_id: int) -> Report:
        """The report, or NotFound."""

    @abstractmethod
    def reports(
        self,
        *,
        record_type: RecordType | None = None,
        record_id: str | None = None,
        status: ReportStatus | None = None,
    ) -> list[Report]:
        """Reports in id order, filtered."""

    @abstractmethod
    def iter_reports(self, status: ReportStatus | None = None) -> Iterator[Report]:
        """Every report, in (record_type, record_id, id) order, streamed."""

    @abstractmethod
    def update_draft(self, report_id: int, payload: Mapping[str, Any], report_date: date) -> None:
        """Change a draft's content; Conflict if the report is no longer a draft."""

    @abstractmethod
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
        """Move a report on; Conflict if its status is no longer ``expected``."""

    @abstractmethod
    def mark_superseded(self, report_id: int, by_report_id: int) -> None: ...

    @abstractmethod
    def personal_data(self, report_id: int) -> Mapping[str, Any] | None: ...

    @abstractmethod
    def next_number(self, name: str, count: int = 1) -> int:
        """1, 2, 3 … for each ``name``: the counter behind readable record ids.

        ``count`` reserves a block of numbers; the first of the block is returned.
        """

    @abstractmethod
    def record_ids_taken(self, record_type: RecordType, record_ids: Sequence[str]) -> set[str]:
        """Those of ``record_ids`` that some report (of any status) already names."""

    # --- imports ------------------------------------------------------------------------
    @abstractmethod
    def source_links(self, source_keys: Sequence[str]) -> dict[str, SourceLink]:
        """The links of those ``source_keys`` already imported."""

    @abstractmethod
    def add_import(self, log: ImportLog, links: Sequence[SourceLink]) -> int:
        """Record an import and its new links; returns the import's number."""

    @abstractmethod
    def imports(self) -> list[tuple[int, ImportLog]]: ...

    # --- the projection of approved reports --------------------------------------------
    @abstractmethod
    def put_record(self, record: Record, *, new: bool = False) -> None:
        """Store the current state of a record (its layer rows), replacing the old;
        ``new`` says there is nothing to replace."""

    def put_records(self, records: Sequence[Record], *, new: bool = False) -> None:
        """:meth:`put_record` for many records; back-ends may write them in bulk."""
        for record in records:
            self.put_record(record, new=new)

    @abstractmethod
    def put_victims(self, accident_id: str, victims: Sequence[Victim]) -> None: ...

    @abstractmethod
    def area_rows(self, status: str | None = None) -> list[AreaRow]: ...

    @abstractmethod
    def release_rows(self) -> list[ReleaseRow]: ...

    @abstractmethod
    def layer(self, name: str) -> Layer:
        """One layer (from LAYERS or PERSONAL_LAYERS) for export."""

    @abstractmethod
    def projection_snapshot(self, record_type: RecordType, record_id: str) -> Any:
        """The stored rows of one record, comparable with ``==``, for consistency checks."""

    # --- report versions, layer queries and accounts (team mode) -------------------------
    @abstractmethod
    def report_version(self, report_id: int) -> int:
        """The report's version: 1 when stored, one more after each change to it. Inside a
        transaction, the report stays at that version until the transaction ends."""

    @abstractmethod
    def layer_page(
        self,
        name: str,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        limit: int | None = None,
        offset: int = 0,
        key: str | None = None,
    ) -> Layer:
        """Rows of one (non-personal) layer in stored order: those whose geometry's envelope
        meets ``bbox`` (min lon, min lat, max lon, max lat), from ``offset``, at most
        ``limit``; or, with ``key``, the rows of that record. Served through the spatial
        index; exact geometry tests are the caller's."""

    @abstractmethod
    def add_account(self, account: Account, *, by: str) -> Account:
        """Store a new account (version 1); Conflict if the name is taken."""

    @abstractmethod
    def account(self, name: str) -> Account:
        """The account, or NotFound."""

    @abstractmethod
    def accounts(self) -> list[Account]:
        """Every account, by name."""

    @abstractmethod
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
        """Change an account; Conflict if its version is no longer ``expected_version``.
        Each change is logged with who made it and when."""

    @abstractmethod
    def account_log(self, name: str) -> list[tuple[datetime, str, str]]:
        """(when, by whom, what) for each change to the account, oldest first."""

    @abstractmethod
    def add_session(self, token_hash: str, name: str, at: datetime, expires: datetime) -> None:
        """Remember a login session by a hash of its token (never the token)."""

    @abstractmethod
    def session_account(self, token_hash: str, now: datetime) -> Account | None:
        """The active account whose session this is, if it has not expired."""

    @abstractmethod
    def delete_session(self, token_hash: str) -> None: ...
