"""Risk workflows: train a model from a CSV grid, score another CSV, validate.

Tables are read with the standard csv module (all columns as text; the core converts).
Model files are skops files (a zip of JSON and arrays, not pickle): loading builds only
types this module trusts (scikit-learn and numpy, see
:data:`safeground.risk.state.TRUSTED_PREFIXES`) and refuses a file holding any other type
or lacking the safeground format mark. The trust model: a model file cannot run code when
loaded; it can still hold a bad model, so score only with models you trained or trust.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import skops.io as sio
from threadpoolctl import threadpool_limits

from safeground.risk.areas import AreaRisk, area_risks
from safeground.risk.features import Feature, choose_features, feature_matrix
from safeground.risk.models import Calibration, ModelKind, RiskModel, fit, labelled
from safeground.risk.state import TRUSTED_PREFIXES, model_from_state, model_state
from safeground.risk.validation import (
    Metrics,
    block_holdout,
    contiguous_blocks,
    grouped_cv,
    neighbour_regions,
)
from safeground.services.priority import open_areas
from safeground.store.base import Store

#: Longitude and latitude columns used to form contiguous blocks, when present.
LON, LAT = "LONGITUD_X", "LATITUD_Y"


@dataclass(frozen=True)
class Table:
    """A CSV's header and its columns (as text), in file order."""

    header: tuple[str, ...]
    columns: dict[str, list[str]]
    rows: int


def read_table(path: Path) -> Table:
    """The table in the CSV file at ``path`` (UTF-8, a header row).

    Raises ValueError when it is empty or a row has the wrong number of fields.
    """
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        try:
            header = tuple(next(reader))
        except StopIteration:
            raise ValueError(f"{path}: empty file") from None
        data = list(reader)
    for i, row in enumerate(data, start=2):
        if len(row) != len(header):
            raise ValueError(f"{path}, line {i}: {len(row)} fields, header has {len(header)}")
    columns = {name: [row[j] for row in data] for j, name in enumerate(header)}
    return Table(header, columns, len(data))


def _labels(table: Table, label: str) -> np.ndarray:
    if label not in table.columns:
        raise ValueError(f"no label column {label!r} (columns: {', '.join(table.header)})")
    try:
        return np.array([int(float(v)) for v in table.columns[label]], dtype=int)
    except ValueError as exc:
        raise ValueError(f"label column {label!r}: {exc}") from exc


def _groups(table: Table, group: str) -> np.ndarray:
    if group not in table.columns:
        raise ValueError(f"no group column {group!r}")
    return np.array(table.columns[group], dtype=object)


@dataclass(frozen=True)
class Prepared:
    x: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    features: tuple[Feature, ...]


def prepare(table: Table, label: str, group: str) -> Prepared:
    """The feature matrix, labels and groups of a training table."""
    features = choose_features(table.header, exclude=(label, group))
    aligned = feature_matrix(table.columns, features, table.rows)
    return Prepared(aligned.matrix, _labels(table, label), _groups(table, group), features)


@dataclass(frozen=True)
class Trained:
    model: RiskModel
    labelled_rows: int
    unlabelled_rows: int
    positives: int
    groups: int


def train(
    csv_path: Path,
    *,
    label: str,
    group: str,
    model_out: Path,
    kind: ModelKind = ModelKind.ENSEMBLE,
    calibration: Calibration = Calibration.SIGMOID,
    seed: int = 0,
) -> Trained:
    """Fit a risk model on the labelled rows of ``csv_path`` and write it to ``model_out``.

    Rows labelled -1 are unlabelled and left out (never used as negatives).
    """
    p = prepare(read_table(csv_path), label, group)
    with threadpool_limits(limits=1):  # a shared machine: one core for training
        model = fit(
            p.x,
            p.y,
            p.groups,
            p.features,
            kind=kind,
            calibration=calibration,
            seed=seed,
            label=label,
            group=group,
        )
    save_model(model, model_out)
    keep = labelled(p.y)
    return Trained(
        model,
        int(keep.sum()),
        int((~keep).sum()),
        int((p.y == 1).sum()),
        len(set(p.groups[keep].tolist())),
    )


