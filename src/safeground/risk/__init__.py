"""Contamination risk on grid cells: features that transfer, additive models with exact
per-feature contributions, calibrated probabilities, and grouped spatial validation.

Pure core: numpy and scikit-learn, no I/O (reading tables and writing model files is
:mod:`safeground.services.risk`).
"""

from safeground.risk.features import Aligned, Feature, choose_features, feature_matrix
from safeground.risk.models import (
    Calibration,
    Calibrator,
    Explained,
    ModelKind,
    RiskModel,
    fit,
    labelled,
)
from safeground.risk.validation import (
    Metrics,
    block_holdout,
    contiguous_blocks,
    found_in_top,
    grouped_cv,
    metrics,
    neighbour_regions,
)

__all__ = [
    "Aligned",
    "Calibration",
    "Calibrator",
    "Explained",
    "Feature",
    "Metrics",
    "ModelKind",
    "RiskModel",
    "block_holdout",
    "choose_features",
    "contiguous_blocks",
    "feature_matrix",
    "fit",
    "found_in_top",
    "grouped_cv",
    "labelled",
    "metrics",
    "neighbour_regions",
]
