"""The ``safeground`` command: a thin shell over the services.

Every read command takes ``--json``. Every command takes ``--db PATH`` (default: the
SAFEGROUND_DB environment variable, else ``safeground.gpkg`` here). Changes are made by
a named user: ``--user`` (default: SAFEGROUND_USER, else the login name).
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from safeground.domain.accounting import GroupBy, SummaryRow
from safeground.domain.errors import RuleViolation
from safeground.domain.model import HazardArea, OutcomeType, Report, ReportKind, ReportStatus
from safeground.geometry import GeometryError, to_geojson
from safeground.importing.mapping import ImportKind
from safeground.importing.sources import SourceError
from safeground.services import export as export_service
from safeground.services import register
from safeground.services.workflow import Workflow
from safeground.store import Store, StoreError, open_store

app = typer.Typer(
    help="safeground: the hazard register and land release of mine action.",
    no_args_is_help=True,
    add_completion=False,
)
area_app = typer.Typer(help="Hazard areas.", no_args_is_help=True)
report_app = typer.Typer(
    help="With no subcommand: write the report document (HTML with an offline map, and "
    "PDF). Subcommands: the land-release reports (draft, submit, approve, reject)."
)
app.add_typer(area_app, name="area")
app.add_typer(report_app, name="report")
plan_app = typer.Typer(help="Plans: who does what, when.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")
scenarios_app = typer.Typer(help="Workforce scenarios: compare and sweep.", no_args_is_help=True)
app.add_typer(scenarios_app, name="scenarios")
priority_app = typer.Typer(
    help="Priorities: which hazard areas first, and why (a low score is lower priority).",
    invoke_without_command=True,
)
app.add_typer(priority_app, name="priority")
risk_app = typer.Typer(help="Contamination-risk models on grid cells.", no_args_is_help=True)
app.add_typer(risk_app, name="risk")

out = Console()
err = Console(stderr=True)

Db = Annotated[
    Path,
    typer.Option("--db", envvar="SAFEGROUND_DB", help="The project database (a GeoPackage)."),
]
User = Annotated[
    str,
    typer.Option("--user", envvar="SAFEGROUND_USER", help="Who makes the change."),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DEFAULT_DB = Path("safeground.gpkg")

# Wording rule: an unreleased or low-priority area is never called safe or clear.
REMAINING = "remaining (hazardous)"


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


@contextmanager
def _store(db: Path) -> Iterator[Store]:
    with _errors(), open_store(db) as store:
        yield store


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except RuleViolation as exc:
        err.print(f"[bold red]refused[/] {escape(f'[{exc.rule}] {exc.message}')}", highlight=False)
        raise typer.Exit(2) from exc
    except (StoreError, GeometryError, ValueError) as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from exc


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if hasattr(value, "__geo_interface__"):
        return to_geojson(value)
    return value


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(_jsonable(value), indent=2, ensure_ascii=False) + "\n")


def _m2(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


# --- init ----------------------------------------------------------------------------------
@app.command()
def init(path: Annotated[Path, typer.Argument(help="The database file to create.")]) -> None:
    """Create an empty project database: one GeoPackage file."""
    with _errors():
        open_store(path, create=True).close()
    out.print(f"created {path}")


# --- areas -----------------------------------------------------------------------------------
def _read_geometry(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            raise ValueError(f"{path}: expected one feature, found {len(features)}")
        data = features[0]
    if data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict):
        raise ValueError(f"{path}: no geometry")
    return data


@area_app.command("add")
def area_add(
    geometry: Annotated[Path, typer.Option(help="A GeoJSON file with the area's polygon.")],
    name: Annotated[str, typer.Option(help="The area's name.")] = "",
    hazard_type: Annotated[str, typer.Option("--type", help="SHA or CHA.")] = "SHA",
    evidence: Annotated[str, typer.Option(help="The evidence of contamination.")] = "",
    blockages: Annotated[str, typer.Option(help="What the hazard blocks.")] = "",
    land_use: Annotated[str, typer.Option(help="The intended land use.")] = "",
    admin: Annotated[str, typer.Option(help="The admin unit.")] = "",
    area_id: Annotated[
        str | None, typer.Option("--id", help="Default: the next HA-nnnnnn.")
    ] = None,
    on: Annotated[str | None, typer.Option("--date", help="Report date, YYYY-MM-DD.")] = None,
    submit: Annotated[bool, typer.Option(help="Submit the report for review too.")] = False,
    db: Db = DEFAULT_DB,
    user: User = "",
    as_json: Json = False,
) -> None:
    """Draft the report that registers a hazard area."""
    payload: dict[str, Any] = {
        "name": name,
        "hazard_type": hazard_type,
        "evidence": evidence,
        "blockages": blockages,
        "land_use": land_use,
        "admin_unit": admin,
    }
    with _errors():
        payload["geometry"] = _read_geometry(geometry)
    _draft(db, user, ReportKind.AREA_REGISTER, area_id, on, payload, submit, as_json)


@area_app.command("list")
def area_list(
    status: Annotated[str | None, typer.Option(help="open, closed or handed_over.")] = None,
    db: Db = DEFAULT_DB,
    as_json: Json = False,
) -> None:
    """List hazard areas with their recorded and released square metres."""
    with _store(db) as store:
        rows = register.list_areas(store, status)
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"Hazard areas ({len(rows)})")
    for column in ("area", "name", "admin unit", "type", "status", "area m²", "released m²"):
        table.add_column(column, justify="right" if "m²" in column else "left")
    table.add_column(f"{REMAINING} m²", justify="right")
    for r in rows:
        table.add_row(
            r.area_id,
            r.name,
            r.admin_unit,
            r.hazard_type,
            r.status,
            _m2(r.area_m2),
            _m2(r.released_m2),
            _m2(r.remaining_m2),
        )
    out.print(table)


def _area_dict(area: HazardArea) -> dict[str, Any]:
    data: dict[str, Any] = _jsonable(area)
    data["released_m2"] = area.released_m2()
    data["remaining_m2"] = area.remaining_m2
    return data


def _print_area(area: HazardArea) -> None:
    out.print(
        f"[bold]{area.id}[/] {area.name} — {area.hazard_type}, {area.status}, "
        f"{area.admin_unit or 'no admin unit'}"
    )
    out.print(
        f"area {_m2(area.area_m2)} m² · "
        f"cancelled {_m2(area.released_m2(OutcomeType.CANCELLED))} · "
        f"reduced {_m2(area.released_m2(OutcomeType.REDUCED))} · "
        f"cleared {_m2(area.released_m2(OutcomeType.CLEARED))} · "
        f"{REMAINING}: {_m2(area.remaining_m2)} m²"
    )
    if area.evidence:
        out.print(f"evidence: {area.evidence}")
    table = Table(title="Activities and outcomes")
    for column in ("id", "what", "dates / method", "m²", "depth cm", "QA"):
        table.add_column(column)
    for a in area.activities:
        dates = f"{a.start_date} to {a.end_date or '…'}; {a.method or ''}"
        table.add_row(a.id, a.activity_type.value, dates, "", "", "")
    for o in area.outcomes:
        qa = [q.result.value for q in area.qa_records if q.outcome_id == o.id]
        table.add_row(
            o.id,
            f"{o.outcome.value} by {o.activity_id}",
            f"{o.date}; {o.method}",
            _m2(o.released_m2),
            "" if o.depth_cm is None else f"{o.depth_cm:g}",
            ", ".join(qa),
        )
    out.print(table)


@area_app.command("show")
def area_show(
    area_id: Annotated[str, typer.Argument(help="The area's id.")],
    db: Db = DEFAULT_DB,
    as_json: Json = False,
) -> None:
    """Show a hazard area's current state: its activities, outcomes and QA."""
    with _store(db) as store:
        area = register.area(store, area_id)
    if as_json:
        _print_json(_area_dict(area))
    else:
        _print_area(area)


