"""Which columns a risk model uses, how each is transformed, and how the columns of
another region's table are aligned with them.

The features are chosen to transfer to a region the model never saw (measured with
municipality-grouped and held-out-block validation, see ``benchmarks/risk.py``):

- every distance column (name ending ``_dist``) as ``log(1 + d)``: what matters is near or
  far, and a log scale keeps the long tails of one region from dominating;
- elevation, population (``log(1 + p)``) and the relative wealth index, where present;
- one-hot land-capability columns (prefix ``Vocacion_``), aligned by name: a column the
  table lacks means the category is absent there (0).

Left out on purpose: identifiers and coordinates (they name places, not causes), and
columns constant within a municipality (conflict and victim counts per municipality): with
a score per municipality, a model learns the municipalities of its training region and
fails on another one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

#: Column suffix of distances (log-transformed).
DISTANCE_SUFFIX = "_dist"
#: Further numeric columns, with their transform.
NUMERIC: Mapping[str, str] = {
    "elevation": "identity",
    "population_2020": "log1p",
    "rwi": "identity",
}
#: Prefixes of one-hot columns aligned by name.
ONE_HOT_PREFIXES = ("Vocacion_",)


@dataclass(frozen=True)
class Feature:
    """One model input: a table column and its transform ("log1p" or "identity"); one-hot
    columns missing from a table count as 0, numeric ones as unknown (NaN)."""

    column: str
    transform: str = "identity"
    one_hot: bool = False

    def __post_init__(self) -> None:
        if self.transform not in ("identity", "log1p"):
            raise ValueError(f"feature {self.column}: unknown transform {self.transform!r}")

    @property
    def name(self) -> str:
        return f"log1p({self.column})" if self.transform == "log1p" else self.column


def choose_features(columns: Sequence[str], exclude: Sequence[str] = ()) -> tuple[Feature, ...]:
    """The features of a table with these ``columns`` (see the module docstring), in the
    table's column order, leaving out ``exclude`` (the label and group columns).

    Raises ValueError when no column qualifies.
    """
    skip = set(exclude)
    out: list[Feature] = []
    for col in columns:
        if col in skip:
            continue
        if col.endswith(DISTANCE_SUFFIX):
            out.append(Feature(col, "log1p"))
        elif col in NUMERIC:
            out.append(Feature(col, NUMERIC[col]))
        elif col.startswith(ONE_HOT_PREFIXES):
            out.append(Feature(col, one_hot=True))
    if not out:
        raise ValueError(
            f"no usable feature columns: need columns ending in {DISTANCE_SUFFIX!r}, "
            f"or {sorted(NUMERIC)}, or one-hot columns starting {ONE_HOT_PREFIXES}"
        )
    return tuple(out)


def _number(values: Sequence[object]) -> np.ndarray:
    out = np.empty(len(values), dtype=float)
    for i, v in enumerate(values):
        if v is None or (isinstance(v, str) and v.strip() == ""):
            out[i] = np.nan
            continue
        try:
            out[i] = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ValueError(f"not a number: {v!r}") from exc
    return out


@dataclass(frozen=True)
class Aligned:
    """A feature matrix aligned with a model's features, and the columns the table lacked."""

    matrix: np.ndarray  # rows x features, transformed
    missing: tuple[str, ...]


def feature_matrix(
    table: Mapping[str, Sequence[object]], features: Sequence[Feature], rows: int
) -> Aligned:
    """The transformed matrix of ``features`` from ``table`` (column -> values, ``rows``
    long), aligned by column name. Missing one-hot columns are 0 (the category is absent),
    missing numeric columns unknown (NaN, imputed by the model); both are listed in
    ``missing``. Raises ValueError naming a column with a value that is not a number."""
    matrix = np.empty((rows, len(features)), dtype=float)
    missing: list[str] = []
    for j, f in enumerate(features):
        if f.column not in table:
            missing.append(f.column)
            matrix[:, j] = 0.0 if f.one_hot else np.nan
            continue
        try:
            values = _number(table[f.column])
        except ValueError as exc:
            raise ValueError(f"column {f.column}: {exc}") from exc
        if len(values) != rows:
            raise ValueError(f"column {f.column} has {len(values)} values, expected {rows}")
        if f.transform == "log1p":
            values = np.log1p(np.clip(values, 0.0, None))
        matrix[:, j] = values
    return Aligned(matrix, tuple(missing))
