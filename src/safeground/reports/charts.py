"""Charts of a forecast, drawn with matplotlib into PNG files (no display needed).

- :func:`s_curve_png`: cumulative land released or assets rebuilt over working days, the
  plan's curve and the P10-P90 band of the forecast around its P50;
- :func:`tornado_png`: for each uncertainty, the P50 completion with it at its low and at
  its high end, widest first, around the plan's date;
- :func:`gantt_figure`: the plan as lanes of team types, each task a bar from its start to
  its end, coloured by the kind of work.

Each ``*_figure`` function returns a matplotlib Figure (for the HTML and PDF reports);
each ``*_png`` writes it to a file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

from safeground.forecast import SCurve, Tornado

UNITS = {"land": ("km² released", 1e-6), "priority land": ("km² released", 1e-6)}


def s_curve_png(curve: SCurve, path: Path, *, title: str | None = None) -> Path:
    """The S-curve of ``curve`` with its band, written to ``path``."""
    s_curve_figure(curve, title=title).savefig(path)
    return path


def s_curve_figure(curve: SCurve, *, title: str | None = None) -> Figure:
    """The S-curve of ``curve``: the plan's curve, the forecast's P50 and P10-P90 band."""
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
    return fig


def tornado_png(tornado: Tornado, path: Path, *, top: int = 8) -> Path:
    """The tornado chart of ``tornado`` (its ``top`` widest bars), written to ``path``."""
    tornado_figure(tornado, top=top).savefig(path)
    return path


def tornado_figure(tornado: Tornado, *, top: int = 8) -> Figure:
    """The tornado chart of ``tornado``: its ``top`` widest bars, widest at the top."""
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
    return fig


#: Colours of the kinds of work in the Gantt chart.
WORK_COLOURS = {
    "technical survey": "tab:blue",
    "clearance": "tab:red",
    "EOD rubble check": "tab:purple",
    "reconstruction": "tab:green",
}


def gantt_figure(
    bars: Sequence[tuple[str, str, float, float]],
    capacities: Mapping[str, int] | None = None,
) -> Figure:
    """The plan by team type: ``bars`` are (team type, work, start day, end day), one per
    task and team type it uses. Tasks overlap within a lane (a lane is every team of
    that type), so bars are translucent: the darker, the more tasks at once.
    ``capacities`` (teams per type) label the lanes."""
    lanes = sorted({b[0] for b in bars})
    fig = Figure(figsize=(8, 0.45 * len(lanes) + 1.8), dpi=120)
    ax = fig.subplots()
    alpha = 0.6 if len(bars) < 50 else max(0.04, min(0.6, 25 / len(bars)))
    kinds: dict[str, str] = {}
    for lane_no, lane in enumerate(lanes):
        for kind in sorted({b[1] for b in bars if b[0] == lane}):
            spans = [(s, max(e - s, 0.5)) for t, w, s, e in bars if t == lane and w == kind]
            colour = WORK_COLOURS.get(kind, "tab:gray")
            ax.broken_barh(spans, (lane_no - 0.35, 0.7), color=colour, alpha=alpha)
            kinds[kind] = colour
    labels = [
        f"{lane} ({capacities[lane]})" if capacities and lane in capacities else lane
        for lane in lanes
    ]
    ax.set_yticks(range(len(lanes)), labels)
    ax.set_ylim(-0.6, len(lanes) - 0.4)
    ax.invert_yaxis()
    ax.set_xlabel("working days from the start")
    ax.set_title("the plan by team type (teams of each type in brackets)")
    for kind, colour in kinds.items():
        ax.plot([], [], color=colour, linewidth=6, label=kind)
    if kinds:
        ax.legend(loc="lower right", fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