# --- reports ---------------------------------------------------------------------------------
def _draft(
    db: Path,
    user: str,
    kind: ReportKind,
    record_id: str | None,
    on: str | None,
    payload: dict[str, Any],
    submit: bool,
    as_json: bool,
    personal: dict[str, Any] | None = None,
    supersedes: int | None = None,
) -> None:
    user = user or _login()
    with _store(db) as store:
        workflow = Workflow(store)
        report = workflow.draft(
            kind,
            author=user,
            payload=payload,
            record_id=record_id,
            report_date=date.fromisoformat(on) if on else None,
            personal=personal,
            supersedes=supersedes,
        )
        if submit:
            report = workflow.submit(report.id, user=user)
    _print_report(report, as_json, f"report {report.id} ({report.kind}) on {report.record_id}")


def _print_report(report: Report, as_json: bool, headline: str) -> None:
    if as_json:
        _print_json(report)
    else:
        out.print(f"{headline}: {report.status}")


def _load_json(text: str) -> dict[str, Any]:
    raw = Path(text[1:]).read_text(encoding="utf-8") if text.startswith("@") else text
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("--data must be a JSON object")
    return value


@report_app.callback(invoke_without_command=True)
def report_document(
    ctx: typer.Context,
    db: Db = DEFAULT_DB,
    folder: Annotated[Path, typer.Option("--out", help="The folder to write into.")] = Path(
        "report"
    ),
    public: Annotated[
        bool,
        typer.Option(
            help="For publication: hazards not yet released only as 0.01° grid cells, "
            "no personal fields."
        ),
    ] = False,
    forecast: Annotated[
        bool, typer.Option(help="Plan and forecast the open work for the report.")
    ] = True,
    plan_seconds: Annotated[float, typer.Option(help="Seconds for the planner.")] = 10.0,
    runs: Annotated[int, typer.Option(help="Forecast runs.")] = 1_000,
    as_json: Json = False,
) -> None:
    """Write report.html (opens with no network) and report.pdf into --out."""
    if ctx.invoked_subcommand is not None:
        return
    from safeground.services import reporting

    with _store(db) as store:
        outlook, note = None, "not asked for (--no-forecast)"
        if forecast:
            try:
                with err.status("planning and forecasting the open work"):
                    outlook = reporting.outlook(store, plan_seconds=plan_seconds, runs=runs)
            except ValueError as exc:
                note = f"no plan or forecast: {exc}"
        written = reporting.write(
            store, folder, public=public, forecast=outlook, forecast_note=note
        )
    if as_json:
        _print_json({"html": str(written.html), "pdf": str(written.pdf), "public": public})
    else:
        out.print(f"wrote {written.html} and {written.pdf}")


@report_app.command("new")
def report_new(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(ReportKind)}.")],
    record: Annotated[
        str | None, typer.Option("--record", "--area", help="The record reported on.")
    ] = None,
    data: Annotated[str, typer.Option(help="The payload: JSON, or @FILE.")] = "{}",
    geometry: Annotated[Path | None, typer.Option(help="A GeoJSON file: the geometry.")] = None,
    personal: Annotated[
        str | None, typer.Option(help="Accidents: victims' personal data, JSON or @FILE.")
    ] = None,
    supersedes: Annotated[int | None, typer.Option(help="The approved report corrected.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Report date, YYYY-MM-DD.")] = None,
    submit: Annotated[bool, typer.Option(help="Submit it for review too.")] = False,
    db: Db = DEFAULT_DB,
    user: User = "",
    as_json: Json = False,
) -> None:
    """Draft a report (activity, outcome, qa, area.close, ...)."""
    with _errors():
        payload = _load_json(data)
        if geometry is not None:
            payload["geometry"] = _read_geometry(geometry)
        private = _load_json(personal) if personal else None
        report_kind = ReportKind(kind)
    _draft(db, user, report_kind, record, on, payload, submit, as_json, private, supersedes)


@report_app.command("submit")
def report_submit(
    report_id: int, db: Db = DEFAULT_DB, user: User = "", as_json: Json = False
) -> None:
    """Submit a draft for review."""
    with _store(db) as store:
        report = Workflow(store).submit(report_id, user=user or _login())
    _print_report(report, as_json, f"report {report_id}")


@report_app.command("approve")
def report_approve(
    report_id: int,
    note: Annotated[str | None, typer.Option(help="A review note.")] = None,
    db: Db = DEFAULT_DB,
    user: User = "",
    as_json: Json = False,
) -> None:
    """Approve a submitted report: only then does it change the current state."""
    with _store(db) as store:
        report = Workflow(store).approve(report_id, user=user or _login(), note=note)
    _print_report(report, as_json, f"report {report_id}")


@report_app.command("reject")
def report_reject(
    report_id: int,
    reason: Annotated[str, typer.Option(help="Why it is rejected.")],
    db: Db = DEFAULT_DB,
    user: User = "",
    as_json: Json = False,
) -> None:
    """Reject a submitted report, with the reason."""
    with _store(db) as store:
        report = Workflow(store).reject(report_id, user=user or _login(), reason=reason)
    _print_report(report, as_json, f"report {report_id}")


