"""Risk workflows: train, score another region's table, model files, the real grid."""

from __future__ import annotations

import csv
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from typer.testing import CliRunner

from safeground.cli import app
from safeground.risk.models import ModelKind
from safeground.services import risk

SHARED = Path(__file__).parents[3] / "shared" / "data" / "reland_antioquia" / "train_all.csv"
runner = CliRunner()


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def _grid(path: Path, n: int = 400, seed: int = 0, label: bool = True) -> Path:
    rng = np.random.default_rng(seed)
    header = [
        "Municipio",
        "roads_dist",
        "settlement_dist",
        "elevation",
        "Vocacion_Agrícola",
        "Vocacion_Forestal",
    ]
    if label:
        header.append("mines_outcome")
    rows = []
    for i in range(n):
        roads, settle = rng.exponential(3.0), rng.exponential(5.0)
        agri = int(rng.integers(0, 2))
        p = 1 / (1 + np.exp(-(1.5 - roads + 0.8 * agri)))
        y = int(rng.uniform() < p) if i % 7 else -1
        row: list[object] = [f"M{i % 8}", roads, settle, rng.normal(1000, 200), agri, 1 - agri]
        if label:
            row.append(y)
        rows.append(row)
    return _write(path, header, rows)


def test_train_leaves_unlabelled_rows_out_and_scores_another_region(tmp_path: Path) -> None:
    model = tmp_path / "m.skops"
    trained = risk.train(
        _grid(tmp_path / "a.csv"),
        label="mines_outcome",
        group="Municipio",
        model_out=model,
        kind=ModelKind.LINEAR,
    )
    assert trained.unlabelled_rows == len([i for i in range(400) if i % 7 == 0])
    assert trained.labelled_rows + trained.unlabelled_rows == 400
    # another region: no label, one one-hot column missing, columns in another order
    other = _write(
        tmp_path / "b.csv",
        ["id", "Vocacion_Agrícola", "roads_dist", "settlement_dist", "elevation"],
        [["near", 1, 0.1, 2.0, 900], ["far", 0, 500.0, 2.0, 900]],
    )
    scored = risk.score(other, model_path=model, out=tmp_path / "out.csv")
    assert scored.missing == ("Vocacion_Forestal",)
    assert scored.outside == {"roads_dist": 0.5}  # 500 is far beyond any training distance
    with (tmp_path / "out.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == ["near", "far"]
    assert float(rows[0]["risk"]) > float(rows[1]["risk"])


def test_model_files_holding_other_types_or_pickles_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.skops"
    bad.write_bytes(sio.dumps({"format": "safeground.risk/1", "x": Path("/etc/passwd")}))
    with pytest.raises(ValueError, match="not trusted"):
        risk.load_model(bad)
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(pickle.dumps({"format": "safeground.risk/1"}))
    with pytest.raises(ValueError, match="not a safeground risk model"):
        risk.load_model(pickled)
    foreign = tmp_path / "foreign.skops"
    foreign.write_bytes(sio.dumps({"format": "someone else's"}))
    with pytest.raises(ValueError, match="not a safeground risk model"):
        risk.load_model(foreign)


def test_cli_trains_and_scores_and_names_the_missing_columns(tmp_path: Path) -> None:
    model = tmp_path / "m.skops"
    result = runner.invoke(
        app,
        [
            "risk",
            "train",
            str(_grid(tmp_path / "a.csv")),
            "--label",
            "mines_outcome",
            "--group",
            "Municipio",
            "--model",
            str(model),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "unlabelled rows left out" in result.output
    target = _write(
        tmp_path / "b.csv", ["roads_dist", "settlement_dist"], [[1.0, 2.0], [1000.0, 2.0]]
    )
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["risk", "score", str(target), "--model", str(model), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Vocacion_Agrícola" in result.output and "elevation" in result.output
    assert "does not extrapolate" in result.output and "roads_dist 50.0% of rows" in result.output
    assert out.read_text("utf-8").splitlines()[0] == "roads_dist,settlement_dist,risk"


def test_explained_scores_add_up_to_the_logit_that_the_risk_calibrates(tmp_path: Path) -> None:
    model = tmp_path / "m.skops"
    risk.train(_grid(tmp_path / "a.csv"), label="mines_outcome", group="Municipio", model_out=model)
    target = _grid(tmp_path / "b.csv", n=40, seed=5, label=False)
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["risk", "score", str(target), "--model", str(model), "--out", str(out), "--explain"]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    parts = [c for c in rows[0] if c.startswith("contribution_")]
    assert "contribution_roads_dist" in parts and "contribution_Municipio" not in parts
    for r in rows:
        total = float(r["logit_base"]) + sum(float(r[c]) for c in parts)
        assert total == pytest.approx(float(r["logit"]), abs=1e-5)
    by_logit = sorted(rows, key=lambda r: float(r["logit"]))
    assert [float(r["risk"]) for r in by_logit] == sorted(float(r["risk"]) for r in rows)
    # the signal: the nearer the road, the higher the contribution of roads_dist
    by_road = sorted(rows, key=lambda r: float(r["roads_dist"]))
    assert float(by_road[0]["contribution_roads_dist"]) > float(
        by_road[-1]["contribution_roads_dist"]
    )


def test_cli_validates_on_held_out_municipalities_without_the_unlabelled_rows(
    tmp_path: Path,
) -> None:
    grid = _grid(tmp_path / "a.csv")
    args = ["risk", "validate", str(grid), "--label", "mines_outcome", "--group", "Municipio"]
    result = runner.invoke(app, [*args, "--kind", "linear", "--folds", "4", "--json"])
    assert result.exit_code == 0, result.output
    (ev,) = json.loads(result.stdout)
    assert ev["kind"] == "linear"
    assert ev["cv"]["rows"] == 400 - len(range(0, 400, 7))  # -1 rows left out
    assert ev["cv"]["roc_auc"] > 0.75  # the grid's signal: near roads, farmland
    assert ev["blocks"] == {} and ev["regions"] == {}  # no coordinates in this grid
    result = runner.invoke(app, [*args, "--kind", "forest"])
    assert result.exit_code == 1 and "forest" in result.output


def test_cli_refuses_an_unknown_label_column(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "risk",
            "train",
            str(_grid(tmp_path / "a.csv")),
            "--label",
            "nope",
            "--group",
            "Municipio",
            "--model",
            str(tmp_path / "m.skops"),
        ],
    )
    assert result.exit_code == 1
    assert "nope" in result.output


@pytest.mark.slow
def test_real_grid_grouped_cv_beats_the_simple_baseline() -> None:
    if not SHARED.exists():
        pytest.skip(f"real data not found: {SHARED} (../shared is absent)")
    (ev,) = risk.evaluate(
        SHARED, label="mines_outcome", group="Municipio", kinds=(ModelKind.ENSEMBLE,)
    )
    assert ev.cv.positives == 1132 and ev.cv.rows == 1132 + 3357  # -1 rows left out
    assert ev.cv.roc_auc >= 0.68  # the simple gradient-boosting baseline: about 0.66
    assert ev.cv.top20 > 0.2  # better than surveying at random
    assert set(ev.blocks) == {"west", "east", "south", "north"}
    # each municipality with its two nearest held out: 19 regions, one repeated, and
    # every region left holds both classes
    assert len(ev.regions) == 18 and all(len(g) == 3 for g in ev.region_groups.values())
    assert sum(m.roc_auc for m in ev.regions.values()) / len(ev.regions) > 0.65
