"""The one error family of the domain: a rule refused a report."""

from __future__ import annotations


class RuleViolation(Exception):
    """A report was refused because it would break a rule.

    ``rule`` is a stable name (e.g. ``area-not-covered``) that callers, tests and
    translations can key on; the message says what and why, in numbers where there are any.
    """

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"[{rule}] {message}")
        self.rule = rule
        self.message = message


# The stable rule names.
INVALID_REPORT = "invalid-report"
INVALID_GEOMETRY = "invalid-geometry"
RECORD_EXISTS = "record-exists"
UNKNOWN_RECORD = "unknown-record"
AREA_NOT_COVERED = "area-not-covered"
CLEARANCE_WITHOUT_DEPTH = "clearance-without-depth"
CLEARANCE_WITHOUT_QA = "clearance-without-qa"
RELEASE_EXCEEDS_AREA = "release-exceeds-area"
OUTCOME_OUTSIDE_AREA = "outcome-outside-area"
OUTCOME_WRONG_ACTIVITY = "outcome-wrong-activity"
APPROVED_REPORT_IMMUTABLE = "approved-report-immutable"
CLOSED_AREA_NEEDS_REOPEN = "closed-area-needs-reopen"
REOPEN_NEEDS_EVIDENCE = "reopen-needs-evidence"
HANDOVER_BEFORE_CLOSE = "handover-before-close"
AREA_SHRINKS_BELOW_RELEASE = "area-excludes-released-land"
WORKFLOW = "workflow"  # a report moved out of turn (approve a draft, reject an approved one)