def _report_table(reports: Sequence[Report], title: str) -> Table:
    table = Table(title=title)
    for column in ("id", "date", "kind", "record", "status", "author", "reviewed by"):
        table.add_column(column)
    for r in reports:
        table.add_row(
            str(r.id),
            str(r.report_date),
            r.kind.value,
            r.record_id,
            r.status.value + (f" (superseded by {r.superseded_by})" if r.superseded_by else ""),
            r.author,
            r.reviewed_by or "",
        )
    return table


@report_app.command("list")
def report_list(
    status: Annotated[
        str | None, typer.Option(help="draft, submitted, approved, rejected.")
    ] = None,
    record: Annotated[str | None, typer.Option(help="Only reports on this record.")] = None,
    db: Db = DEFAULT_DB,
    as_json: Json = False,
) -> None:
    """List reports."""
    with _store(db) as store:
        reports = store.reports(record_id=record, status=ReportStatus(status) if status else None)
    if as_json:
        _print_json(reports)
    else:
        out.print(_report_table(reports, f"Reports ({len(reports)})"))


@report_app.command("show")
def report_show(report_id: int, db: Db = DEFAULT_DB, as_json: Json = False) -> None:
    """Show one report (never its personal data)."""
    with _store(db) as store:
        report = store.report(report_id)
    if as_json:
        _print_json(report)
    else:
        out.print(_report_table([report], f"Report {report_id}"))
        out.print_json(json.dumps(_jsonable(report.payload)))


# --- history and summary ---------------------------------------------------------------------
@app.command()
def history(
    area_id: Annotated[str, typer.Argument(help="The area's id.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="What was known on this day (YYYY-MM-DD).")
    ] = None,
    db: Db = DEFAULT_DB,
    as_json: Json = False,
) -> None:
    """An area as known on a day, and the reports that made it so."""
    with _store(db) as store:
        found = register.history(store, area_id, as_of=date.fromisoformat(as_of) if as_of else None)
    state = found.state if isinstance(found.state, HazardArea) else None
    if as_json:
        _print_json(
            {
                "area_id": area_id,
                "as_of": as_of,
                "state": None if state is None else _area_dict(state),
                "reports": _jsonable(found.in_force),
                "other_reports": _jsonable(found.other),
            }
        )
        return
    out.print(f"[bold]{area_id}[/] as known on {as_of or 'today'}")
    if state is None:
        out.print("not yet registered by an approved report on that day")
    else:
        _print_area(state)
    out.print(_report_table(found.in_force, "Approved reports in force"))
    if found.other:
        out.print(_report_table(found.other, "Other reports (pending, rejected, superseded)"))


@app.command()
def summary(
    by: Annotated[
        GroupBy, typer.Option(help="Group by total, area, admin, year, month or method.")
    ] = GroupBy.TOTAL,
    db: Db = DEFAULT_DB,
    as_json: Json = False,
) -> None:
    """Land-release accounting in square metres (computed in each area's UTM zone)."""
    with _store(db) as store:
        rows = register.summary(store, by)
    if as_json:
        _print_json([_summary_dict(r) for r in rows])
        return
    out.print(_summary_table(rows, by))


def _summary_dict(row: SummaryRow) -> dict[str, Any]:
    data: dict[str, Any] = _jsonable(row)
    data["released_m2"] = row.released_m2
    return data


def _summary_table(rows: Sequence[SummaryRow], by: GroupBy) -> Table:
    table = Table(title=f"Land release, m², by {by.value}")
    table.add_column(by.value)
    columns = ["cancelled", "reduced", "cleared", "released"]
    if by.has_stock:
        columns = ["areas", "open", "recorded", *columns, REMAINING]
    for column in columns:
        table.add_column(column, justify="right")
    for r in rows:
        released = [_m2(r.cancelled_m2), _m2(r.reduced_m2), _m2(r.cleared_m2), _m2(r.released_m2)]
        if by.has_stock:
            stock = [str(r.areas), str(r.open_areas), _m2(r.hazard_m2)]
            table.add_row(r.key, *stock, *released, _m2(r.remaining_m2))
        else:
            table.add_row(r.key, *released)
    return table


# --- export ----------------------------------------------------------------------------------
@app.command()
def export(
    destination: Annotated[Path, typer.Argument(help="A .gpkg file, or a folder for geojson/csv.")],
    fmt: Annotated[export_service.Format, typer.Option("--format")] = export_service.Format.GPKG,
    layer: Annotated[list[str] | None, typer.Option(help="Only these layers.")] = None,
    include_personal: Annotated[
        bool, typer.Option(help="Also export victims' personal data. Handle with care.")
    ] = False,
    db: Db = DEFAULT_DB,
    as_json: Json = False,
) -> None:
    """Export the register's layers (never personal data unless explicitly asked for)."""
    with _store(db) as store, Progress(console=err, transient=True) as progress:
        task = progress.add_task("exporting", total=None)
        written = export_service.export(
            store,
            destination,
            fmt,
            layers=layer,
            include_personal=include_personal,
            on_layer=lambda name: progress.update(task, description=f"exporting {name}"),
        )
    if as_json:
        _print_json(written)
        return
    for w in written:
        out.print(f"{w.layer}: {w.features} rows -> {w.path}")


# --- import and check ----------------------------------------------------------------------
def _pairs(options: Sequence[str] | None, what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for option in options or []:
        target, sep, value = option.partition("=")
        if not sep or not target.strip():
            raise ValueError(f"{what} takes FIELD=VALUE, got {option!r}")
        pairs[target.strip()] = value.strip()
    return pairs


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="GeoJSON, GeoPackage, Shapefile, .zip, KML or CSV.")],
    kind: Annotated[ImportKind, typer.Option(help="What the features become.")],
    preset: Annotated[
        str | None, typer.Option(help="A shipped mapping: copernicus-ems, colombia-descontamina.")
    ] = None,
    mapping_file: Annotated[
        Path | None, typer.Option("--mapping", help="A TOML or JSON mapping file.")
    ] = None,
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="FIELD=ATTRIBUTE: fill FIELD from it.")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="FIELD=VALUE: the same for every feature.")
    ] = None,
    layer: Annotated[
        list[str] | None, typer.Option(help="Only these layers (a part of the name will do).")
    ] = None,
    crs: Annotated[
        str | None, typer.Option(help="The CRS of a file that declares none, e.g. EPSG:32633.")
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding, e.g. latin-1.")] = None,
    id_field: Annotated[
        str | None, typer.Option(help="The attribute holding each feature's stable id.")
    ] = None,
    x: Annotated[str | None, typer.Option(help="CSV: the x/longitude column.")] = None,
    y: Annotated[str | None, typer.Option(help="CSV: the y/latitude column.")] = None,
    wkt: Annotated[str | None, typer.Option(help="CSV: a WKT geometry column.")] = None,
    dataset: Annotated[
        str | None, typer.Option(help="The source's stable name (default: the file name).")
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option(help="Import the good features; write the bad ones to --rejects.")
    ] = False,
    rejects: Annotated[
        Path | None, typer.Option(help="Where rejected features go (.geojson or .csv).")
    ] = None,
    reviewer: Annotated[
        str | None, typer.Option(help="Who approves the import (default: the user).")
    ] = None,
    report_date: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Date of the reports.")
    ] = None,
    db: Db = DEFAULT_DB,
    user: User = "",
    as_json: Json = False,
) -> None:
    """Import a geodata file as hazard areas, events or assets: all or nothing, checked."""
    from safeground.importing import mapping as mappings
    from safeground.services import importing

    with _store(db) as store:
        try:
            base = mappings.FieldMapping()
            if preset:
                base = mappings.preset(preset)
            if mapping_file:
                base = mappings.load_mapping(mapping_file)
            chosen = base.with_options(_pairs(map_, "--map"), _pairs(set_, "--set"))
            with Progress(console=err, transient=True) as progress:
                task = progress.add_task(f"importing {file.name}", total=None)
                summary = importing.import_file(
                    store,
                    file,
                    kind,
                    user=user or _login(),
                    reviewer=reviewer,
                    mapping=chosen,
                    layers=layer,
                    crs=crs,
                    encoding=encoding,
                    id_field=id_field,
                    x_field=x,
                    y_field=y,
                    wkt_field=wkt,
                    dataset=dataset,
                    skip_invalid=skip_invalid,
                    rejects=rejects,
                    report_date=report_date.date() if report_date else None,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                )
        except importing.ImportRefused as exc:
            if as_json:
                _print_json(
                    {
                        "read": exc.read,
                        "imported": 0,
                        "rejected": len(exc.problems),
                        "refused": True,
                        "problems": [vars(p) for p in exc.problems],
                    }
                )
            else:
                err.print(f"[bold red]refused[/] {escape(str(exc))}", highlight=False)
                for problem in exc.problems[:50]:
                    err.print(f"  {escape(str(problem))}", highlight=False)
                if len(exc.problems) > 50:
                    err.print(f"  … and {len(exc.problems) - 50} more (--json lists them all)")
            raise typer.Exit(2) from exc
        except (SourceError, mappings.MappingError) as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(1) from exc
    if as_json:
        _print_json(summary.as_dict())
        return
    layers = ", ".join(f"{item['name']} ({item['crs']})" for item in summary.layers)
    out.print(
        f"{summary.file}: read {summary.read:,}, imported {summary.imported:,}, "
        f"unchanged {summary.unchanged:,}, rejected {summary.rejected:,} · layers {layers}"
    )
    if summary.rejected:
        out.print(f"rejected features and reasons: {summary.rejects_file}")


