"""Charts of a forecast, drawn with matplotlib into PNG files (no display needed).

- :func:`s_curve_png`: cumulative land released or assets rebuilt over working days, the
  plan's curve and the P10-P90 band of the forecast around its P50;
- :func:`tornado_png`: for each uncertainty, the P50 completion with it at its low and at
  its high end, widest first, around the plan's date.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

from safeground.forecast import SCurve, Tornado

UNITS = {"land": ("km² released", 1e-6), "priority land": ("km² released", 1e-6)}


def s_curve_png(curve: SCurve, path: Path, *, title: str | None = None) -> Path:
    """The S-curve of ``curve`` with its band, written to ``path``."""
    label, scale = UNITS.get(curve.what, (f"{curve.what} done", 1.0))
    fig = Figure(figsize=(8, 4.5), dpi=120)
    ax = fig.subplots()
    days = curve.days
    lo, mid, hi = (curve.bands[i] * scale for i in range(3))
    ax.fill_between(days, lo, hi, alpha=0.25, label="P10-P90 of the forecast")
    ax.plot(days, mid, linewidth=2, label="P50 of the forecast")
    ax.plot(days, curve.planned * scale, linestyle="--", color="black", label="the plan")
    ax.set_xlabel("working days from the start")
    ax.set_ylabel(label)
    ax.set_title(title or f"{curve.what}: plan and forecast")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    return path


def tornado_png(tornado: Tornado, path: Path, *, top: int = 8) -> Path:
    """The tornado chart of ``tornado`` (its ``top`` widest bars), written to ``path``."""
    bars = list(tornado.bars[:top])[::-1]
    fig = Figure(figsize=(8, 0.5 * len(bars) + 1.5), dpi=120)
    ax = fig.subplots()
    for i, bar in enumerate(bars):
        low, high = sorted((bar.at_low, bar.at_high))
        ax.barh(i, high - low, left=low, color="tab:orange", alpha=0.8)
    ax.axvline(tornado.base, color="black", linestyle="--", label="the plan")
    ax.set_yticks(range(len(bars)), [b.uncertainty.replace("productivity:", "") for b in bars])
    ax.set_xlabel(f"P50 working days until all {tornado.measure} is delivered")
    ax.set_title("which uncertainty moves the date most")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    return path
