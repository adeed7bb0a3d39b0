"""The JSON API under /api: thin shells over services/team.py and services/accounts.py."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from safeground.geometry import to_geojson
from safeground.server.deps import (
    COOKIE,
    PrincipalDep,
    SettingsDep,
    StoreDep,
    TeamDep,
    session_token,
)
from safeground.server.schemas import (
    Exported,
    ExportRequest,
    Login,
    Me,
    Rejection,
    ReportCreate,
    ReportPublic,
    ReportUpdate,
    Session,
    Transition,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from safeground.services.accounts import Accounts
from safeground.services.team import Versioned

router = APIRouter(prefix="/api")


def _public(v: Versioned, response: Response | None = None) -> ReportPublic:
    if response is not None:
        response.headers["ETag"] = f'"{v.version}"'
    return ReportPublic.of(v.report, v.version)


# --- sessions ----------------------------------------------------------------------------
@router.post("/login", response_model=Session, tags=["sessions"])
def login(
    body: Login, request: Request, store: StoreDep, settings: SettingsDep, response: Response
) -> Session:
    """Log in: a session token, also set as an HttpOnly, SameSite=Strict cookie. Repeated
    failures for a name from one address are refused for a while (429, Retry-After)."""
    token, who = Accounts(store, settings.secret_key).login(
        body.name,
        body.password,
        throttle=request.app.state.login_throttle,
        address=request.client.host if request.client else "",
    )
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        max_age=12 * 3600,
    )
    return Session(token=token, name=who.name, roles=list(who.roles))


@router.post("/logout", status_code=204, tags=["sessions"])
def logout(
    request: Request, who: PrincipalDep, store: StoreDep, settings: SettingsDep, response: Response
) -> None:
    """End this session (the token stops working at once)."""
    token, _ = session_token(request)
    Accounts(store, settings.secret_key).logout(token)
    response.delete_cookie(COOKIE)


@router.get("/me", response_model=Me, tags=["sessions"])
def me(who: PrincipalDep) -> Me:
    return Me(name=who.name, roles=list(who.roles), permissions=sorted(who.permissions))


# --- register ------------------------------------------------------------------------------
@router.get("/areas", tags=["register"])
def areas(team: TeamDep, status: str | None = None) -> list[dict[str, Any]]:
    return [asdict(a) for a in team.areas(status)]


@router.get("/areas/{area_id}", tags=["register"])
def area(area_id: str, team: TeamDep, response: Response) -> dict[str, Any]:
    state, version = team.area(area_id)
    response.headers["ETag"] = f'"{version}"'
    return {
        "id": state.id,
        "version": version,
        "name": state.name,
        "hazard_type": state.hazard_type.value,
        "status": state.status.value,
        "admin_unit": state.admin_unit,
        "area_m2": state.area_m2,
        "released_m2": state.released_m2(),
        "remaining_m2": state.remaining_m2,
        "geometry": to_geojson(state.geometry),
        "activities": [
            {"id": a.id, "type": a.activity_type.value, "start": a.start_date.isoformat()}
            for a in state.activities
        ],
        "outcomes": [
            {
                "id": o.id,
                "outcome": o.outcome.value,
                "released_m2": o.released_m2,
                "date": o.date.isoformat(),
            }
            for o in state.outcomes
        ],
        "report_ids": list(state.report_ids),
    }


@router.get("/summary", tags=["register"])
def summary(team: TeamDep, by: str = "total") -> list[dict[str, Any]]:
    return [asdict(row) for row in team.summary(by)]


# --- reports -------------------------------------------------------------------------------
@router.get("/reports", response_model=list[ReportPublic], tags=["reports"])
def reports(
    team: TeamDep, status: str | None = None, record: str | None = None, limit: int = 200
) -> list[ReportPublic]:
    """The latest ``limit`` reports, filtered by status and record."""
    return [
        ReportPublic.of(r, team.store.report_version(r.id))
        for r in team.reports(status=status, record_id=record, limit=limit)
    ]


@router.get("/reports/{report_id}", response_model=ReportPublic, tags=["reports"])
def report(report_id: int, team: TeamDep, response: Response) -> ReportPublic:
    return _public(team.report(report_id), response)


@router.get("/reports/{report_id}/personal", tags=["reports"])
def report_personal(report_id: int, team: TeamDep) -> dict[str, Any]:
    """Victims' personal data: only with the personal_data permission."""
    return {"report_id": report_id, "personal": team.personal_data(report_id)}