@app.command()
def check(
    layer: Annotated[
        list[str] | None, typer.Option(help="Only these layers: hazard_areas, assets, events.")
    ] = None,
    admin: Annotated[
        Path | None, typer.Option(help="Admin-unit polygons to check claimed units against.")
    ] = None,
    admin_name: Annotated[
        str, typer.Option(help="The attribute of --admin naming each unit.")
    ] = "name",
    long_edge_m: Annotated[
        float | None, typer.Option(help="Longest plausible edge (default 5,000 m).")
    ] = None,
    fix: Annotated[
        bool, typer.Option(help="Repair what is safely repairable, as reports in history.")
    ] = False,
    db: Db = DEFAULT_DB,
    user: User = "",
    as_json: Json = False,
) -> None:
    """Check the register's geometries (GICHD geocheck rules and more); exit 3 on errors."""
    from safeground.services import checking

    with _store(db) as store:
        units = checking.read_admin_units(admin, admin_name) if admin else None
        result = checking.check_register(
            store,
            layers=layer or tuple(checking.CHECKED_LAYERS),
            admin_units=units,
            long_edge_m=long_edge_m,
            fix=fix,
            user=user or _login(),
        )
    errors_found = any(f.severity == "error" for _, f in result.findings)
    if as_json:
        _print_json(
            {
                "checked": result.checked,
                "counts": result.counts(),
                "findings": [{"layer": layer, **_jsonable(f)} for layer, f in result.findings],
                "repairs": result.repairs,
            }
        )
    else:
        table = Table(title="geometry findings")
        for column in ("layer", "record", "rule", "severity", "message"):
            table.add_column(column)
        for name, f in result.findings[:200]:
            table.add_row(name, f.record_id, f.rule.value, f.severity.value, escape(f.message))
        out.print(table)
        if len(result.findings) > 200:
            out.print(f"… {len(result.findings) - 200} more findings (--json lists them all)")
        checked = ", ".join(f"{n:,} {name}" for name, n in result.checked.items())
        counts = ", ".join(f"{rule} {n:,}" for rule, n in sorted(result.counts().items()))
        out.print(f"checked {checked}; findings: {counts or 'none'}")
        for r in result.repairs:
            out.print(f"repaired {r.record_id} (report {r.report_id}): {'; '.join(r.repairs)}")
    if errors_found:
        raise typer.Exit(3)


# --- plan ----------------------------------------------------------------------------------
TimeLimit = Annotated[float, typer.Option(help="Seconds the solver may use.")]
Workers = Annotated[int, typer.Option(help="Solver threads.")]


@plan_app.command("psplib")
def plan_psplib(
    file: Annotated[Path, typer.Argument(help="A PSPLIB .sm, .mm or Patterson .rcp file.")],
    time_limit: TimeLimit = 10.0,
    workers: Workers = 2,
    seed: Annotated[int, typer.Option(help="Solver seed.")] = 0,
    as_json: Json = False,
) -> None:
    """Solve a PSPLIB instance; the schedule is checked before it is printed.

    Jobs are numbered as in the file; modes too (from 1)."""
    from safeground.planning.checker import assert_valid
    from safeground.planning.psplib import read_psplib
    from safeground.planning.solve import solve

    with _errors():
        problem = read_psplib(file)
        result = solve(problem, time_limit=time_limit, workers=workers, seed=seed)
        if result.schedule is not None:
            assert_valid(problem, result.schedule)
    schedule = result.schedule
    data = {
        "instance": file.name,
        "status": result.status.value,
        "makespan": None if schedule is None else schedule.makespan(problem),
        "lower_bound": result.lower_bound,
        "gap": result.gap,
        "runtime": round(result.runtime, 3),
        "starts": {} if schedule is None else dict(schedule.starts),
        "modes": {} if schedule is None else {k: m + 1 for k, m in schedule.modes.items()},
        "explanation": result.explanation,
    }
    if as_json:
        _print_json(data)
    else:
        out.print(
            f"{file.name}: {data['status']}, makespan {data['makespan']}, lower bound "
            f"{data['lower_bound']}, {data['runtime']} s"
        )
        for line in result.explanation:
            out.print(f"  {escape(line)}", highlight=False)
    if schedule is None:
        raise typer.Exit(2)


