"""Request dependencies as named ``Annotated`` aliases: the store of this request, the
settings, and who is asking (from a session cookie or a bearer token)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from safeground.clock import SystemClock
from safeground.server.pool import StorePool
from safeground.server.settings import Settings
from safeground.services.accounts import Accounts, Principal
from safeground.services.team import Team
from safeground.store import Store

COOKIE = "sg_session"
CSRF_HEADER = "x-requested-with"  # cookie sessions must send it on writes
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_settings(request: Request) -> Settings:  # async: no thread for this
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Iterator[Store]:
    pool: StorePool = request.app.state.pool
    with pool.acquire() as store:
        yield store


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]


def session_token(request: Request) -> tuple[str, bool]:
    """The token and whether it came from the cookie (else the Authorization header)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    return request.cookies.get(COOKIE, ""), True


def principal_of(request: Request, store: Store, settings: Settings) -> Principal:
    """Who sends this request: the holder of a live session (401 otherwise; 403 for a
    cookie session that writes without the CSRF header). Every request looks the session
    up in the store, so a logout or a deactivated account takes effect at once."""
    token, from_cookie = session_token(request)
    principal = Accounts(store, settings.secret_key, clock=SystemClock()).principal(token)
    if principal is None:
        raise HTTPException(
            401,
            "log in first (session cookie or 'Authorization: Bearer TOKEN')",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if from_cookie and request.method not in _SAFE_METHODS and not request.headers.get(CSRF_HEADER):
        raise HTTPException(403, f"a cookie session writes only with the {CSRF_HEADER} header")
    return principal


def get_principal(request: Request, store: StoreDep, settings: SettingsDep) -> Principal:
    return principal_of(request, store, settings)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_team(store: StoreDep, principal: PrincipalDep) -> Team:
    return Team(store, principal)


TeamDep = Annotated[Team, Depends(get_team)]
