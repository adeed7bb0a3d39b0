"""Contamination-risk models on the RELand grid of Eastern Antioquia: municipality-grouped
cross-validation and contiguous-block holdouts, one row per model.

    python benchmarks/risk.py [CSV] [--folds 5]

CSV defaults to ../shared/data/reland_antioquia/train_all.csv. Rows labelled -1 are left
out. Each held-out prediction comes from a model (calibration included) fitted without
the held-out municipalities. Columns: ROC-AUC, PR-AUC, the share of mine cells found in
the top 10 % and 20 % of cells ranked by risk; then the ROC-AUC of each contiguous block
of municipalities held out (the quarter furthest west, east, south, north).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # a shared machine

from safeground.risk.models import ModelKind
from safeground.services.risk import evaluate

DEFAULT = Path(__file__).parents[2] / "shared" / "data" / "reland_antioquia" / "train_all.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--label", default="mines_outcome")
    parser.add_argument("--group", default="Municipio")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    results = evaluate(args.csv, label=args.label, group=args.group, folds=args.folds)
    blocks = list(results[0].blocks) if results else []
    head = ["model", "ROC-AUC", "PR-AUC", "top 10 %", "top 20 %"]
    head += [f"{b} ROC-AUC" for b in blocks] + ["blocks mean"]
    print(
        f"{args.csv.name}: {results[0].cv.rows} labelled cells, {results[0].cv.positives} "
        f"mine cells; {args.folds} municipality-grouped folds"
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in results:
        cells = [
            r.kind.value,
            f"{r.cv.roc_auc:.3f}",
            f"{r.cv.pr_auc:.3f}",
            f"{r.cv.top10:.1%}",
            f"{r.cv.top20:.1%}",
        ]
        cells += [f"{r.blocks[b].roc_auc:.3f}" for b in blocks]
        mean = sum(r.blocks[b].roc_auc for b in blocks) / max(len(blocks), 1)
        cells.append(f"{mean:.3f}")
        print("| " + " | ".join(cells) + " |")
    for b in blocks:
        print(f"{b}: {', '.join(results[0].block_groups[b])}")
    print(f"({time.perf_counter() - start:.0f} s; models: {', '.join(k.value for k in ModelKind)})")


if __name__ == "__main__":
    main()
