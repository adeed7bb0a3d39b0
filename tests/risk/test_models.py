"""Risk models: exact contributions, calibration, and unlabelled rows never negatives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from safeground.risk.features import Feature
from safeground.risk.models import Calibration, ModelKind, RiskModel, fit
from safeground.risk.state import model_from_state, model_state

FEATURES = (Feature("a"), Feature("b"), Feature("c", one_hot=True))


def _data(n: int = 600, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(size=n), rng.normal(size=n), rng.integers(0, 2, n)])
    logit = 1.5 * x[:, 0] - x[:, 1] + 0.5 * x[:, 2]
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    groups = np.array([f"m{i % 6}" for i in range(n)], dtype=object)
    return x, y, groups


_MODELS: dict[ModelKind, RiskModel] = {}


def _model(kind: ModelKind) -> RiskModel:
    if kind not in _MODELS:
        x, y, g = _data()
        _MODELS[kind] = fit(x, y, g, FEATURES, kind=kind, seed=0)
    return _MODELS[kind]


rows = arrays(
    float,
    st.tuples(st.integers(1, 5), st.just(3)),
    elements=st.one_of(st.floats(-5, 5), st.just(float("nan"))),
)


@pytest.mark.parametrize("kind", list(ModelKind))
@settings(max_examples=30, deadline=None)
@given(x=rows)
def test_contributions_and_base_add_up_to_the_models_logit(kind: ModelKind, x: np.ndarray) -> None:
    model = _model(kind)
    e = model.explain(x)
    assert e.base + e.contributions.sum(axis=1) == pytest.approx(model.logit(x), abs=1e-9)


@pytest.mark.parametrize("kind", list(ModelKind))
def test_models_learn_the_direction_of_the_signal(kind: ModelKind) -> None:
    model = _model(kind)
    e = model.explain(np.array([[2.0, 0.0, 0.0], [-2.0, 0.0, 0.0]]))
    assert e.contributions[0, 0] > 0 > e.contributions[1, 0]
    risk = model.predict(np.array([[2.0, -2.0, 1.0], [-2.0, 2.0, 0.0]]))
    assert 0 < risk[1] < risk[0] < 1


def test_unlabelled_rows_are_left_out_not_used_as_negatives() -> None:
    x, y, g = _data()
    # unlabelled rows where the signal says "mine": as negatives they would pull the model
    extra = np.column_stack([np.full(300, 2.0), np.full(300, -2.0), np.ones(300)])
    with_unlabelled = fit(
        np.vstack([x, extra]),
        np.concatenate([y, np.full(300, -1)]),
        np.concatenate([g, np.array(["m0"] * 300, dtype=object)]),
        FEATURES,
        kind=ModelKind.LINEAR,
    )
    without = fit(x, y, g, FEATURES, kind=ModelKind.LINEAR)
    probe = np.array([[2.0, -2.0, 1.0], [0.0, 0.0, 0.0]])
    assert with_unlabelled.logit(probe) == pytest.approx(without.logit(probe))


def test_labels_other_than_one_zero_minus_one_are_refused() -> None:
    x, y, g = _data(60)
    with pytest.raises(ValueError, match="labels must be"):
        fit(x, np.where(y == 1, 2, 0), g, FEATURES)


@pytest.mark.parametrize("method", list(Calibration))
def test_calibrated_risk_is_a_probability_that_rises_with_the_logit(method: Calibration) -> None:
    x, y, g = _data()
    model = fit(x, y, g, FEATURES, kind=ModelKind.LINEAR, calibration=method)
    grid = np.column_stack([np.linspace(-4, 4, 50), np.zeros(50), np.zeros(50)])
    risk = model.predict(grid)
    assert ((risk >= 0) & (risk <= 1)).all()
    assert (np.diff(risk) >= -1e-12).all()
    # calibrated on held-out folds: mean predicted risk near the observed rate
    assert abs(model.predict(x).mean() - y.mean()) < 0.05


@pytest.mark.parametrize("kind", list(ModelKind))
def test_values_beyond_the_training_range_score_as_its_edge(kind: ModelKind) -> None:
    model = _model(kind)
    x, _, _ = _data()
    top = x[:, 0].max()
    far = np.array([[top + 50.0, 0.0, 0.0], [top, 0.0, 0.0], [np.nan, 0.0, 0.0]])
    logit = model.logit(far)
    assert logit[0] == pytest.approx(logit[1])  # no extrapolation, linear part included
    assert model.outside(far) == pytest.approx([1 / 3, 0.0, 0.0])  # unknown is not outside
    e = model.explain(far)
    assert e.base + e.contributions.sum(axis=1) == pytest.approx(logit, abs=1e-9)


def test_calibration_sees_held_out_rows_clipped_as_scoring_clips_them() -> None:
    # one fold's municipality lies far outside the others' range on feature a: its
    # out-of-fold logits must be those of the edge, not of a linear extrapolation
    x, y, g = _data()
    x[g == "m0", 0] += 40.0
    model = fit(x, y, g, FEATURES, kind=ModelKind.LINEAR)
    assert model.calibrator.a > 0.1  # extrapolated logits flatten it to about 0.002


def test_model_state_round_trips_to_the_same_predictions() -> None:
    model = _model(ModelKind.ENSEMBLE)
    again = model_from_state(model_state(model))
    x, _, _ = _data(50, seed=3)
    assert again.predict(x) == pytest.approx(model.predict(x))
    assert (again.lower, again.upper) == (model.lower, model.upper)
    with pytest.raises(ValueError, match="not a safeground risk model"):
        model_from_state({"format": "other"})


def test_a_model_file_without_training_ranges_loads_and_does_not_clip() -> None:
    state = model_state(_model(ModelKind.LINEAR))
    del state["lower"], state["upper"]
    old = model_from_state(state)
    far = np.array([[50.0, 0.0, 0.0], [60.0, 0.0, 0.0]])
    assert old.logit(far)[1] > old.logit(far)[0]
    assert list(old.outside(far)) == [0.0, 0.0, 0.0]
