"""Contamination-risk models on the RELand grid of Eastern Antioquia: municipality-grouped
cross-validation and contiguous-block holdouts, one row per model.

    python benchmarks/risk.py [CSV] [--folds 5]

CSV defaults to ../shared/data/reland_antioquia/train_all.csv. Rows labelled -1 are left
out. Each held-out prediction comes from a model (calibration included) fitted without
the held-out municipalities. Columns: ROC-AUC, PR-AUC, the share of mine cells found in
the top 10 % and 20 % of cells ranked by risk; then the ROC-AUC of each contiguous block
of municipalities held out (the quarter furthest west, east, south, north); then, over the
small regions of --region-size neighbouring municipalities held out one at a time (each
municipality with its nearest neighbours, like the few municipalities of a new survey), the
mean, median and worst ROC-AUC and how many fall below 0.6.
"""

from __future__ import annotations

import argparse
import os
import statistics
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
    parser.add_argument("--region-size", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    results = evaluate(
        args.csv,
        label=args.label,
        group=args.group,
        folds=args.folds,
        region_size=args.region_size,
    )
    blocks = list(results[0].blocks) if results else []
    n_regions = len(results[0].regions) if results else 0
    head = ["model", "ROC-AUC", "PR-AUC", "top 10 %", "top 20 %"]
    head += [f"{b} ROC-AUC" for b in blocks] + ["blocks mean"]
    if n_regions:
        head += [f"{n_regions} regions: mean", "median", "worst", "below 0.6"]
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
        if n_regions:
            aucs = [m.roc_auc for m in r.regions.values()]
            cells += [
                f"{statistics.fmean(aucs):.3f}",
                f"{statistics.median(aucs):.3f}",
                f"{min(aucs):.3f}",
                str(sum(a < 0.6 for a in aucs)),
            ]
        print("| " + " | ".join(cells) + " |")
    for b in blocks:
        print(f"{b}: {', '.join(results[0].block_groups[b])}")
    print(f"({time.perf_counter() - start:.0f} s; models: {', '.join(k.value for k in ModelKind)})")


if __name__ == "__main__":
    main()
