"""Invariants of land-release accounting and of event-sourced history, for any sequence
of valid reports (hypothesis)."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeground.clock import FixedClock
from safeground.domain.errors import RuleViolation
from safeground.domain.model import HazardArea, OutcomeType, ReportKind
from safeground.services import register
from safeground.services.workflow import Workflow
from safeground.store.sqlite import SQLiteStore
from tests.conftest import Filer, box

START = date(2025, 1, 10)
ACTIVITY = {"cancelled": "A1", "reduced": "A2", "cleared": "A3"}

# One step of a story: an outcome over a strip of a 100 m x 100 m area, or a QA, or a
# closure attempt; each a day or more after the one before.
step = st.one_of(
    st.tuples(
        st.just("outcome"),
        st.sampled_from(sorted(ACTIVITY)),
        st.floats(0, 95),  # west edge, m
        st.floats(1, 60),  # width, m
        st.integers(1, 20),  # days after the previous step
    ),
    st.tuples(
        st.just("qa"),
        st.sampled_from(["passed", "failed"]),
        st.just(0.0),
        st.just(0.0),
        st.integers(0, 5),
    ),
    st.tuples(st.just("close"), st.just(""), st.just(0.0), st.just(0.0), st.integers(0, 5)),
)


def _story(
    filer: Filer, steps: list[tuple[str, str, float, float, int]]
) -> tuple[str, dict[date, HazardArea]]:
    """File the steps that the rules accept; the area's state at the end of each day."""
    area_id = filer.area(box(0, 0, 100, 100), START)
    for n, kind in enumerate(("non_technical_survey", "technical_survey", "clearance"), 1):
        filer.activity(area_id, kind, START, f"A{n}")
    states = {START: register.area(filer.workflow.store, area_id)}
    day = START
    outcomes: list[str] = []
    for n, (what, choice, west, width, gap) in enumerate(steps):
        day += timedelta(days=gap)
        try:
            if what == "outcome":
                filer.outcome(
                    area_id,
                    choice,
                    ACTIVITY[choice],
                    box(west, 0, min(width, 100 - west), 100),
                    day,
                    f"O{n}",
                    depth_cm=13 if choice == "cleared" else None,
                )
                outcomes.append(f"O{n}")
            elif what == "qa" and outcomes:
                qa = {
                    "qa_id": f"Q{n}",
                    "outcome_id": outcomes[-1],
                    "result": choice,
                    "inspector": "x",
                }
                filer.file(ReportKind.QA, day, qa, area_id)
            elif what == "close":
                filer.file(ReportKind.AREA_CLOSE, day, {}, area_id)
        except RuleViolation:
            pass
        states[day] = register.area(filer.workflow.store, area_id)
    return area_id, states


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, max_size=12))
def test_release_never_exceeds_the_area_and_history_replays_to_each_day(
    steps: list[tuple[str, str, float, float, int]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore.create(Path(tmp) / "p.gpkg")
        try:
            clock = FixedClock(START)
            filer = Filer(Workflow(store, clock=clock), clock)
            area_id, states = _story(filer, steps)
            for day, state in states.items():
                released = sum(state.released_m2(o) for o in OutcomeType)
                assert released <= state.area_m2 * (1 + 1e-9)
                assert state.remaining_m2 >= 0
                assert register.history(store, area_id, as_of=day).state == state
            assert list(register.verify(store)) == []
        finally:
            store.close()
