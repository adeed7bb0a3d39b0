"""Scores, ranks, explanations and the wording rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeground.priority.criteria import default_config
from safeground.priority.scoring import (
    AreaFacts,
    completion_weights,
    explain,
    score_areas,
    wording_problems,
)

CFG = default_config()

facts_strategy = st.fixed_dictionaries(
    {
        "people": st.floats(0, 500),
        "accidents": st.floats(0, 50),
        "reconstruction": st.floats(0, 20),
        "infrastructure": st.floats(0, 10),
        "agriculture": st.sampled_from(["agriculture", "forest", "pasture", "", "quarry"]),
        "evidence": st.sampled_from(["CHA", "SHA", ""]),
        "predicted_risk": st.one_of(st.none(), st.floats(0, 1)),
    }
)


@given(st.lists(facts_strategy, min_size=1, max_size=8))
def test_contributions_add_up_to_the_score_which_lies_in_zero_one(values: list[dict]) -> None:
    facts = [AreaFacts(f"HA-{i}", v) for i, v in enumerate(values)]
    scores = score_areas(facts, CFG)
    for s in scores:
        assert 0.0 <= s.score <= 1.0
        assert sum(c.contribution for c in s.contributions) == pytest.approx(s.score)
        assert sum(c.weight for c in s.contributions) == pytest.approx(1.0)
    assert [s.rank for s in scores] == list(range(1, len(scores) + 1))
    assert [s.score for s in scores] == sorted((s.score for s in scores), reverse=True)


def _area(area_id: str, **values: object) -> AreaFacts:
    base: dict[str, object] = {
        "people": 0.0,
        "accidents": 0.0,
        "reconstruction": 0.0,
        "infrastructure": 0.0,
        "agriculture": "forest",
        "evidence": "SHA",
    }
    return AreaFacts(area_id, {**base, **values})  # type: ignore[arg-type]


def test_area_with_people_and_accidents_ranks_before_a_remote_forest() -> None:
    scores = score_areas(
        [_area("remote"), _area("village", people=40.0, accidents=3.0, evidence="CHA")], CFG
    )
    assert [s.area_id for s in scores] == ["village", "remote"]
    assert scores[0].band == "higher priority" or scores[0].score > scores[1].score


def test_a_higher_ranked_criterion_outweighs_a_lower_ranked_one() -> None:
    # same normalised value on people (rank 1) vs evidence-type difference (rank 6)
    a = _area("people", people=20.0)  # normalised 0.5 on the top criterion
    b = _area("evidence", evidence="CHA")  # 0.5 more on a low-ranked criterion
    first = score_areas([a, b], CFG)[0]
    assert first.area_id == "people"


def test_predicted_risk_counts_only_when_given() -> None:
    without = score_areas([_area("a")], CFG)[0]
    assert "predicted_risk" not in {c.criterion for c in without.contributions}
    with_risk = score_areas([_area("a", predicted_risk=0.9)], CFG)[0]
    assert "predicted_risk" in {c.criterion for c in with_risk.contributions}


def test_completion_weights_run_from_one_to_the_largest_weight() -> None:
    scores = score_areas([_area("low"), _area("high", people=1e9, accidents=1e9)], CFG)
    weights = completion_weights(scores, 10.0)
    assert weights["low"] >= 1.0 and weights["high"] > weights["low"]
    assert weights["high"] <= 10.0


def test_explanation_shows_each_criterion_and_a_sum_equal_to_the_score() -> None:
    s = score_areas([_area("HA-1", people=12.0, agriculture="agriculture")], CFG)[0]
    lines = explain(s, total_areas=1)
    assert lines[0].startswith("HA-1: priority score")
    for c in s.contributions:
        assert any(line.strip().startswith(f"{c.criterion}:") for line in lines)
    total = float(next(line for line in lines if "sum of contributions" in line).split("=")[1])
    assert total == pytest.approx(s.score, abs=1e-3)


def test_a_low_score_is_worded_lower_priority_never_safe() -> None:
    s = score_areas([_area("HA-9")], CFG)[0]
    assert s.band == "lower priority"
    text = "\n".join(explain(s))
    assert "lower priority" in text
    assert wording_problems(text) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("this area is safe", ["safe"]),
        ("Low risk land", ["low risk"]),
        ("cleared of mines", ["cleared"]),
        ("run safeground priority --json", []),
        ("lower priority: stays hazardous until released", []),
        ("clearance task", []),
    ],
)
def test_wording_check_finds_forbidden_words_but_not_the_program_name(
    text: str, found: list[str]
) -> None:
    assert wording_problems(text) == found
