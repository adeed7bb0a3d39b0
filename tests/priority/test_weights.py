"""Rank-order-centroid weights."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeground.priority.weights import rank_order_centroid


def test_three_criteria_get_the_published_roc_weights() -> None:
    # Barron & Barrett 1996: 11/18, 5/18, 2/18
    assert rank_order_centroid(3) == pytest.approx((11 / 18, 5 / 18, 2 / 18))


@given(st.integers(min_value=1, max_value=40))
def test_roc_weights_add_up_to_one_and_fall_with_rank(n: int) -> None:
    w = rank_order_centroid(n)
    assert len(w) == n
    assert sum(w) == pytest.approx(1.0)
    assert all(a > b for a, b in pairwise(w))
    assert all(x > 0 for x in w)


def test_roc_weights_of_no_criteria_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one criterion"):
        rank_order_centroid(0)