@plan_app.command("region")
def plan_region(
    capacity: Annotated[
        list[str] | None,
        typer.Option(help="TEAM_TYPE=N teams (default: the registered teams), repeatable."),
    ] = None,
    productivity: Annotated[
        Path | None, typer.Option(help="A productivity file (default: the shipped one).")
    ] = None,
    time_limit: TimeLimit = 30.0,
    workers: Workers = 2,
    by_priority: Annotated[
        bool,
        typer.Option(
            "--priority",
            help="Weigh each area's clearance by its priority score (see 'safeground priority').",
        ),
    ] = False,
    db: Db = DEFAULT_DB,
    as_json: Json = False,
) -> None:
    """Plan the register's open work: survey, clearance, then reconstruction."""
    from safeground.planning.fieldwork import rates_from_toml
    from safeground.services import planning
    from safeground.services import priority as priority_service

    with _store(db) as store:
        capacities = {k: int(v) for k, v in _pairs(capacity, "--capacity").items()}
        rates = rates_from_toml(productivity.read_text("utf-8")) if productivity else None
        weights = priority_service.planning_weights(store) if by_priority else None
        plan = planning.plan_region(
            store,
            capacities=capacities,
            rates=rates,
            time_limit=time_limit,
            workers=workers,
            area_weights=weights,
        )
    result, rows = plan.result, plan.rows()
    if as_json:
        _print_json(
            {
                "status": result.status.value,
                "objective": result.objective,
                "lower_bound": result.lower_bound,
                "gap": result.gap,
                "runtime": round(result.runtime, 3),
                "capacities": plan.capacities,
                "makespan_days": max((r.end_day for r in rows), default=0),
                "tasks": rows,
                "explanation": result.explanation,
            }
        )
        return
    table = Table(title=f"plan: {result.status.value}, {len(rows)} tasks")
    for column in ("start day", "end day", "work", "record", "teams"):
        table.add_column(column)
    for r in rows[:200]:
        teams = ", ".join(f"{n} {k}" for k, n in r.teams.items())
        table.add_row(str(r.start_day), str(r.end_day), r.work, r.record_id, teams)
    out.print(table)
    for line in result.explanation:
        out.print(escape(line), highlight=False)


# --- priority ------------------------------------------------------------------------------
PriorityFile = Annotated[
    Path | None,
    typer.Option("--config", help="A priority file (default: the shipped priority.toml)."),
]
RiskFile = Annotated[
    Path | None,
    typer.Option("--risk", help="A CSV of area_id,risk: the predicted-risk criterion."),
]


def _contribution_dict(c: Any) -> dict[str, Any]:
    return {
        "criterion": c.criterion,
        "raw": c.raw,
        "normalised": round(c.normalised, 6),
        "weight": round(c.weight, 6),
        "contribution": round(c.contribution, 6),
        "rule": c.rule,
    }


@priority_app.callback()
def priority(
    ctx: typer.Context,
    config: PriorityFile = None,
    risk: RiskFile = None,
    limit: Annotated[int, typer.Option(help="Rows to show in the table (0: all).")] = 50,
    db: Db = DEFAULT_DB,
    as_json: Json = False,
) -> None:
    """Rank the open hazard areas by priority score, first priority first."""
    if ctx.invoked_subcommand is not None:
        return
    from safeground.services import priority as service

    with _store(db) as store:
        cfg = service.load_config(config)
        scores = service.priorities(
            store, cfg, predicted_risk=service.read_risk(risk) if risk else None
        )
    if as_json:
        _print_json(
            [
                {
                    "area_id": s.area_id,
                    "rank": s.rank,
                    "score": round(s.score, 6),
                    "band": s.band,
                    "contributions": [_contribution_dict(c) for c in s.contributions],
                }
                for s in scores
            ]
        )
        return
    table = Table(title=f"priority: {len(scores)} open hazard areas, first priority first")
    names = [c.criterion for c in scores[0].contributions] if scores else []
    for column in ("rank", "area", "score", "band", *names):
        table.add_column(column)
    for s in scores[: limit or None]:
        parts = [f"{c.contribution:.3f}" for c in s.contributions]
        table.add_row(str(s.rank), s.area_id, f"{s.score:.3f}", s.band, *parts)
    out.print(table)
    out.print(
        "criterion columns: contribution = weight x normalised value; they add up to the "
        "score. A lower score is lower priority: the land stays hazardous until released."
    )


@priority_app.command("explain")
def priority_explain(
    area: Annotated[str, typer.Argument(help="The hazard area, e.g. HA-000001.")],
    config: PriorityFile = None,
    risk: RiskFile = None,
    db: Db = DEFAULT_DB,
    as_json: Json = False,
) -> None:
    """Each criterion's value, rule, weight and contribution to AREA's score."""
    from safeground.priority import explain
    from safeground.services import priority as service

    with _store(db) as store:
        cfg = service.load_config(config)
        score, total = service.explain_area(
            store, area, cfg, predicted_risk=service.read_risk(risk) if risk else None
        )
    if as_json:
        _print_json(
            {
                "area_id": score.area_id,
                "rank": score.rank,
                "of": total,
                "score": round(score.score, 6),
                "band": score.band,
                "contributions": [_contribution_dict(c) for c in score.contributions],
            }
        )
        return
    for line in explain(score, total):
        out.print(escape(line), highlight=False)


# --- risk ----------------------------------------------------------------------------------
LonColumn = Annotated[str, typer.Option(help="The cells' longitude column.")]
LatColumn = Annotated[str, typer.Option(help="The cells' latitude column.")]


