"""The report workflow: draft -> submitted -> approved or rejected, by named users.

Only approved reports change the current state. Every step is one transaction: a
refused step stores nothing. A report is checked against the rules when it is drafted
(as if it and the pending reports before it were approved) and again when it is
approved, against the approved state of that moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from shapely.geometry.base import BaseGeometry

from safeground import geometry as geo
from safeground.clock import Clock, SystemClock
from safeground.domain import errors
from safeground.domain.errors import RuleViolation
from safeground.domain.model import (
    Accident,
    Record,
    RecordType,
    ReleaseRules,
    Report,
    ReportKind,
    ReportStatus,
    Victim,
)
from safeground.domain.replay import in_force, order
from safeground.domain.rules import apply
from safeground.domain.victims import victims_from
from safeground.store.base import Conflict, NewReport, Store

#: Readable ids for new records: prefix and width of the counter.
ID_FORMAT: Mapping[RecordType, tuple[str, int]] = {
    RecordType.AREA: ("HA-", 6),
    RecordType.ORGANISATION: ("ORG-", 4),
    RecordType.TEAM: ("TEAM-", 4),
    RecordType.ASSET: ("AS-", 6),
    RecordType.EO_ITEM: ("EO-", 6),
    RecordType.ACCIDENT: ("ACC-", 6),
    RecordType.EVENT: ("EV-", 6),
}

#: Reports that create a part of an area carry its id: field name and prefix.
_PART_IDS: Mapping[ReportKind, tuple[str, str]] = {
    ReportKind.ACTIVITY: ("activity_id", "A"),
    ReportKind.OUTCOME: ("outcome_id", "O"),
    ReportKind.QA: ("qa_id", "Q"),
}

_CANDIDATE_ID = 2**62  # sorts after every stored report of the same day


@dataclass(frozen=True)
class Draft:
    """One report of a batch for :meth:`Workflow.file_many`."""

    kind: ReportKind | str
    payload: Mapping[str, Any]
    record_id: str | None = None
    report_date: date | None = None
    personal: Mapping[str, Any] | None = None
    #: the payload's "geometry", already parsed, when the caller has it (an importer):
    #: spares parsing it again. It must be that geometry.
    shape: BaseGeometry | None = None


class Workflow:
    """Files, submits and reviews reports against one store."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        rules: ReleaseRules | None = None,
        four_eyes: bool = False,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.rules = rules or ReleaseRules()
        self.four_eyes = four_eyes

    # --- steps ---------------------------------------------------------------------------
    def draft(
        self,
        kind: ReportKind | str,
        *,
        author: str,
        payload: Mapping[str, Any],
        record_id: str | None = None,
        report_date: date | None = None,
        personal: Mapping[str, Any] | None = None,
        supersedes: int | None = None,
    ) -> Report:
        """Store a new draft report and return it; RuleViolation if it could never be
        approved as things stand (then nothing is stored)."""
        kind = _kind(kind)
        _named(author)
        now = self.clock.now()
        report_date = report_date or now.date()
        with self.store.transaction():
            original = self._superseded(supersedes, kind, record_id) if supersedes else None
            if original is not None:
                record_id = original.record_id
            if record_id is None:
                if not kind.creates_record:
                    raise RuleViolation(errors.INVALID_REPORT, f"a {kind} report names its record")
                record_id = self._new_id(kind.record_type)
            payload = self._with_part_id(kind, record_id, dict(payload), original)
            if personal is not None and kind is not ReportKind.ACCIDENT:
                raise RuleViolation(
                    errors.INVALID_REPORT, "only accident reports carry personal data (victims)"
                )
            candidate = Report(
                id=_CANDIDATE_ID,
                kind=kind,
                record_id=record_id,
                report_date=report_date,
                payload=payload,
                status=ReportStatus.APPROVED,
                author=author,
                created_at=now,
                reviewed_at=now,
                supersedes=supersedes,
            )
            self._check_draft(candidate, personal)
            return self.store.add_report(
                NewReport(
                    kind=kind,
                    record_id=record_id,
                    report_date=report_date,
                    payload=payload,
                    author=author,
                    created_at=now,
                    supersedes=supersedes,
                    personal=personal,
                )
            )

    def edit(
        self,
        report_id: int,
        *,
        user: str,
        payload: Mapping[str, Any],
        report_date: date | None = None,
    ) -> Report:
        """Change a draft (its author only). Approved reports are never edited."""
        with self.store.transaction():
            report = self.store.report(report_id)
            if report.status is ReportStatus.APPROVED:
                raise RuleViolation(
                    errors.APPROVED_REPORT_IMMUTABLE,
                    f"report {report_id} is approved and cannot be edited; file a new report "
                    f"that supersedes it",
                )
            if report.status is not ReportStatus.DRAFT:
                raise RuleViolation(
                    errors.WORKFLOW, f"report {report_id} is {report.status}; only drafts change"
                )
            if user != report.author:
                raise RuleViolation(errors.WORKFLOW, f"only {report.author} edits their draft")
            original = self.store.report(report.supersedes) if report.supersedes else None
            payload = self._with_part_id(report.kind, report.record_id, dict(payload), original)
            changed = replace(
                report,
                payload=payload,
                report_date=report_date or report.report_date,
                status=ReportStatus.APPROVED,
                reviewed_at=self.clock.now(),
            )
            self._check_draft(changed, self.store.personal_data(report_id), skip=report_id)
            self.store.update_draft(report_id, payload, changed.report_date)
            return self.store.report(report_id)

    def submit(self, report_id: int, *, user: str) -> Report:
        _named(user)
        with self.store.transaction():
            return self._move(report_id, ReportStatus.DRAFT, ReportStatus.SUBMITTED, user)

    def reject(self, report_id: int, *, user: str, reason: str) -> Report:
        _named(user)
        if not reason.strip():
            raise RuleViolation(errors.WORKFLOW, "a rejection states its reason")
        with self.store.transaction():
            return self._move(
                report_id, ReportStatus.SUBMITTED, ReportStatus.REJECTED, user, reason
            )

    def approve(self, report_id: int, *, user: str, note: str | None = None) -> Report:
        """Approve a submitted report and bring the record's current state up to date, in
        one transaction; RuleViolation (and nothing changed) if a rule refuses it."""
        _named(user)
        with self.store.transaction():
            report = self.store.report(report_id)
            if report.status is not ReportStatus.SUBMITTED:
                raise RuleViolation(
                    errors.WORKFLOW,
                    f"report {report_id} is {report.status}; only submitted reports are approved",
                )
            if self.four_eyes and user == report.author:
                raise RuleViolation(
                    errors.WORKFLOW, f"{user} wrote report {report_id} and cannot approve it"
                )
            now = self.clock.now()
            approved = replace(
                report, status=ReportStatus.APPROVED, reviewed_by=user, reviewed_at=now
            )
            others = self.store.reports(record_type=report.record_type, record_id=report.record_id)
            sequence = in_force([r for r in others if r.id != report_id] + [approved])
            state = self._fold(sequence, approved)
            stored = self._move(
                report_id, ReportStatus.SUBMITTED, ReportStatus.APPROVED, user, note
            )
            if report.supersedes is not None:
                self.store.mark_superseded(report.supersedes, report_id)
            assert state is not None
            self.store.put_record(state)
            if isinstance(state, Accident) and report.kind is ReportKind.ACCIDENT:
                self.store.put_victims(state.id, self._victims(sequence, state))
            return stored

    def file_many(
        self,
        drafts: Iterable[Draft],
        *,
        author: str,
        reviewer: str,
        on_refused: Callable[[int, RuleViolation], None] | None = None,
        on_filed: Callable[[int, Report], None] | None = None,
    ) -> list[Report]:
        """Draft, submit and approve many reports at once, in one transaction.

        For imports and migrations, where a reviewer approves a checked batch. Each report
        passes the same rules as :meth:`approve`, in order. By default the first refusal
        aborts the batch (nothing is filed) and names the item (0-based). With
        ``on_refused``, a refused item is left out, the callback hears of it with its
        index, and the batch goes on. ``on_filed`` hears of each item filed. The author
        submits, the reviewer approves.
        """
        _named(author)
        _named(reviewer)
        if self.four_eyes and author == reviewer:
            raise RuleViolation(errors.WORKFLOW, f"{reviewer} cannot approve their own reports")
        now = self.clock.now()
        states: dict[tuple[RecordType, str], Record | None] = {}
        last_date: dict[tuple[RecordType, str], date] = {}
        created: set[tuple[RecordType, str]] = set()
        personal: dict[tuple[RecordType, str], Mapping[str, Any]] = {}
        filed: list[Report] = []
        drafts = list(drafts)
        if drafts and all(_registers_new(d) for d in drafts):
            return self._register_many(drafts, author, reviewer, now, on_refused, on_filed)
        with self.store.transaction():
            fresh = self._fresh_ids(drafts)
            for index, d in enumerate(drafts):
                try:
                    with self.store.transaction() if on_refused else nullcontext():
                        report = self._file_one(
                            d, author, reviewer, now, states, last_date, created, personal, fresh
                        )
                except RuleViolation as exc:
                    refusal = RuleViolation(exc.rule, f"item {index}: {exc.message}")
                    if on_refused is None:
                        raise refusal from exc
                    on_refused(index, refusal)
                    continue
                filed.append(report)
                if on_filed is not None:
                    on_filed(index, report)
            for new in (True, False):
                records = [r for k, r in states.items() if r is not None and (k in created) is new]
                self.store.put_records(records, new=new)
            for key, state in states.items():
                if isinstance(state, Accident) and key in personal:
                    self.store.put_victims(state.id, victims_from(state, personal[key]))
        return filed

    def _register_many(
        self,
        drafts: Sequence[Draft],
        author: str,
        reviewer: str,
        now: datetime,
        on_refused: Callable[[int, RuleViolation], None] | None,
        on_filed: Callable[[int, Report], None] | None,
    ) -> list[Report]:
        """:meth:`file_many` for a batch that only registers new records (an import):
        each report is judged on its own payload, so the batch is stored at once and the
        rules run over it; area geometries are checked and measured in array operations.

        A refused item rolls the batch back; with ``on_refused`` the batch is then filed
        again without the refused items (they stay refused: the rules of a new record
        read nothing but its report)."""
        index = list(range(len(drafts)))
        while True:
            refused: list[tuple[int, RuleViolation]] = []
            try:
                with self.store.transaction():
                    filed = self._register_batch(
                        [drafts[i] for i in index], author, reviewer, now, refused
                    )
                    if refused:
                        raise _Refused
            except _Refused:
                if on_refused is None:
                    position, violation = refused[0]
                    raise RuleViolation(
                        violation.rule, f"item {index[position]}: {violation.message}"
                    ) from violation
                for position, violation in refused:
                    on_refused(
                        index[position],
                        RuleViolation(
                            violation.rule, f"item {index[position]}: {violation.message}"
                        ),
                    )
                skip = {position for position, _ in refused}
                index = [i for position, i in enumerate(index) if position not in skip]
                continue
            if on_filed is not None:
                for i, report in zip(index, filed, strict=True):
                    on_filed(i, report)
            return filed

    def _register_batch(
        self,
        drafts: Sequence[Draft],
        author: str,
        reviewer: str,
        now: datetime,
        refused: list[tuple[int, RuleViolation]],
    ) -> list[Report]:
        if not drafts:
            return []
        fresh = self._fresh_ids(drafts)
        kinds = [ReportKind(d.kind) for d in drafts]
        news = [
            NewReport(
                kind=kind,
                record_id=next(fresh[kind.record_type]),
                report_date=d.report_date or now.date(),
                payload=d.payload,
                author=author,
                created_at=now,
            )
            for kind, d in zip(kinds, drafts, strict=True)
        ]
        reports = self.store.add_reports(news, approved_by=reviewer, at=now)
        areas = [i for i, kind in enumerate(kinds) if kind is ReportKind.AREA_REGISTER]
        measured: dict[int, geo.Measured] = {}
        for i, m in zip(areas, geo.measure_many([_shape(drafts[i]) for i in areas]), strict=True):
            if isinstance(m, geo.Measured):
                measured[i] = m  # a refusal is left to the rules, which word it
        records: list[Record] = []
        for i, report in enumerate(reports):
            try:
                records.append(apply(None, report, self.rules, measured.get(i)))
            except RuleViolation as exc:
                refused.append((i, exc))
        if not refused:
            self.store.put_records(records, new=True)
        return reports

    def _file_one(
        self,
        d: Draft,
        author: str,
        reviewer: str,
        now: datetime,
        states: dict[tuple[RecordType, str], Record | None],
        last_date: dict[tuple[RecordType, str], date],
        created: set[tuple[RecordType, str]],
        personal: dict[tuple[RecordType, str], Mapping[str, Any]],
        fresh: dict[RecordType, Iterator[str]],
    ) -> Report:
        kind = _kind(d.kind)
        record_id = d.record_id
        if record_id is None and kind.creates_record:
            record_id = next(fresh[kind.record_type])
            states[(kind.record_type, record_id)] = None  # unused: nothing to load
            created.add((kind.record_type, record_id))
        elif record_id is None:
            raise RuleViolation(errors.INVALID_REPORT, f"a {kind} report names its record")
        key = (kind.record_type, record_id)
        if key not in states:
            existing = in_force(self.store.reports(record_type=key[0], record_id=record_id))
            states[key] = self._fold(existing, None)
            if states[key] is None:
                created.add(key)
            else:
                last_date[key] = existing[-1].report_date
        payload = self._with_part_id(kind, record_id, dict(d.payload), None)
        report = self.store.add_report(
            NewReport(
                kind=kind,
                record_id=record_id,
                report_date=d.report_date or now.date(),
                payload=payload,
                author=author,
                created_at=now,
                personal=d.personal,
            ),
            approved_by=reviewer,
            at=now,
        )
        if key in last_date and report.report_date < last_date[key]:
            # backdated within the batch: replay the record in date order
            everything = self.store.reports(record_type=key[0], record_id=record_id)
            states[key] = self._fold(in_force(everything), report)
        else:
            states[key] = self._apply(states[key], report, report)
        last_date[key] = max(report.report_date, last_date.get(key, report.report_date))
        if d.personal is not None:
            personal[key] = d.personal
        return report

    # --- helpers -------------------------------------------------------------------------
    def _move(
        self,
        report_id: int,
        expected: ReportStatus,
        status: ReportStatus,
        user: str,
        note: str | None = None,
    ) -> Report:
        try:
            return self.store.set_status(
                report_id, expected=expected, status=status, by=user, at=self.clock.now(), note=note
            )
        except Conflict as exc:
            raise RuleViolation(
                errors.WORKFLOW, f"{exc}; it must be {expected} to become {status}"
            ) from exc

    def _new_id(self, record_type: RecordType) -> str:
        return next(self._new_ids(record_type, 1))

    def _new_ids(self, record_type: RecordType, count: int) -> Iterator[str]:
        """Fresh readable ids, reserved ``count`` at a time; never an id already in use."""
        prefix, width = ID_FORMAT[record_type]
        while True:
            first = self.store.next_number(record_type.value, count)
            block = [f"{prefix}{n:0{width}d}" for n in range(first, first + count)]
            # a record exists only through its reports, so its reports say if an id is taken
            taken = self.store.record_ids_taken(record_type, block)
            yield from (candidate for candidate in block if candidate not in taken)

    def _fresh_ids(self, drafts: Sequence[Draft]) -> dict[RecordType, Iterator[str]]:
        """For a batch: an id source for each record type that its drafts create."""
        counts: dict[RecordType, int] = {}
        for d in drafts:
            try:
                kind = ReportKind(d.kind)
            except ValueError:
                continue  # refused with its item number when the batch reaches it
            if kind.creates_record and d.record_id is None:
                counts[kind.record_type] = counts.get(kind.record_type, 0) + 1
        return {t: self._new_ids(t, n) for t, n in counts.items()}

    def _with_part_id(
        self,
        kind: ReportKind,
        record_id: str,
        payload: dict[str, Any],
        original: Report | None,
    ) -> dict[str, Any]:
        if kind not in _PART_IDS:
            return payload
        field, prefix = _PART_IDS[kind]
        if payload.get(field) is None:
            if original is not None and original.payload.get(field) is not None:
                payload[field] = original.payload[field]
            else:
                n = self.store.next_number(f"{record_id}/{field}")
                payload[field] = f"{prefix}{n}"
        return payload

    def _superseded(self, report_id: int, kind: ReportKind, record_id: str | None) -> Report:
        original = self.store.report(report_id)
        if original.status is not ReportStatus.APPROVED or original.superseded_by is not None:
            raise RuleViolation(
                errors.WORKFLOW,
                f"report {report_id} is not an approved report in force; only those are superseded",
            )
        if original.kind is not kind or record_id not in (None, original.record_id):
            raise RuleViolation(
                errors.WORKFLOW,
                f"a correction of report {report_id} is a {original.kind} report on "
                f"{original.record_id}",
            )
        return original

    def _check_draft(
        self,
        candidate: Report,
        personal: Mapping[str, Any] | None,
        skip: int | None = None,
    ) -> None:
        """Refuse a report that the rules would refuse if it were approved now, after the
        pending reports of its record that fit."""
        reports = self.store.reports(
            record_type=candidate.record_type, record_id=candidate.record_id
        )
        approved = in_force([r for r in reports if r.id != skip])
        if candidate.supersedes is not None:
            approved = [r for r in approved if r.id != candidate.supersedes]
        pending = [
            r
            for r in reports
            if r.status in (ReportStatus.DRAFT, ReportStatus.SUBMITTED)
            and r.id != skip
            and r.supersedes is None
        ]
        state: Record | None = None
        for report in sorted([*approved, *pending, candidate], key=order):
            if report.status is not ReportStatus.APPROVED:
                try:
                    state = apply(state, report, self.rules)
                except RuleViolation:
                    continue  # a pending report that does not fit is judged on its own
            else:
                state = self._apply(state, report, candidate)
        if candidate.kind is ReportKind.ACCIDENT and isinstance(state, Accident):
            victims_from(state, personal)

    def _fold(self, sequence: Sequence[Report], new: Report | None) -> Record | None:
        state: Record | None = None
        for report in sequence:
            state = self._apply(state, report, new)
        return state

    def _apply(self, state: Record | None, report: Report, new: Report | None) -> Record:
        try:
            return apply(state, report, self.rules)
        except RuleViolation as exc:
            if new is None or report.id in (new.id, _CANDIDATE_ID):
                raise
            # a backdated report can break a later one: refuse it, saying which
            raise RuleViolation(
                exc.rule,
                f"with this report in force, the later report {report.id} would be refused: "
                f"{exc.message}",
            ) from exc

    def _victims(self, sequence: Sequence[Report], accident: Accident) -> tuple[Victim, ...]:
        reports = [r for r in sequence if r.kind is ReportKind.ACCIDENT]
        return victims_from(accident, self.store.personal_data(reports[-1].id))


class _Refused(Exception):
    """Rolls back a batch that holds a refused item."""


def _registers_new(d: Draft) -> bool:
    """Whether ``d`` registers a new record and carries no personal data."""
    try:
        kind = ReportKind(d.kind)
    except ValueError:
        return False
    return kind.creates_record and d.record_id is None and d.personal is None


def _shape(d: Draft) -> BaseGeometry | None:
    """The draft's geometry, parsed; None when it has none that parses (the rules then
    refuse it with their own words)."""
    if d.shape is not None:
        return d.shape
    try:
        return geo.from_geojson(d.payload.get("geometry"))
    except geo.GeometryError:
        return None


def _kind(kind: ReportKind | str) -> ReportKind:
    try:
        return ReportKind(kind)
    except ValueError as exc:
        raise RuleViolation(
            errors.INVALID_REPORT,
            f"unknown report kind {kind!r}; kinds: {', '.join(ReportKind)}",
        ) from exc


def _named(user: str) -> None:
    if not user or not user.strip():
        raise RuleViolation(errors.WORKFLOW, "every change is made by a named user")