def save_model(model: RiskModel, path: Path) -> None:
    """Write ``model`` as a skops file (no pickle)."""
    path.write_bytes(sio.dumps(model_state(model)))


def load_model(path: Path) -> RiskModel:
    """The model in the skops file at ``path``.

    Raises ValueError when the file is not a safeground risk model or holds a type that is
    not trusted (anything but scikit-learn, numpy and built-in values): nothing is built
    from such a file.
    """
    data = path.read_bytes()
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # skops raises several kinds on a file that is not its own
        raise ValueError(f"{path}: not a safeground risk model file ({exc})") from exc
    refused = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    if refused:
        raise ValueError(f"{path}: refused, the file holds types that are not trusted: {refused}")
    return model_from_state(sio.loads(data, trusted=untrusted))


@dataclass(frozen=True)
class Scored:
    rows: int
    missing: tuple[str, ...]  # model columns the table lacked (treated as absent)
    out: Path
    # column -> share of rows outside the training range (held at its edge), when any
    outside: dict[str, float]


def explanation_columns(model: RiskModel) -> list[str]:
    """The columns ``score(..., explain=True)`` adds after ``risk``: the logit, its base,
    and one contribution per feature, all in logit units (``logit = logit_base + the sum
    of the contribution_ columns``; ``risk`` is the calibrated map of ``logit``)."""
    return ["logit", "logit_base", *(f"contribution_{f.column}" for f in model.features)]


def score(csv_path: Path, *, model_path: Path, out: Path, explain: bool = False) -> Scored:
    """Write ``out``: the rows of ``csv_path`` with a ``risk`` column (the calibrated
    probability) and, with ``explain``, the :func:`explanation_columns`; an input column
    of the same name as an added one is replaced. The label column need not be there.
    Columns are aligned by name; a column the model knows but the table lacks is absent
    (one-hot: 0; numeric: unknown) and named in the result, as is the share of rows
    outside the range each column had in training (the model holds such values at the
    range's edge: it does not extrapolate)."""
    model = load_model(model_path)
    table = read_table(csv_path)
    aligned = feature_matrix(table.columns, model.features, table.rows)
    x = aligned.matrix
    risk = model.predict(x) if table.rows else np.empty(0)
    shares = model.outside(x)
    outside = {f.column: float(v) for f, v in zip(model.features, shares, strict=True) if v > 0}
    added = ["risk", *(explanation_columns(model) if explain else ())]
    columns = [risk]
    if explain and table.rows:
        e = model.explain(x)
        columns += [e.logit, np.full(table.rows, e.base), *e.contributions.T]
    extra = np.column_stack(columns)
    header = [h for h in table.header if h not in added]
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([*header, *added])
        for i in range(table.rows):
            writer.writerow(
                [*(table.columns[h][i] for h in header), *(f"{v:.6f}" for v in extra[i])]
            )
    return Scored(table.rows, aligned.missing, out, outside)


def _numbers(table: Table, column: str, path: Path) -> np.ndarray:
    if column not in table.columns:
        raise ValueError(f"{path}: no column {column!r} (columns: {', '.join(table.header)})")
    out = np.empty(table.rows, dtype=float)
    for i, v in enumerate(table.columns[column]):
        try:
            out[i] = float(v)
        except ValueError:
            raise ValueError(f"{path}, line {i + 2}: {column} {v!r} is not a number") from None
        if not np.isfinite(out[i]):
            raise ValueError(f"{path}, line {i + 2}: {column} {v!r} is not a finite number")
    return out


@dataclass(frozen=True)
class AreasScored:
    """The open hazard areas given a predicted risk, and those left without one."""

    areas: list[AreaRisk]
    unknown: list[str]  # no scored cell inside or near enough: risk unknown, not 0
    out: Path