@risk_app.command("train")
def risk_train(
    csv_path: Annotated[Path, typer.Argument(metavar="CSV", help="The training grid.")],
    label: Annotated[str, typer.Option(help="The label column: 1, 0, or -1 (unlabelled).")],
    group: Annotated[str, typer.Option(help="The group column (municipality).")],
    model: Annotated[Path, typer.Option(help="The model file to write.")],
    kind: Annotated[str, typer.Option(help="ensemble, linear or gbm.")] = "ensemble",
    calibration: Annotated[str, typer.Option(help="sigmoid or isotonic.")] = "sigmoid",
    as_json: Json = False,
) -> None:
    """Fit a calibrated risk model on the labelled rows (-1 rows are left out)."""
    from safeground.risk.models import Calibration, ModelKind
    from safeground.services import risk as service

    with _errors():
        trained = service.train(
            csv_path,
            label=label,
            group=group,
            model_out=model,
            kind=ModelKind(kind),
            calibration=Calibration(calibration),
        )
    summary = {
        "model": str(model),
        "kind": trained.model.kind.value,
        "labelled_rows": trained.labelled_rows,
        "unlabelled_rows_left_out": trained.unlabelled_rows,
        "positives": trained.positives,
        "groups": trained.groups,
        "features": [f.name for f in trained.model.features],
    }
    if as_json:
        _print_json(summary)
        return
    out.print(
        f"trained a {summary['kind']} model on {trained.labelled_rows} labelled rows "
        f"({trained.positives} positive, {trained.groups} groups); "
        f"{trained.unlabelled_rows} unlabelled rows left out; "
        f"{len(trained.model.features)} features; written to {escape(str(model))}",
        highlight=False,
    )


@risk_app.command("score")
def risk_score(
    csv_path: Annotated[Path, typer.Argument(metavar="CSV", help="The grid to score.")],
    model: Annotated[Path, typer.Option(help="A model file from 'risk train'.")],
    out_path: Annotated[Path, typer.Option("--out", help="The CSV to write.")],
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Also write each row's logit, its base and one contribution_COLUMN per "
            "feature (logit units; they add up to the logit, which 'risk' calibrates).",
        ),
    ] = False,
    as_json: Json = False,
) -> None:
    """Write CSV's rows with a 'risk' column (a calibrated probability)."""
    from safeground.services import risk as service

    with _errors():
        scored = service.score(csv_path, model_path=model, out=out_path, explain=explain)
    if as_json:
        _print_json(
            {
                "rows": scored.rows,
                "missing_columns": list(scored.missing),
                "outside_training_range": scored.outside,
                "out": str(out_path),
            }
        )
        return
    if scored.missing:
        err.print(
            f"columns the model knows but {escape(str(csv_path))} lacks (treated as absent): "
            + escape(", ".join(scored.missing)),
            highlight=False,
        )
    if scored.outside:
        shares = sorted(scored.outside.items(), key=lambda kv: -kv[1])
        err.print(
            "values outside the range the model was trained on, held at its edge (the model "
            "does not extrapolate): "
            + escape(", ".join(f"{col} {share:.1%} of rows" for col, share in shares)),
            highlight=False,
        )
    out.print(f"scored {scored.rows} rows: {escape(str(out_path))}", highlight=False)


