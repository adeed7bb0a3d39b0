"""Contamination-risk models: fit, score, calibrate, explain. Pure: numpy and scikit-learn.

Three kinds, each additive in its features so that every prediction splits exactly into a
base and one contribution per feature (no approximation):

- ``linear``: logistic regression on standardised features (median-imputed);
- ``gbm``: scikit-learn's histogram gradient boosting with ``no_interactions``, so that each
  tree uses one feature and the model is a sum of one step function per feature (a
  generalised additive model, as explainable-boosting models are);
- ``ensemble``: the mean of the two logits.

No extrapolation: a value outside the range the model was trained on is held at that
range's edge before scoring (the gradient-boosting part is flat beyond it anyway; the
linear part would otherwise extrapolate into a region it knows nothing about), and
:meth:`RiskModel.outside` tells how much of a table lies out there.

The model's raw score is that logit. The ``risk`` it reports is a calibrated probability:
a sigmoid (Platt) or isotonic map from the logit, fitted on out-of-fold logits of
municipality-grouped folds *inside the training data*, so calibration never sees the rows
it will be judged on. Rows labelled -1 (unlabelled) are left out of fitting: they are not
negatives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from safeground.risk.features import Feature

UNLABELLED = -1


class ModelKind(StrEnum):
    LINEAR = "linear"
    GBM = "gbm"
    ENSEMBLE = "ensemble"


class Calibration(StrEnum):
    SIGMOID = "sigmoid"
    ISOTONIC = "isotonic"


def _linear() -> Pipeline:
    # Moderate regularisation: grouped validation showed C between 0.01 and 1 within noise.
    return make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=0.1, max_iter=2000),
    )


def _gbm(seed: int) -> HistGradientBoostingClassifier:
    # Shallow, slow, strongly regularised and additive: it has to transfer, not fit.
    return HistGradientBoostingClassifier(
        max_depth=2,
        learning_rate=0.05,
        max_iter=100,
        l2_regularization=5.0,
        min_samples_leaf=100,
        interaction_cst="no_interactions",
        early_stopping=False,
        random_state=seed,
    )


def _estimators(kind: ModelKind, seed: int) -> list[Any]:
    if kind is ModelKind.LINEAR:
        return [_linear()]
    if kind is ModelKind.GBM:
        return [_gbm(seed)]
    return [_linear(), _gbm(seed)]


def _logit(estimators: Sequence[Any], x: np.ndarray) -> np.ndarray:
    logits = [np.asarray(e.decision_function(x), dtype=float) for e in estimators]
    return np.asarray(np.mean(logits, axis=0), dtype=float)


@dataclass(frozen=True)
class Calibrator:
    """A monotone map from logit to probability: Platt's sigmoid ``1 / (1 + exp(-(a*s + b)))``
    or an isotonic step function through (``xs``, ``ys``)."""

    method: Calibration
    a: float = 1.0
    b: float = 0.0
    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        if self.method is Calibration.SIGMOID:
            return np.asarray(1.0 / (1.0 + np.exp(-(self.a * scores + self.b))), dtype=float)
        return np.asarray(np.interp(scores, self.xs, self.ys), dtype=float)


def fit_calibrator(scores: np.ndarray, y: np.ndarray, method: Calibration) -> Calibrator:
    """The calibrator of ``method`` fitted on (score, label) pairs."""
    if method is Calibration.SIGMOID:
        lr = LogisticRegression(C=1e6, max_iter=1000).fit(scores.reshape(-1, 1), y)
        return Calibrator(method, float(lr.coef_[0, 0]), float(lr.intercept_[0]))
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(scores, y)
    return Calibrator(
        method,
        xs=tuple(float(v) for v in iso.X_thresholds_),
        ys=tuple(float(v) for v in iso.y_thresholds_),
    )


@dataclass(frozen=True)
class Explained:
    """Each row's raw score (logit) split into a base and one contribution per feature:
    ``base + contributions.sum(axis=1) == logit`` (exactly, up to float rounding)."""

    base: float
    contributions: np.ndarray  # rows x features
    logit: np.ndarray


@dataclass(frozen=True)
class RiskModel:
    """A fitted risk model: its features, kind, estimators, calibrator, the reference row
    (training medians) against which contributions are measured, and each feature's
    training range (``lower``, ``upper``; empty in a model without ranges: no clipping)."""

    features: tuple[Feature, ...]
    kind: ModelKind
    estimators: tuple[Any, ...]
    calibrator: Calibrator
    reference: tuple[float, ...]
    label: str = ""
    group: str = ""
    lower: tuple[float, ...] = ()
    upper: tuple[float, ...] = ()

    def within_range(self, x: np.ndarray) -> np.ndarray:
        """``x`` with each value held inside its feature's training range (NaN stays)."""
        if not self.lower:
            return x
        return np.asarray(np.clip(x, self.lower, self.upper), dtype=float)

    def outside(self, x: np.ndarray) -> np.ndarray:
        """The share of rows of ``x`` outside the training range, per feature (unknown
        values are not counted as outside)."""
        if not self.lower or len(x) == 0:
            return np.zeros(x.shape[1], dtype=float)
        with np.errstate(invalid="ignore"):
            out = (x < np.asarray(self.lower)) | (x > np.asarray(self.upper))
        return np.asarray(out.mean(axis=0), dtype=float)

    def logit(self, x: np.ndarray) -> np.ndarray:
        """The raw score of each row of ``x`` (features in :attr:`features` order), with
        values outside the training range held at its edge."""
        return _logit(self.estimators, self.within_range(x))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The calibrated probability of contamination of each row."""
        return self.calibrator(self.logit(x))

    def explain(self, x: np.ndarray) -> Explained:
        """Each row's logit as base + per-feature contributions. Every kind is additive in
        its features, so feature j's contribution is the change of the logit when the
        reference row takes row's value of feature j alone (held inside the training
        range, as in :meth:`logit`); they add up exactly."""
        ref = np.asarray(self.reference, dtype=float)
        base = float(self.logit(ref.reshape(1, -1))[0])
        n, d = x.shape
        contributions = np.empty((n, d), dtype=float)
        for j in range(d):
            probe = np.tile(ref, (n, 1))
            probe[:, j] = x[:, j]
            contributions[:, j] = self.logit(probe) - base
        return Explained(base, contributions, self.logit(x))


def labelled(y: np.ndarray) -> np.ndarray:
    """The mask of labelled rows: label 0 or 1 (-1 is unlabelled, never a negative).

    Raises ValueError on any other label value.
    """
    bad = ~np.isin(y, (0, 1, UNLABELLED))
    if bad.any():
        raise ValueError(f"labels must be 1, 0 or -1 (unlabelled); found {sorted(set(y[bad]))}")
    return np.asarray(y != UNLABELLED)


def _fit_estimators(kind: ModelKind, x: np.ndarray, y: np.ndarray, seed: int) -> list[Any]:
    return [e.fit(x, y) for e in _estimators(kind, seed)]


def _ranges(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's least and greatest known value (-inf and inf for a column of NaN)."""
    known = ~np.isnan(x)
    lower = np.where(known, x, np.inf).min(axis=0, initial=np.inf)
    upper = np.where(known, x, -np.inf).max(axis=0, initial=-np.inf)
    none = ~known.any(axis=0)
    return np.where(none, -np.inf, lower), np.where(none, np.inf, upper)


