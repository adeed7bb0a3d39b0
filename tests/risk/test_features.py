"""Feature choice and column alignment across regions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from safeground.risk.features import Feature, choose_features, feature_matrix

HEADER = [
    "LATITUD_Y",
    "LONGITUD_X",
    "mines_outcome",
    "elevation",
    "Vocacion_Agrícola",
    "Vocacion_Forestal",
    "CLIMA_Frío húmedo",
    "population_2020",
    "Municipio",
    "Homicidio, Masacre",
    "roads_dist",
    "settlement_dist",
]


def test_features_leave_out_ids_coordinates_label_and_per_municipality_counts() -> None:
    names = [f.column for f in choose_features(HEADER, exclude=("mines_outcome", "Municipio"))]
    assert names == [
        "elevation",
        "Vocacion_Agrícola",
        "Vocacion_Forestal",
        "population_2020",
        "roads_dist",
        "settlement_dist",
    ]


def test_distances_and_population_are_log_transformed() -> None:
    features = (Feature("roads_dist", "log1p"), Feature("elevation"))
    m = feature_matrix({"roads_dist": ["0", "9"], "elevation": ["800", ""]}, features, 2).matrix
    assert m[1, 0] == pytest.approx(math.log(10))
    assert m[0, 1] == 800 and np.isnan(m[1, 1])


def test_missing_one_hot_column_is_absent_and_missing_numeric_is_unknown_both_reported() -> None:
    features = (Feature("Vocacion_Ganadera", one_hot=True), Feature("roads_dist", "log1p"))
    aligned = feature_matrix({"other": ["1"]}, features, 1)
    assert aligned.missing == ("Vocacion_Ganadera", "roads_dist")
    assert aligned.matrix[0, 0] == 0.0 and np.isnan(aligned.matrix[0, 1])


def test_a_text_in_a_number_column_is_refused_by_column_name() -> None:
    with pytest.raises(ValueError, match="roads_dist"):
        feature_matrix({"roads_dist": ["far"]}, (Feature("roads_dist", "log1p"),), 1)