@risk_app.command("validate")
def risk_validate(
    csv_path: Annotated[Path, typer.Argument(metavar="CSV", help="A labelled grid.")],
    label: Annotated[str, typer.Option(help="The label column: 1, 0, or -1 (unlabelled).")],
    group: Annotated[str, typer.Option(help="The group column (municipality).")],
    kind: Annotated[
        list[str] | None, typer.Option(help="ensemble, linear or gbm (repeat; default all).")
    ] = None,
    folds: Annotated[int, typer.Option(help="Municipality-grouped folds.")] = 5,
    region_size: Annotated[
        int, typer.Option(help="Neighbouring municipalities per held-out region (0: none).")
    ] = 3,
    lon: LonColumn = "LONGITUD_X",
    lat: LatColumn = "LATITUD_Y",
    as_json: Json = False,
) -> None:
    """Validate each model kind on held-out municipalities, never random splits: grouped
    CV, the four outer blocks, and small regions of neighbouring municipalities."""
    from safeground.risk.models import ModelKind
    from safeground.services import risk as service

    with _errors(), Progress(console=err, transient=True) as progress:
        task = progress.add_task("validating on held-out municipalities", total=None)
        results = service.evaluate(
            csv_path,
            label=label,
            group=group,
            kinds=[ModelKind(k) for k in kind] if kind else tuple(ModelKind),
            folds=folds,
            region_size=region_size,
            lon=lon,
            lat=lat,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    if as_json:
        _print_json(results)
        return
    table = Table(title=f"{escape(csv_path.name)}: {folds} municipality-grouped folds")
    for name in ("model", "ROC-AUC", "PR-AUC", "mine cells in top 10 %", "top 20 %"):
        table.add_column(name, justify="left" if name == "model" else "right")
    for name in ("held-out blocks: mean", "worst", "regions: mean", "worst"):
        table.add_column(name, justify="right")
    for r in results:
        cells = [r.kind.value, f"{r.cv.roc_auc:.3f}", f"{r.cv.pr_auc:.3f}"]
        cells += [f"{r.cv.top10:.1%}", f"{r.cv.top20:.1%}"]
        for held in (r.blocks, r.regions):
            aucs = [m.roc_auc for m in held.values()]
            cells += [f"{sum(aucs) / len(aucs):.3f}", f"{min(aucs):.3f}"] if aucs else ["-", "-"]
        table.add_row(*cells)
    out.print(table)
    if results and results[0].regions:
        out.print(
            f"{len(results[0].regions)} regions of {region_size} neighbouring municipalities "
            "held out one at a time; blocks: the outer quarter west, east, south, north.",
            highlight=False,
        )


@risk_app.command("areas")
def risk_areas(
    csv_path: Annotated[Path, typer.Argument(metavar="CSV", help="A grid from 'risk score'.")],
    out_path: Annotated[Path, typer.Option("--out", help="The area_id,risk CSV to write.")],
    lon: LonColumn = "LONGITUD_X",
    lat: LatColumn = "LATITUD_Y",
    max_distance: Annotated[
        float,
        typer.Option(help="Metres to the nearest cell for an area holding no cell centre."),
    ] = 1000.0,
    db: Db = DEFAULT_DB,
    as_json: Json = False,
) -> None:
    """Each open hazard area's predicted risk: the highest of the cells whose centre lies
    in it (else the nearest cell within --max-distance), for 'priority --risk'."""
    from safeground.services import risk as service

    with _store(db) as store:
        scored = service.score_areas(
            store, csv_path, out=out_path, lon=lon, lat=lat, max_distance_m=max_distance
        )
    if as_json:
        _print_json(
            {
                "areas": len(scored.areas),
                "unknown": scored.unknown,
                "out": str(out_path),
            }
        )
        return
    out.print(
        f"{len(scored.areas)} open hazard areas given a predicted risk: {escape(str(out_path))}",
        highlight=False,
    )
    if scored.unknown:
        err.print(
            f"{len(scored.unknown)} areas have no scored cell inside or within "
            f"{max_distance:,.0f} m: their predicted risk is unknown (not low): "
            + escape(", ".join(scored.unknown[:20]))
            + (" ..." if len(scored.unknown) > 20 else ""),
            highlight=False,
        )


# --- scenarios -----------------------------------------------------------------------------
Cluster = Annotated[
    str | None, typer.Option(help="A Dask scheduler, tcp://HOST:PORT (default: this machine).")
]


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _floor(days: float | None, gap: float | None) -> str:
    if days is None:
        return "-"
    return f"{days:,.0f}" + ("" if gap is None else f" (+{max(gap, 0):.0%} now)")


def comparison_table(comparison: Any) -> Table:
    """The scenario comparison as a table, with the notes under it."""
    table = Table(title="workforce scenarios (working days, P50 / P80)")
    for column in (
        "scenario",
        "people",
        "priority land",
        "assets rebuilt",
        "all work P50",
        "priority land, unlimited teams",
        "m² / month",
        "cost",
        "days saved / 1,000 more",
    ):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    saved = {m.larger: m.completion_days_per_1000 for m in comparison.marginal}
    for r in comparison.rows:
        gain = saved.get(r.scenario)
        table.add_row(
            r.scenario,
            f"{r.people:,}",
            f"{_days(r.priority_land_p50)} / {_days(r.priority_land_p80)}",
            f"{_days(r.assets_p50)} / {_days(r.assets_p80)}",
            _days(r.completion_p50),
            _floor(r.floor_priority_land_p50, r.gap("priority land")),
            _days(r.m2_per_month_p50),
            f"{r.cost:,.0f}",
            "-" if gain is None else f"{gain:,.1f}",
        )
    return table


@scenarios_app.command("compare")
def scenarios_compare(
    files: Annotated[
        list[str] | None,
        typer.Argument(help="Scenario files or shipped names (default: 6,000/20,000/50,000)."),
    ] = None,
    runs: Annotated[int, typer.Option(help="Forecast runs per scenario.")] = 1_000,
    seed: Annotated[int, typer.Option(help="Seed of the forecast draws.")] = 0,
    cluster: Cluster = None,
    db: Db = DEFAULT_DB,
    as_json: Json = False,
) -> None:
    """Plan and forecast the register's open work with each workforce, side by side."""
    from safeground.scenarios import ScenarioError
    from safeground.services import scenarios as service

    with _store(db) as store:
        try:
            chosen = service.load(files or [])
            with Progress(console=err, transient=True) as progress:
                progress.add_task(f"{len(chosen)} scenarios", total=None)
                comparison = service.compare_register(
                    store, chosen, runs=runs, seed=seed, cluster=cluster
                )
        except ScenarioError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(1) from exc
    if as_json:
        _print_json(comparison.to_dict())
        return
    out.print(comparison_table(comparison))
    for note in comparison.notes:
        out.print(escape(note), highlight=False)


@scenarios_app.command("sweep")
def scenarios_sweep(
    mixes: Annotated[
        list[str] | None, typer.Argument(help="Scenario files or shipped names: the mixes.")
    ] = None,
    sizes: Annotated[str, typer.Option(help="People, comma-separated.")] = "6000,20000,50000",
    seeds: Annotated[int, typer.Option(help="Seeds per point (0, 1, …).")] = 3,
    runs: Annotated[int, typer.Option(help="Forecast runs per point.")] = 500,
    processes: Annotated[
        int | None, typer.Option(help="Worker processes (default: one per core).")
    ] = None,
    cluster: Cluster = None,
    db: Db = DEFAULT_DB,
    as_json: Json = False,
) -> None:
    """Every mix at every size and seed, in parallel processes or on a Dask cluster."""
    from safeground.services import scenarios as service

    with _store(db) as store:
        people = [int(s) for s in sizes.split(",") if s.strip()]
        rows = service.sweep_register(
            store,
            service.load(mixes or []),
            people,
            list(range(seeds)),
            runs=runs,
            cluster=cluster,
            processes=processes,
        )
    if as_json:
        _print_json(
            [{"mix": r.mix, "people": r.people, "seed": r.seed, **r.result.to_dict()} for r in rows]
        )
        return
    table = Table(title="scenario sweep (working days, P50)")
    for column in ("mix", "people", "seed", "priority land", "assets", "all work", "cost"):
        table.add_column(column, justify="left" if column == "mix" else "right")
    for r in rows:
        res = r.result
        table.add_row(
            r.mix,
            f"{r.people:,}",
            str(r.seed),
            _days(res.priority_land_p50),
            _days(res.assets_p50),
            _days(res.completion_p50),
            f"{res.cost:,.0f}",
        )
    out.print(table)


# --- demo ----------------------------------------------------------------------------------
@app.command()
def demo(
    db: Annotated[
        Path, typer.Option("--db", help="The demo database to create (not $SAFEGROUND_DB).")
    ] = Path("demo.gpkg"),
    report: Annotated[Path, typer.Option("--out", help="The report folder.")] = Path("demo-report"),
    areas: Annotated[int, typer.Option(help="Hazard areas in the region.")] = 1_200,
    seed: Annotated[int, typer.Option(help="The region's seed.")] = 2025,
    plan_seconds: Annotated[float, typer.Option(help="Seconds for the planner.")] = 30.0,
    runs: Annotated[int, typer.Option(help="Forecast runs.")] = 5_000,
    force: Annotated[bool, typer.Option(help="Replace an earlier demo database.")] = False,
    as_json: Json = False,
) -> None:
    """Build a synthetic border region, import it, plan it and forecast it (a few minutes)."""
    from safeground.services import demo as demo_service

    stages = (
        "generating",
        "importing",
        "registering",
        "planning",
        "forecasting",
        "comparing",
        "writing",
    )
    with _errors():
        if db.exists() and not force:
            raise StoreError(f"{db} exists already; remove it, add --force, or name another")
        for leftover in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            leftover.unlink(missing_ok=True)
        with open_store(db, create=True) as store, Progress(console=err) as progress:
            task = progress.add_task("demo", total=len(stages))

            def step(name: str) -> None:
                done = next((i for i, s in enumerate(stages) if name.startswith(s)), 0)
                progress.update(task, completed=done, description=name)

            summary = demo_service.run(
                store,
                report,
                areas=areas,
                seed=seed,
                plan_seconds=plan_seconds,
                runs=runs,
                step=step,
            )
            progress.update(task, completed=len(stages), description="done")
    if as_json:
        _print_json(summary.as_dict())
        return
    out.print(
        f"imported {summary.areas:,} hazard areas and {summary.assets:,} assets into {db}; "
        f"{sum(summary.teams.values()):,} teams registered"
    )
    out.print(f"plan ({summary.plan_status}): all work done on working day {summary.plan_days:,}")
    table = Table(title=f"forecast, {summary.forecast_runs:,} runs: working days until")
    for column in ("", "P50", "P80", "P90", "floor: unlimited teams"):
        table.add_column(column, justify="left" if not column else "right")
    for label, dates, key in (
        ("all priority land released", summary.priority_land, "priority_land"),
        ("all land released", summary.all_land, "all_land"),
        ("every asset rebuilt", summary.assets_rebuilt, "assets_rebuilt"),
    ):
        table.add_row(
            label,
            *(f"{dates[p]:,.0f}" for p in ("P50", "P80", "P90")),
            f"{summary.floor[key]:,.0f}",
        )
    out.print(table)
    out.print(comparison_table(summary.comparison))
    for note in summary.comparison.notes:
        out.print(escape(note), highlight=False)
    out.print(f"report: {summary.report_dir}")


# --- example -------------------------------------------------------------------------------
@app.command()
def example(
    db: Annotated[
        Path, typer.Option("--db", help="The example database to create (not $SAFEGROUND_DB).")
    ] = Path("example.gpkg"),
    force: Annotated[bool, typer.Option(help="Replace an earlier example database.")] = False,
    as_json: Json = False,
) -> None:
    """Record a small, complete land-release story in a new database and summarise it."""
    from safeground.services import example as story_service

    with _errors():
        if db.exists() and not force:
            raise StoreError(f"{db} exists already; remove it, add --force, or name another")
        if force:
            for leftover in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
                leftover.unlink(missing_ok=True)
        with open_store(db, create=True) as store:
            story = story_service.run(store)
            rows = register.summary(store, GroupBy.AREA)
            total = register.summary(store)
    if as_json:
        _print_json(
            {
                "db": str(db),
                "approved_reports": story.approved,
                "refusals": story.refusals,
                "by_area": [_summary_dict(r) for r in rows],
                "total": [_summary_dict(r) for r in total],
            }
        )
        return
    out.print(f"recorded {story.approved} approved reports in {db}")
    for refusal in story.refusals:
        out.print(f"[yellow]{escape(refusal)}[/]", highlight=False)
    out.print(_summary_table(rows, GroupBy.AREA))
    out.print(_summary_table(total, GroupBy.TOTAL))
    out.print(
        f"next: safeground history HA-000001 --db {db} · safeground export out.gpkg --db {db}"
    )


# --- team server -----------------------------------------------------------------------------
user_app = typer.Typer(
    help="Team-server accounts: add, change roles, deactivate.", no_args_is_help=True
)
app.add_typer(user_app, name="user")
DbUrl = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="SAFEGROUND_DB",
        help="The project database: a GeoPackage path (sqlite:PATH) or a postgresql:// URL.",
    ),
]


