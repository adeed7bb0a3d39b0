"""Request and response bodies: separate create, update and public shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from safeground.domain.model import Report
from safeground.store.base import Account


class Login(BaseModel):
    name: str = Field(max_length=64)
    password: str = Field(max_length=200)


class Session(BaseModel):
    token: str
    name: str
    roles: list[str]


class Me(BaseModel):
    name: str
    roles: list[str]
    permissions: list[str]


class ReportCreate(BaseModel):
    kind: str = Field(max_length=40)
    record_id: str | None = Field(default=None, max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict)
    report_date: date | None = None
    personal: dict[str, Any] | None = None
    record_version: int | None = None  # refuse if the record changed since this version
    submit: bool = False


class ReportUpdate(BaseModel):
    version: int
    payload: dict[str, Any]
    report_date: date | None = None


class Transition(BaseModel):
    version: int
    note: str | None = Field(default=None, max_length=2000)


class Rejection(BaseModel):
    version: int
    reason: str = Field(min_length=1, max_length=2000)


class ReportPublic(BaseModel):
    id: int
    version: int
    kind: str
    record_id: str
    report_date: date
    status: str
    author: str
    created_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None
    supersedes: int | None
    superseded_by: int | None
    payload: dict[str, Any]

    @classmethod
    def of(cls, report: Report, version: int) -> ReportPublic:
        return cls(
            id=report.id,
            version=version,
            kind=report.kind.value,
            record_id=report.record_id,
            report_date=report.report_date,
            status=report.status.value,
            author=report.author,
            created_at=report.created_at,
            submitted_by=report.submitted_by,
            submitted_at=report.submitted_at,
            reviewed_by=report.reviewed_by,
            reviewed_at=report.reviewed_at,
            review_note=report.review_note,
            supersedes=report.supersedes,
            superseded_by=report.superseded_by,
            payload=dict(report.payload),
        )


class UserCreate(BaseModel):
    name: str = Field(max_length=64)
    password: str = Field(max_length=200)
    roles: list[str]


class UserUpdate(BaseModel):
    version: int
    roles: list[str] | None = None
    password: str | None = Field(default=None, max_length=200)
    active: bool | None = None


class UserPublic(BaseModel):
    name: str
    roles: list[str]
    active: bool
    version: int
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, a: Account) -> UserPublic:
        return cls(
            name=a.name,
            roles=list(a.roles),
            active=a.active,
            version=a.version,
            created_at=a.created_at,
            created_by=a.created_by,
        )


class ExportRequest(BaseModel):
    name: str = Field(max_length=200)
    format: str = "gpkg"
    include_personal: bool = False


class Exported(BaseModel):
    layer: str
    file: str
    features: int
