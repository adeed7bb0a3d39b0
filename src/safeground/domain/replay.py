"""Event sourcing: the state of a record is the fold of its approved reports.

Reports apply in report-date order (ties by report id). ``as_of`` answers "what was
known on that day": only reports dated on or before it *and* approved on or before it
count, and a correction counts only once it was itself approved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from safeground.domain.model import Record, ReleaseRules, Report, ReportStatus
from safeground.domain.rules import apply


def in_force(reports: Iterable[Report], as_of: date | None = None) -> list[Report]:
    """The approved, not superseded reports, in the order they apply."""
    approved = [
        r
        for r in reports
        if r.status is ReportStatus.APPROVED
        and (
            as_of is None
            or (
                r.report_date <= as_of
                and r.reviewed_at is not None
                and r.reviewed_at.date() <= as_of
            )
        )
    ]
    superseded = {r.supersedes for r in approved if r.supersedes is not None}
    return sorted((r for r in approved if r.id not in superseded), key=order)


def order(report: Report) -> tuple[date, int]:
    return (report.report_date, report.id)


def fold(reports: Sequence[Report], rules: ReleaseRules) -> Record | None:
    """The state after applying ``reports`` in the given order (None for no reports)."""
    state: Record | None = None
    for report in reports:
        state = apply(state, report, rules)
    return state


def replay(
    reports: Iterable[Report], rules: ReleaseRules, as_of: date | None = None
) -> Record | None:
    """The state of one record from all its reports (any status), as of a day."""
    return fold(in_force(reports, as_of), rules)