def fit(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    features: Sequence[Feature],
    *,
    kind: ModelKind = ModelKind.ENSEMBLE,
    calibration: Calibration = Calibration.SIGMOID,
    calibration_folds: int = 5,
    seed: int = 0,
    label: str = "",
    group: str = "",
) -> RiskModel:
    """A risk model fitted on the labelled rows of ``x``/``y`` (-1 rows are dropped), with
    its calibrator fitted on out-of-fold logits of folds grouped by ``groups``.

    Raises ValueError when fewer than two groups or only one class are labelled.
    """
    keep = labelled(np.asarray(y))
    x, y, groups = x[keep], np.asarray(y)[keep].astype(int), np.asarray(groups)[keep]
    if len(set(y.tolist())) < 2:
        raise ValueError("training needs labelled rows of both classes (1 and 0)")
    n_groups = len(set(groups.tolist()))
    if n_groups < 2:
        raise ValueError("calibration needs at least two groups (municipalities) with labels")
    oof = np.empty(len(y), dtype=float)
    for train, test in GroupKFold(n_splits=min(calibration_folds, n_groups)).split(x, y, groups):
        if len(set(y[train].tolist())) < 2:
            raise ValueError("a calibration fold holds one class only: give more groups")
        # held-out rows scored as a new region is: inside the range the fold trained on
        held = np.clip(x[test], *_ranges(x[train]))
        oof[test] = _logit(_fit_estimators(kind, x[train], y[train], seed), held)
    calibrator = fit_calibrator(oof, y, calibration)
    estimators = _fit_estimators(kind, x, y, seed)
    lower, upper = _ranges(x)
    return RiskModel(
        tuple(features),
        kind,
        tuple(estimators),
        calibrator,
        reference=tuple(
            float(np.median(col[~np.isnan(col)])) if (~np.isnan(col)).any() else 0.0 for col in x.T
        ),
        label=label,
        group=group,
        lower=tuple(float(v) for v in lower),
        upper=tuple(float(v) for v in upper),
    )
