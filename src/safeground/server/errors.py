"""How errors become answers: one table from exception type to HTTP status, used by the
app's exception handlers and by the item pages' lean path (server/ogcapi.py), which answers
without FastAPI's routing layer and so without its handlers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from safeground.domain.errors import RuleViolation
from safeground.geometry import GeometryError
from safeground.services.accounts import AccessDenied, LoginFailed, TooManyAttempts
from safeground.services.team import VersionConflict
from safeground.store.base import Conflict, InvalidData, NotFound, StoreError

#: Each exception type and its status. A subclass listed before its base wins, as in the
#: app's handlers (which look exceptions up by their class hierarchy).
STATUS: tuple[tuple[type[Exception], int], ...] = (
    (TooManyAttempts, 429),
    (LoginFailed, 401),
    (AccessDenied, 403),
    (NotFound, 404),
    (VersionConflict, 409),
    (Conflict, 409),
    (RuleViolation, 422),
    (InvalidData, 422),
    (GeometryError, 422),
    (ValueError, 422),
    (StoreError, 409),
)


def answer(exc: Exception, status: int) -> JSONResponse:
    """The JSON answer to ``exc``: its message, the rule it broke, the current version."""
    body: dict[str, object] = {"detail": str(exc)}
    if isinstance(exc, RuleViolation):
        body = {"detail": exc.message, "rule": exc.rule}
    if isinstance(exc, VersionConflict):
        body["current_version"] = exc.current
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(body, status_code=status, headers=headers)


async def error_response(request: Request, exc: Exception) -> Response | None:
    """The app's answer to ``exc`` (None for an exception it has no handler for)."""
    if isinstance(exc, HTTPException):
        return await http_exception_handler(request, exc)
    for cls in type(exc).__mro__:
        for known, status in STATUS:
            if cls is known:
                return answer(exc, status)
    return None


def install(app: FastAPI) -> None:
    """Register the handlers of STATUS on ``app``."""
    for exc_type, status in STATUS:

        async def handle(request: Request, exc: Exception, status: int = status) -> JSONResponse:
            return answer(exc, status)

        app.add_exception_handler(exc_type, handle)
