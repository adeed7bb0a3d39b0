"""Normalisation rules and the priority configuration."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeground.priority.criteria import (
    Criterion,
    PriorityConfig,
    Rule,
    config_from_toml,
    default_config,
)
from safeground.priority.weights import rank_order_centroid

CRITERIA = [
    Criterion("capped", "c", Rule.CAPPED, cap=5.0),
    Criterion("saturating", "s", Rule.SATURATING, half=2.0),
    Criterion("unit", "u", Rule.UNIT),
]


@pytest.mark.parametrize("criterion", CRITERIA, ids=lambda c: c.name)
@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_every_number_normalises_into_zero_one(criterion: Criterion, value: float) -> None:
    assert 0.0 <= criterion.normalise(value) <= 1.0


@pytest.mark.parametrize("criterion", CRITERIA, ids=lambda c: c.name)
@given(a=st.floats(0, 1e6), b=st.floats(0, 1e6))
def test_normalisation_never_lowers_a_larger_value(
    criterion: Criterion, a: float, b: float
) -> None:
    lo, hi = sorted((a, b))
    assert criterion.normalise(lo) <= criterion.normalise(hi)


def test_rules_give_their_stated_values() -> None:
    capped, saturating, unit = CRITERIA
    assert capped.normalise(2.5) == 0.5 and capped.normalise(50) == 1.0
    assert saturating.normalise(2.0) == 0.5 and saturating.normalise(6.0) == 0.75
    assert unit.normalise(0.3) == 0.3 and unit.normalise(-1) == 0.0
    assert capped.normalise(None) == 0.0


def test_category_takes_the_first_level_found_in_the_text_else_the_default() -> None:
    land = Criterion("land", "l", Rule.CATEGORY, levels={"agri": 1.0, "pasture": 0.7}, default=0.1)
    assert land.normalise("Agriculture (maize)") == 1.0
    assert land.normalise("pasture") == 0.7
    assert land.normalise("quarry") == 0.1


def test_levels_outside_zero_one_are_refused() -> None:
    with pytest.raises(ValueError, match="must lie in"):
        Criterion("x", "x", Rule.CATEGORY, levels={"a": 2.0})


def test_shipped_config_ranks_people_first_with_roc_weights_over_the_criteria_in_use() -> None:
    cfg = default_config()
    assert cfg.criteria[0].name == "people"
    weights = cfg.weights(available=[])  # no predicted risk given: it is left out
    assert "predicted_risk" not in weights
    assert list(weights.values()) == pytest.approx(rank_order_centroid(len(weights)))
    all_weights = cfg.weights()
    assert len(all_weights) == len(cfg.criteria)
    assert math.isclose(sum(all_weights.values()), 1.0)
    for c in cfg.criteria:  # every rule is stated in words
        assert c.rule_text()


def test_explicit_weights_must_add_up_to_one_and_be_given_for_all() -> None:
    text = """
[[criteria]]
name = "a"
rule = "unit"
weight = 0.7
[[criteria]]
name = "b"
rule = "unit"
weight = 0.4
"""
    with pytest.raises(ValueError, match="add up to 1"):
        config_from_toml(text)
    with pytest.raises(ValueError, match="every criterion states a weight"):
        PriorityConfig((Criterion("a", "a", Rule.UNIT, weight=1.0), Criterion("b", "b", Rule.UNIT)))


def test_explicit_weights_are_rescaled_when_an_optional_criterion_is_left_out() -> None:
    cfg = PriorityConfig(
        (
            Criterion("a", "a", Rule.UNIT, weight=0.6),
            Criterion("b", "b", Rule.UNIT, weight=0.2),
            Criterion("r", "r", Rule.UNIT, weight=0.2, optional=True),
        )
    )
    assert cfg.weights(available=["a", "b"]) == pytest.approx({"a": 0.75, "b": 0.25})


def test_unknown_keys_in_a_priority_file_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown keys"):
        config_from_toml('[[criteria]]\nname = "a"\nrule = "unit"\nwieght = 1\n')
