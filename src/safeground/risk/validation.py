"""Validation the way the field needs it: never random splits.

Rows are grouped by municipality; every fold holds out whole municipalities
(:func:`grouped_cv`), and :func:`block_holdout` holds out a geographically contiguous block
of them to imitate a region the model never saw: the quarter furthest west, east, south or
north by their centres (:func:`contiguous_blocks`), or each municipality with its nearest
neighbours, a small region like the few municipalities a new survey covers
(:func:`neighbour_regions`). Each held-out prediction comes from a model, calibration
included, fitted without the held-out rows.

Metrics: ROC-AUC, PR-AUC (average precision), and the share of mine cells found when
surveying the top 10 % and 20 % of cells ranked by risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import GroupKFold

from safeground.risk.features import Feature
from safeground.risk.models import Calibration, ModelKind, fit, labelled


def found_in_top(y: np.ndarray, risk: np.ndarray, share: float) -> float:
    """The share of positive rows among the ``share`` of rows ranked highest by ``risk``
    (ties broken by row order). Raises ValueError when there are no positives."""
    positives = int(np.sum(y == 1))
    if positives == 0:
        raise ValueError("no positive rows to find")
    k = int(np.ceil(share * len(y)))
    top = np.argsort(-risk, kind="stable")[:k]
    return float(np.sum(y[top] == 1) / positives)


@dataclass(frozen=True)
class Metrics:
    roc_auc: float
    pr_auc: float
    top10: float  # share of mine cells in the top 10 % by risk
    top20: float
    rows: int
    positives: int


def metrics(y: np.ndarray, risk: np.ndarray) -> Metrics:
    """The metrics of ``risk`` against 0/1 labels ``y``."""
    return Metrics(
        float(roc_auc_score(y, risk)),
        float(average_precision_score(y, risk)),
        found_in_top(y, risk, 0.10),
        found_in_top(y, risk, 0.20),
        len(y),
        int(np.sum(y == 1)),
    )


def grouped_cv(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    features: Sequence[Feature],
    *,
    kind: ModelKind,
    folds: int = 5,
    calibration: Calibration = Calibration.SIGMOID,
    seed: int = 0,
) -> tuple[Metrics, np.ndarray]:
    """Pooled out-of-fold metrics of ``kind`` over ``folds`` municipality-grouped folds, and
    the out-of-fold risks of the labelled rows. Unlabelled rows (-1) are left out."""
    keep = labelled(np.asarray(y))
    x, y, groups = x[keep], np.asarray(y)[keep].astype(int), np.asarray(groups)[keep]
    risk = np.empty(len(y), dtype=float)
    for train, test in GroupKFold(n_splits=folds).split(x, y, groups):
        model = fit(
            x[train],
            y[train],
            groups[train],
            features,
            kind=kind,
            calibration=calibration,
            seed=seed,
        )
        risk[test] = model.predict(x[test])
    return metrics(y, risk), risk


def contiguous_blocks(
    groups: np.ndarray, lon: np.ndarray, lat: np.ndarray, share: float = 0.25
) -> dict[str, list[str]]:
    """Blocks of neighbouring groups: for each of west, east, south and north, the groups
    whose centre lies in the outermost ``share`` of group centres in that direction."""
    names = sorted(set(groups.tolist()))
    centres = {
        g: (float(np.mean(lon[groups == g])), float(np.mean(lat[groups == g]))) for g in names
    }
    k = max(1, round(share * len(names)))
    by_lon = sorted(names, key=lambda g: centres[g][0])
    by_lat = sorted(names, key=lambda g: centres[g][1])
    return {
        "west": by_lon[:k],
        "east": by_lon[-k:],
        "south": by_lat[:k],
        "north": by_lat[-k:],
    }


def neighbour_regions(
    groups: np.ndarray, lon: np.ndarray, lat: np.ndarray, size: int = 3
) -> dict[str, list[str]]:
    """Small contiguous regions: each group with its ``size - 1`` nearest groups (by the
    distance between group centres, in degrees scaled to the mean latitude), named after
    it; a region already listed under another name is not repeated."""
    names = sorted(set(groups.tolist()))
    scale = np.cos(np.deg2rad(float(np.mean(lat))))
    centres = np.array(
        [(np.mean(lon[groups == g]) * scale, np.mean(lat[groups == g])) for g in names]
    )
    regions: dict[str, list[str]] = {}
    seen: set[frozenset[str]] = set()
    for i, name in enumerate(names):
        near = np.argsort(np.hypot(*(centres - centres[i]).T), kind="stable")[:size]
        members = [names[j] for j in near]
        if frozenset(members) not in seen:
            seen.add(frozenset(members))
            regions[name] = members
    return regions


def block_holdout(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    block: Sequence[str],
    features: Sequence[Feature],
    *,
    kind: ModelKind,
    calibration: Calibration = Calibration.SIGMOID,
    seed: int = 0,
) -> Metrics:
    """Metrics on the labelled rows of the groups in ``block`` of a model fitted on all the
    other groups' labelled rows."""
    keep = labelled(np.asarray(y))
    x, y, groups = x[keep], np.asarray(y)[keep].astype(int), np.asarray(groups)[keep]
    test = np.isin(groups, list(block))
    model = fit(
        x[~test], y[~test], groups[~test], features, kind=kind, calibration=calibration, seed=seed
    )
    return metrics(y[test], model.predict(x[test]))