def score_areas(
    store: Store,
    scored_csv: Path,
    *,
    out: Path,
    lon: str = LON,
    lat: str = LAT,
    column: str = "risk",
    max_distance_m: float = 1000.0,
) -> AreasScored:
    """Write ``out`` (``area_id,risk,cells,nearest_m``, the file ``safeground priority
    --risk`` reads): the predicted risk of each open hazard area of the register from the
    scored grid cells of ``scored_csv`` (see :func:`safeground.risk.areas.area_risks`).

    Raises ValueError naming the column and line of a value that is not a number, or a
    risk outside [0, 1].
    """
    table = read_table(scored_csv)
    risk = _numbers(table, column, scored_csv)
    bad = np.flatnonzero((risk < 0.0) | (risk > 1.0))
    if len(bad):
        raise ValueError(
            f"{scored_csv}, line {bad[0] + 2}: {column} {risk[bad[0]]} is not in [0, 1]"
        )
    areas = [(a.area_id, a.geometry) for a in open_areas(store)]
    found = area_risks(
        areas,
        _numbers(table, lon, scored_csv),
        _numbers(table, lat, scored_csv),
        risk,
        max_distance_m=max_distance_m,
    )
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["area_id", "risk", "cells", "nearest_m"])
        for a in found:
            near = "" if a.nearest_m is None else f"{a.nearest_m:.0f}"
            writer.writerow([a.area_id, f"{a.risk:.6f}", a.cells, near])
    given = {a.area_id for a in found}
    return AreasScored(found, [i for i, _ in areas if i not in given], out)


@dataclass(frozen=True)
class Evaluation:
    """Grouped-CV metrics, held-out block metrics by block name, and held-out small-region
    metrics by region name, of one model kind."""

    kind: ModelKind
    cv: Metrics
    blocks: dict[str, Metrics]
    block_groups: dict[str, list[str]]
    regions: dict[str, Metrics]
    region_groups: dict[str, list[str]]


def evaluate(
    csv_path: Path,
    *,
    label: str,
    group: str,
    kinds: Sequence[ModelKind] = tuple(ModelKind),
    folds: int = 5,
    seed: int = 0,
    region_size: int = 3,
    lon: str = LON,
    lat: str = LAT,
    progress: Callable[[int, int], None] | None = None,
) -> list[Evaluation]:
    """Municipality-grouped CV and, when the table has the ``lon`` and ``lat`` columns,
    contiguous holdouts for each model kind: the four outer blocks, and every region of
    ``region_size`` neighbouring municipalities whose labelled cells hold both classes (0
    for none). ``progress(done, total)`` is called after each validation step."""
    table = read_table(csv_path)
    p = prepare(table, label, group)
    blocks: dict[str, list[str]] = {}
    regions: dict[str, list[str]] = {}
    if lon in table.columns and lat in table.columns:
        keep = labelled(p.y)
        x_lon = _numbers(table, lon, csv_path)[keep]
        y_lat = _numbers(table, lat, csv_path)[keep]
        groups, y = p.groups[keep], p.y[keep]
        blocks = contiguous_blocks(groups, x_lon, y_lat)
        if region_size:
            regions = {
                name: members
                for name, members in neighbour_regions(groups, x_lon, y_lat, region_size).items()
                if len(set(y[np.isin(groups, members)].tolist())) == 2
            }
    total, done = len(kinds) * (1 + len(blocks) + len(regions)), 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    out = []
    with threadpool_limits(limits=1):
        for kind in kinds:
            cv, _ = grouped_cv(p.x, p.y, p.groups, p.features, kind=kind, folds=folds, seed=seed)
            step()

            def held(names: Sequence[str], kind: ModelKind = kind) -> Metrics:
                m = block_holdout(p.x, p.y, p.groups, names, p.features, kind=kind, seed=seed)
                step()
                return m

            out.append(
                Evaluation(
                    kind,
                    cv,
                    {name: held(names) for name, names in blocks.items()},
                    blocks,
                    {name: held(names) for name, names in regions.items()},
                    regions,
                )
            )
    return out
