"""``safeground report``: the register, the plan and the forecast as one document, written
as a self-contained HTML file (an interactive map that needs no network) and a PDF of the
same content (static maps and charts).

The document (:class:`safeground.reports.document.Document`) is built here from the
store; :mod:`safeground.reports.html` and :mod:`safeground.reports.pdf` only draw it. The
land-release tables are :func:`safeground.services.register.summary`, the very rows that
``safeground summary --json`` prints, laid out as national authorities file them under
Article 7 of the Mine Ban Treaty: land cancelled (non-technical survey), reduced
(technical survey) and cleared, by period, admin unit and method.

Personal data is never read: the victims layer is not opened, and a report holds counts
of the killed and injured only. ``public`` also generalises the hazard areas not yet
released to :data:`~safeground.reports.layers.PUBLIC_GRID` cells on the map (see
:mod:`safeground.reports.layers`) and withholds the coordinates that geometry-check
messages quote.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from safeground.domain.accounting import GroupBy, ReleaseRow, SummaryRow, natural_key
from safeground.domain.model import OutcomeType
from safeground.forecast import (
    Deliverables,
    Milestones,
    SCurve,
    Tornado,
    Uncertainty,
    milestones,
    s_curves,
    simulate,
    tornado,
)
from safeground.reports import charts
from safeground.reports import layers as map_
from safeground.reports.document import (
    Cell,
    Chart,
    Document,
    MapLayer,
    Section,
    Table,
    count,
    days,
    m2,
    text,
)
from safeground.reports.layers import PUBLIC_GRID
from safeground.scenarios import Comparison
from safeground.services import register
from safeground.services import scenarios as scenario_service
from safeground.services.checking import CheckResult, check_register
from safeground.services.planning import RegionPlan, plan_region, region_work
from safeground.store.base import Store

#: Land an asset waits for is priority land (as the planner weighs it).
PRIORITY_WEIGHT = scenario_service.PRIORITY_WEIGHT
#: Findings of the geometry checks listed one by one (the counts cover them all).
MAX_FINDINGS = 200
_OUTCOMES = (OutcomeType.CANCELLED, OutcomeType.REDUCED, OutcomeType.CLEARED)
_RELEASE_COLUMNS = (
    "cancelled m² (non-technical survey)",
    "reduced m² (technical survey)",
    "cleared m² (clearance)",
    "released m²",
)
_STOCK_COLUMNS = ("hazard areas", "open", "recorded m²")
_REMAINING = "remaining m² (still hazardous)"
_COORDINATES = re.compile(r"\(\s*-?\d+\.\d+\s*,\s*-?\d+\.\d+\s*\)")


@dataclass(frozen=True)
class Outlook:
    """The plan and its forecast, as a report shows them (computed by :func:`outlook`, or
    handed over by the demo, which has them already)."""

    plan: RegionPlan
    curves: tuple[SCurve, ...]
    milestones: tuple[Milestones, ...]
    tornado: Tornado | None = None
    comparison: Comparison | None = None
    runs: int = 0


def outlook(
    store: Store,
    *,
    plan_seconds: float = 10.0,
    runs: int = 1_000,
    seed: int = 0,
    scenarios: bool = True,
) -> Outlook:
    """Plan the register's open work, forecast the plan ``runs`` times, and (with
    ``scenarios``) compare the shipped workforces and compute the tornado. Raises
    ValueError when there is no open work or no plan."""
    plan = plan_region(store, time_limit=plan_seconds, blocking_weight=PRIORITY_WEIGHT)
    schedule = plan.result.schedule
    if schedule is None:
        raise ValueError(f"no plan: {'; '.join(plan.result.explanation)}")
    problem = plan.field.problem
    work = plan.field.tasks
    deliverables = Deliverables.from_fieldwork(
        plan.field, plan.areas, priority_weight=PRIORITY_WEIGHT
    )
    sim = simulate(problem, schedule, Uncertainty(), runs=runs, seed=seed, work=work)
    stones = tuple(milestones(sim, deliverables, w) for w in ("priority land", "land", "assets"))
    curves = (s_curves(sim, deliverables, "land"), s_curves(sim, deliverables, "assets"))
    sensitivity = comparison = None
    if scenarios:
        sensitivity = tornado(
            problem, schedule, Uncertainty(), deliverables, runs=200, seed=seed, work=work
        )
        comparison = scenario_service.compare_register(
            store, scenario_service.load([]), runs=max(200, runs // 10), seed=seed
        )
    return Outlook(plan, curves, stones, sensitivity, comparison, runs)


@dataclass(frozen=True)
class Written:
    html: Path
    pdf: Path
    document: Document


def write(
    store: Store,
    out: Path,
    *,
    public: bool = False,
    forecast: Outlook | None = None,
    forecast_note: str = "",
    today: date | None = None,
) -> Written:
    """Build the document (:func:`build`) and write ``out/report.html`` and
    ``out/report.pdf`` (``report-public.*`` when ``public``); ``out`` is created."""
    from safeground.reports import html, pdf

    document = build(
        store, public=public, forecast=forecast, forecast_note=forecast_note, today=today
    )
    out.mkdir(parents=True, exist_ok=True)
    stem = "report-public" if public else "report"
    html_path = out / f"{stem}.html"
    html_path.write_text(html.render(document), encoding="utf-8")
    pdf_path = pdf.render(document, out / f"{stem}.pdf")
    return Written(html_path, pdf_path, document)


def build(
    store: Store,
    *,
    public: bool = False,
    forecast: Outlook | None = None,
    forecast_note: str = "",
    today: date | None = None,
) -> Document:
    """The report of the register in ``store`` (and of ``forecast``, when given; else
    the plan and forecast sections say ``forecast_note``)."""
    layers = _map_layers(store, public)
    bounds = map_.bounds(layers)
    notes = [
        "Areas in square metres, computed in the UTM zone of each area, never in degrees. "
        "Land not released is still suspected or confirmed hazardous: nothing here calls "
        "it safe.",
    ]
    if public:
        notes.append(
            f"Public edition: every hazard area not yet released is shown only as the centre "
            f"of its {PUBLIC_GRID:g}° grid cell (coordinates rounded to {PUBLIC_GRID:g}°), "
            "with the count of areas and the land left in the cell; land released inside "
            "open areas is counted in the tables but not drawn; no personal data, no asset "
            "names, no coordinates in the data-quality messages."
        )
    else:
        notes.append("Not for publication: hazard areas are drawn as recorded.")
    notes.append("No victim's personal data is read for any report; accidents are counts.")
    sections = (
        _overview(store),
        Section(
            "map",
            "Map",
            (
                "Hazard areas by status and priority (priority: an asset to rebuild waits "
                "for the land), land released by method, and assets to rebuild by damage "
                "grade (faded: rebuilt). Outlines: Natural Earth (public domain).",
            ),
            map=True,
        ),
        _land_release(store),
        _ordnance_and_accidents(store),
        *_plan_and_forecast(forecast, forecast_note),
        _data_quality(check_register(store), public),
    )
    return Document(
        "safeground report" + (" (public edition)" if public else ""),
        today or date.today(),
        public,
        sections,
        tuple(layers),
        map_.basemap(bounds) if bounds else None,
        bounds,
        tuple(notes),
    )


# --- tables of the register --------------------------------------------------------------
def _release_cells(row: SummaryRow) -> tuple[Cell, ...]:
    return (m2(row.cancelled_m2), m2(row.reduced_m2), m2(row.cleared_m2), m2(row.released_m2))


def release_table(
    key: str, title: str, rows: Sequence[SummaryRow], by: GroupBy, note: str = ""
) -> Table:
    """Summary rows (as :func:`register.summary` gives them) as a report table."""
    first = {
        GroupBy.TOTAL: "",
        GroupBy.ADMIN: "admin unit",
        GroupBy.YEAR: "year",
        GroupBy.MONTH: "month",
        GroupBy.METHOD: "method",
        GroupBy.AREA: "hazard area",
    }[by]
    columns: tuple[str, ...]
    if by.has_stock:
        columns = (first, *_STOCK_COLUMNS, *_RELEASE_COLUMNS, _REMAINING)
        cells = tuple(
            (
                text(r.key),
                count(r.areas),
                count(r.open_areas),
                m2(r.hazard_m2),
                *_release_cells(r),
                m2(r.remaining_m2),
            )
            for r in rows
        )
    else:
        columns = (first, *_RELEASE_COLUMNS)
        cells = tuple((text(r.key or "(no date)"), *_release_cells(r)) for r in rows)
    return Table(key, title, columns, cells, note)


def _overview(store: Store) -> Section:
    total = register.summary(store, GroupBy.TOTAL)
    return Section(
        "overview",
        "The register in one table",
        (),
        (release_table("release-total", "Land release, all periods", total, GroupBy.TOTAL),),
    )


def _land_release(store: Store) -> Section:
    by_year = register.summary(store, GroupBy.YEAR)
    by_admin = register.summary(store, GroupBy.ADMIN)
    by_method = register.summary(store, GroupBy.METHOD)
    releases = store.release_rows()
    return Section(
        "land-release",
        "Land release (the layout of Article 7 reports)",
        (
            "Cancelled: released by non-technical survey. Reduced: released by technical "
            "survey. Cleared: released by clearance to a stated depth. Periods are calendar "
            "years of the outcome's date; the numbers are those of `safeground summary`.",
        ),
        (
            release_table("release-by-year", "Land released by year", by_year, GroupBy.YEAR),
            release_table(
                "release-by-admin",
                "Hazardous areas and land released by admin unit",
                by_admin,
                GroupBy.ADMIN,
            ),
            release_table(
                "release-by-method", "Land released by method", by_method, GroupBy.METHOD
            ),
            _release_cross(releases),
        ),
    )


def _natural_items(item: tuple[tuple[str, ...], object]) -> tuple[tuple[str | int, ...], ...]:
    """Sort (key parts, value) items by their parts, numbers in names as numbers."""
    return tuple(natural_key(part) for part in item[0])


def _release_cross(releases: Iterable[ReleaseRow]) -> Table:
    """Cancelled / reduced / cleared m² by year, admin unit and method (the rows of
    Article 7's land-release form, one per period, place and method)."""
    sums: dict[tuple[str, str, str], dict[OutcomeType, float]] = defaultdict(dict)
    for r in releases:
        key = (f"{r.date:%Y}", r.admin_unit or "(no admin unit)", r.method or "")
        sums[key][r.outcome] = sums[key].get(r.outcome, 0.0) + r.released_m2
    rows = []
    for (year, admin, method), parts in sorted(sums.items(), key=_natural_items):
        done = [parts.get(o, 0.0) for o in _OUTCOMES]
        rows.append((text(year), text(admin), text(method), *map(m2, done), m2(sum(done))))
    return Table(
        "release-by-year-admin-method",
        "Land released by year, admin unit and method",
        ("year", "admin unit", "method", *_RELEASE_COLUMNS),
        tuple(rows),
    )


def _ordnance_and_accidents(store: Store) -> Section:
    admin_of = {a.area_id: a.admin_unit for a in store.area_rows()}

    def where(area_id: object) -> str:
        return admin_of.get(str(area_id or ""), "") or "(no admin unit)"

    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for item in store.layer("eo_items").records():
        counts[(str(item["date"] or "")[:4], where(item["area_id"]))]["items"] += 1
    for acc in store.layer("accidents").records():
        c = counts[(str(acc["date"] or "")[:4], where(acc["area_id"]))]
        c["accidents"] += 1
        c["killed"] += int(acc["killed"] or 0)
        c["injured"] += int(acc["injured"] or 0)
    rows = tuple(
        (
            text(year or "(no date)"),
            text(admin),
            count(c["items"]),
            count(c["accidents"]),
            count(c["killed"]),
            count(c["injured"]),
        )
        for (year, admin), c in sorted(counts.items(), key=_natural_items)
    )
    tables = [
        Table(
            "ordnance-accidents",
            "Explosive-ordnance items found and accidents, by year and admin unit",
            ("year", "admin unit", "EO items found", "accidents", "killed", "injured"),
            rows,
            "Admin unit: that of the hazard area the find or accident is recorded in.",
        )
    ]
    events: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for e in store.layer("events").records():
        year = str(e["year"] or str(e["date"] or "")[:4])
        events[(year, str(e["admin_unit"] or "(no admin unit)"))][str(e["event_type"])] += 1
    if events:
        kinds = sorted({k for c in events.values() for k in c})
        tables.append(
            Table(
                "events",
                "Reported events (imported registers), by year and admin unit",
                ("year", "admin unit", *(k.replace("_", " ") for k in kinds), "all"),
                tuple(
                    (text(y), text(a), *(count(c[k]) for k in kinds), count(sum(c.values())))
                    for (y, a), c in sorted(events.items(), key=_natural_items)
                ),
            )
        )
    return Section("ordnance", "Explosive ordnance and accidents", (), tuple(tables))


# --- plan and forecast -------------------------------------------------------------------
def _plan_and_forecast(forecast: Outlook | None, note: str) -> tuple[Section, ...]:
    if forecast is None:
        why = note or "no plan or forecast was asked for"
        return (Section("plan", "Plan and forecast", (why,)),)
    plan = forecast.plan
    rows = plan.rows()
    bars = [
        (t, r.work, float(r.start_day), float(r.end_day))
        for r in rows
        for t, n in r.teams.items()
        if n > 0
    ]
    capacities = dict(plan.capacities)
    makespan = max((r.end_day for r in rows), default=0)
    per_type: dict[str, list[Any]] = {}
    for r in rows:
        for team, n in r.teams.items():
            if n <= 0:
                continue
            s = per_type.setdefault(team, [0, math.inf, 0, 0.0])
            s[0] += 1
            s[1] = min(s[1], r.start_day)
            s[2] = max(s[2], r.end_day)
            s[3] += n * (r.end_day - r.start_day)
    team_rows = tuple(
        (
            text(team),
            count(capacities.get(team)),
            count(s[0]),
            days(s[1]),
            days(s[2]),
            days(s[3]),
            text(
                f"{s[3] / (capacities[team] * makespan):.0%}"
                if capacities.get(team) and makespan
                else "-"
            ),
        )
        for team, s in sorted(per_type.items())
    )
    status = plan.result.status.value
    plan_section = Section(
        "plan",
        "The plan by team type",
        (
            f"The plan ({status}, checked by an independent checker) does all the open work "
            f"by working day {makespan:,}: {len(rows):,} tasks.",
        ),
        (
            Table(
                "plan-by-team-type",
                "Teams and their work in the plan",
                (
                    "team type",
                    "teams",
                    "tasks",
                    "first start (day)",
                    "last end (day)",
                    "team-days",
                    "use of the teams",
                ),
                team_rows,
            ),
        ),
        (
            Chart(
                "gantt",
                "The plan as a Gantt chart by team type",
                lambda: charts.gantt_figure(bars, capacities),
            ),
        ),
    )
    stone_rows = []
    for m in forecast.milestones:
        for i, level in enumerate(m.levels):
            stone_rows.append(
                (
                    text(m.what),
                    text(f"{level:.0%}"),
                    days(_finite(m.planned[i])),
                    *(days(_finite(m.at(level, p))) for p in m.percentiles),
                )
            )
    percentiles = forecast.milestones[0].percentiles if forecast.milestones else ()
    forecast_section = Section(
        "forecast",
        "Forecast: when land is released and assets rebuilt",
        (
            f"The plan re-run {forecast.runs:,} times under what is uncertain (productivity, "
            "what survey cancels, days lost, ramp-up, attrition). Pn: the working day by "
            "which n % of runs are there.",
        ),
        (
            Table(
                "milestones",
                "Working days until each share is delivered",
                ("what", "share", "plan", *(f"P{p:g}" for p in percentiles)),
                tuple(stone_rows),
            ),
        ),
        tuple(
            Chart(f"s-curve-{c.what.replace(' ', '-')}", f"S-curve: {c.what}", _s_curve(c))
            for c in forecast.curves
        ),
    )
    out = [plan_section, forecast_section]
    if forecast.comparison is not None:
        out.append(_scenarios(forecast.comparison))
    if forecast.tornado is not None:
        t = forecast.tornado
        out.append(
            Section(
                "tornado",
                "Which uncertainty moves the date most",
                (
                    f"P50 working days until all {t.measure} is delivered with each "
                    f"uncertainty at its low and its high end, all else as the plan assumes "
                    f"(the plan: day {t.base:,.0f}).",
                ),
                (
                    Table(
                        "tornado",
                        "Sensitivity of the date",
                        ("uncertainty", "P50 at low end", "P50 at high end", "swing (days)"),
                        tuple(
                            (text(b.uncertainty), days(b.at_low), days(b.at_high), days(b.swing))
                            for b in t.bars
                        ),
                    ),
                ),
                (Chart("tornado", "Tornado chart", lambda: charts.tornado_figure(t)),),
            )
        )
    return tuple(out)


def _s_curve(curve: SCurve) -> Any:
    return lambda: charts.s_curve_figure(curve)


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _scenarios(comparison: Comparison) -> Section:
    saved = {m.larger: m.completion_days_per_1000 for m in comparison.marginal}
    rows = tuple(
        (
            text(r.scenario),
            count(r.people),
            days(r.priority_land_p50),
            days(r.priority_land_p80),
            days(r.assets_p50),
            days(r.assets_p80),
            days(r.completion_p50),
            days(r.floor_priority_land_p50),
            days(r.m2_per_month_p50),
            days(r.cost),
            text("-" if saved.get(r.scenario) is None else f"{saved[r.scenario]:,.1f}"),
        )
        for r in comparison.rows
    )
    return Section(
        "scenarios",
        "Workforce scenarios",
        comparison.notes,
        (
            Table(
                "scenarios",
                "The same work with each workforce (working days)",
                (
                    "scenario",
                    "people",
                    "priority land P50",
                    "priority land P80",
                    "assets P50",
                    "assets P80",
                    "all work P50",
                    "priority land, unlimited teams P50",
                    "m² a month",
                    "cost",
                    "days saved per 1,000 more people",
                ),
                rows,
            ),
        ),
    )


# --- data quality ------------------------------------------------------------------------
def _data_quality(result: CheckResult, public: bool) -> Section:
    counts = result.counts()
    checked = ", ".join(f"{n:,} {layer.replace('_', ' ')}" for layer, n in result.checked.items())
    listed = result.findings[:MAX_FINDINGS]

    def message(msg: str) -> str:
        return _COORDINATES.sub("(coordinates withheld)", msg) if public else msg

    return Section(
        "data-quality",
        "Data quality: the geometry checks",
        (
            f"Checked: {checked}. {len(result.findings):,} findings"
            + (
                f"; the first {MAX_FINDINGS} are listed."
                if len(result.findings) > MAX_FINDINGS
                else "."
            ),
        ),
        (
            Table(
                "checks-by-rule",
                "Findings by rule",
                ("rule", "findings"),
                tuple((text(rule), count(n)) for rule, n in sorted(counts.items())),
            ),
            Table(
                "findings",
                "Findings",
                ("layer", "record", "rule", "severity", "message"),
                tuple(
                    (
                        text(layer.replace("_", " ")),
                        text(f.record_id),
                        text(f.rule.value),
                        text(f.severity.value),
                        text(message(f.message)),
                    )
                    for layer, f in listed
                ),
            ),
        ),
    )


def _map_layers(store: Store, public: bool) -> list[MapLayer]:
    def rows(name: str) -> map_.LayerRows:
        layer = store.layer(name)
        return layer.records(), layer.shapes()

    work, _, _ = region_work(store, blocking_weight=PRIORITY_WEIGHT)
    priority = {a.area_id for a in work if a.weight >= PRIORITY_WEIGHT}
    return map_.map_layers(
        rows("hazard_areas"), rows("land_release"), rows("assets"), priority, public=public
    )
