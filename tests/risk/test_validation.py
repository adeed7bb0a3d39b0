"""Grouped spatial validation and its metrics."""

from __future__ import annotations

import numpy as np
import pytest

from safeground.risk.features import Feature
from safeground.risk.models import ModelKind
from safeground.risk.validation import (
    contiguous_blocks,
    found_in_top,
    grouped_cv,
    neighbour_regions,
)


def test_found_in_top_counts_the_share_of_positives_in_the_top_cells() -> None:
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1])
    risk = np.array([0.9, 0.8, 0.1, 0.5, 0.4, 0.3, 0.2, 0.15, 0.12, 0.11])
    assert found_in_top(y, risk, 0.10) == pytest.approx(1 / 3)  # top 1 cell
    assert found_in_top(y, risk, 0.20) == pytest.approx(1 / 3)  # top 2 cells
    assert found_in_top(y, risk, 1.0) == 1.0


def test_grouped_cv_gives_no_credit_for_learning_which_municipality_a_cell_is_in() -> None:
    # The label depends only on the municipality, and each municipality has its own
    # one-hot feature: a random split would score near 1; held-out municipalities are
    # never seen, so grouped CV must find nothing (ROC-AUC near 0.5).
    rng = np.random.default_rng(0)
    n_groups, per = 10, 60
    groups = np.repeat([f"m{i}" for i in range(n_groups)], per).astype(object)
    x = np.zeros((n_groups * per, n_groups))
    for i in range(n_groups):
        x[i * per : (i + 1) * per, i] = 1.0
    rate = np.repeat(rng.permutation([0.1, 0.9] * (n_groups // 2)), per)
    y = (rng.uniform(size=len(rate)) < rate).astype(int)
    features = tuple(Feature(f"g{i}", one_hot=True) for i in range(n_groups))
    result, _ = grouped_cv(x, y, groups, features, kind=ModelKind.LINEAR, folds=5)
    assert result.roc_auc < 0.65


def test_contiguous_blocks_take_the_outermost_municipalities_in_each_direction() -> None:
    groups = np.array(["a", "b", "c", "d"], dtype=object)
    lon = np.array([-76.0, -75.0, -74.0, -73.0])
    lat = np.array([6.0, 5.0, 7.0, 4.0])
    blocks = contiguous_blocks(groups, lon, lat)
    assert blocks == {"west": ["a"], "east": ["d"], "south": ["d"], "north": ["c"]}


def test_neighbour_regions_hold_each_municipality_with_its_nearest_and_no_region_twice() -> None:
    # five municipalities on a line west to east (two cells each), c-d-e bunched together
    groups = np.array(list("aabbccddee"), dtype=object)
    lon = np.repeat([-77.0, -75.0, -74.5, -74.2, -74.05], 2)
    lat = np.full(10, 6.0)
    regions = neighbour_regions(groups, lon, lat, size=3)
    assert regions == {"a": ["a", "b", "c"], "b": ["b", "c", "d"], "c": ["c", "d", "e"]}
    # d's and e's nearest three are c, d and e again: that region is listed once