@app.command()
def serve(
    db: DbUrl = str(DEFAULT_DB),
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes (one per core).")] = 1,
) -> None:
    """Run the team server: web page, JSON API, OGC API - Features (needs the server extra
    and SAFEGROUND_SECRET_KEY)."""
    try:
        import uvicorn

        from safeground.server.app import create_app
        from safeground.server.settings import Settings, SettingsError
    except ImportError as exc:
        err.print(f"[bold red]error:[/] {exc}: pip install 'safeground[server]'")
        raise typer.Exit(1) from exc
    with _errors():
        try:
            settings = Settings.from_env(db)
        except SettingsError as exc:
            raise StoreError(str(exc)) from exc
        if workers == 1:
            application = create_app(settings)
        else:  # each worker process builds its own app from the same settings
            import os

            os.environ["SAFEGROUND_DB"] = settings.db
    out.print(f"safeground on http://{host}:{port}/ (API docs: /docs, OGC API: /ogc)")
    if workers == 1:
        uvicorn.run(application, host=host, port=port, log_level="warning")
    else:
        uvicorn.run(
            "safeground.server.app:from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )


def _password(password_env: str) -> str:
    import os

    password = os.environ.get(password_env, "")
    if not password:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return password


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The user name.")],
    role: Annotated[
        list[str],
        typer.Option(help="field_officer, reviewer, viewer, admin or personal_data; repeat."),
    ],
    password_env: Annotated[
        str, typer.Option(help="Read the password from this environment variable, else ask.")
    ] = "SAFEGROUND_PASSWORD",
    db: DbUrl = str(DEFAULT_DB),
    user: User = "",
) -> None:
    """Add an account to the team server (the first admin is made here)."""
    from safeground.services.accounts import Accounts

    with _store_url(db) as store:
        account = Accounts(store, "cli").create(
            name, _password(password_env), role, by=user or _login()
        )
    out.print(f"added {account.name}: {', '.join(account.roles)}")


@user_app.command("set")
def user_set(
    name: Annotated[str, typer.Argument(help="The user name.")],
    role: Annotated[list[str] | None, typer.Option(help="The new roles; repeat.")] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
    new_password: Annotated[bool, typer.Option("--password", help="Set a new password.")] = False,
    password_env: Annotated[str, typer.Option()] = "SAFEGROUND_PASSWORD",
    db: DbUrl = str(DEFAULT_DB),
    user: User = "",
) -> None:
    """Change an account's roles, password or whether it may log in."""
    from safeground.services.accounts import Accounts

    with _store_url(db) as store:
        accounts = Accounts(store, "cli")
        current = store.account(name)
        account = accounts.update(
            name,
            by=user or _login(),
            version=current.version,
            roles=role or None,
            password=_password(password_env) if new_password else None,
            active=active,
        )
    out.print(
        f"{account.name}: {', '.join(account.roles)}, {'active' if account.active else 'inactive'}"
    )


@user_app.command("list")
def user_list(db: DbUrl = str(DEFAULT_DB), as_json: Json = False) -> None:
    """List the accounts (never their password hashes)."""
    with _store_url(db) as store:
        accounts = store.accounts()
    if as_json:
        _print_json(
            [{"name": a.name, "roles": list(a.roles), "active": a.active} for a in accounts]
        )
        return
    table = Table(title=f"Accounts ({len(accounts)})")
    for column in ("name", "roles", "active"):
        table.add_column(column)
    for a in accounts:
        table.add_row(a.name, ", ".join(a.roles), "yes" if a.active else "no")
    out.print(table)


@contextmanager
def _store_url(db: str) -> Iterator[Store]:
    with _errors(), open_store(db) as store:
        yield store


def main() -> None:
    app()


if __name__ == "__main__":
    main()