@router.post("/reports", status_code=201, response_model=ReportPublic, tags=["reports"])
def report_create(body: ReportCreate, team: TeamDep, response: Response) -> ReportPublic:
    return _public(
        team.draft(
            body.kind,
            body.payload,
            record_id=body.record_id,
            report_date=body.report_date,
            personal=body.personal,
            record_version=body.record_version,
            submit=body.submit,
        ),
        response,
    )


@router.post("/uploads/area", status_code=201, response_model=ReportPublic, tags=["reports"])
def upload_area(
    team: TeamDep,
    file: Annotated[
        UploadFile,
        File(
            description="One polygon feature: GeoJSON, GeoPackage, KML/KMZ, a field-"
            "coordinates CSV, or a shapefile as a zip (read by the file name's extension)"
        ),
    ],
    name: Annotated[str, Form(max_length=200)],
    hazard_type: Annotated[str, Form(max_length=3)] = "SHA",
    admin_unit: Annotated[str, Form(max_length=200)] = "",
    evidence: Annotated[str, Form(max_length=2000)] = "",
    submit: Annotated[bool, Form()] = False,
) -> ReportPublic:
    """Draft an area's registration from an uploaded file (size-limited)."""
    data = file.file.read()
    return _public(
        team.upload_area(
            data,
            name=name,
            filename=file.filename or "upload.geojson",
            hazard_type=hazard_type,
            admin_unit=admin_unit,
            evidence=evidence,
            submit=submit,
        )
    )


@router.put("/reports/{report_id}", response_model=ReportPublic, tags=["reports"])
def report_edit(
    report_id: int, body: ReportUpdate, team: TeamDep, response: Response
) -> ReportPublic:
    return _public(
        team.edit(
            report_id, version=body.version, payload=body.payload, report_date=body.report_date
        ),
        response,
    )


@router.post("/reports/{report_id}/submit", response_model=ReportPublic, tags=["reports"])
def report_submit(
    report_id: int, body: Transition, team: TeamDep, response: Response
) -> ReportPublic:
    return _public(team.submit(report_id, version=body.version), response)


@router.post("/reports/{report_id}/approve", response_model=ReportPublic, tags=["reports"])
def report_approve(
    report_id: int, body: Transition, team: TeamDep, response: Response
) -> ReportPublic:
    return _public(team.approve(report_id, version=body.version, note=body.note), response)


@router.post("/reports/{report_id}/reject", response_model=ReportPublic, tags=["reports"])
def report_reject(
    report_id: int, body: Rejection, team: TeamDep, response: Response
) -> ReportPublic:
    return _public(team.reject(report_id, version=body.version, reason=body.reason), response)


# --- personal data and export --------------------------------------------------------------
@router.get("/victims", tags=["personal data"])
def victims(team: TeamDep) -> list[dict[str, Any]]:
    """Victims of accidents: only with the personal_data permission."""
    return team.victims().records()


@router.post("/exports", response_model=list[Exported], tags=["export"])
def export(body: ExportRequest, team: TeamDep, settings: SettingsDep) -> list[Exported]:
    """Write the layers to the server's export folder, under a plain name."""
    written = team.export(
        settings.export_dir, body.name, body.format, include_personal=body.include_personal
    )
    root = settings.export_dir.resolve()
    return [
        Exported(layer=w.layer, file=str(w.path.relative_to(root)), features=w.features)
        for w in written
    ]


# --- users -----------------------------------------------------------------------------------
@router.get("/users", response_model=list[UserPublic], tags=["users"])
def users(store: StoreDep, settings: SettingsDep, who: PrincipalDep) -> list[UserPublic]:
    return [UserPublic.of(a) for a in Accounts(store, settings.secret_key).list(by=who)]


@router.post("/users", status_code=201, response_model=UserPublic, tags=["users"])
def user_create(
    body: UserCreate, store: StoreDep, settings: SettingsDep, who: PrincipalDep
) -> UserPublic:
    accounts = Accounts(store, settings.secret_key)
    return UserPublic.of(accounts.create(body.name, body.password, body.roles, by=who))


@router.patch("/users/{name}", response_model=UserPublic, tags=["users"])
def user_update(
    name: str, body: UserUpdate, store: StoreDep, settings: SettingsDep, who: PrincipalDep
) -> UserPublic:
    accounts = Accounts(store, settings.secret_key)
    return UserPublic.of(
        accounts.update(
            name,
            by=who,
            version=body.version,
            roles=body.roles,
            password=body.password,
            active=body.active,
        )
    )
