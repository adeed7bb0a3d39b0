"""Accounts of a team server: roles, permissions, passwords and login sessions.

Roles: a field officer drafts and submits reports; a reviewer approves or rejects them
(never their own); a viewer reads; an admin manages accounts. ``personal_data`` is not a
role but an explicit grant: only accounts that hold it read victims' personal data.
Passwords are hashed with Argon2id (argon2-cffi); sessions are random tokens of which the
store keeps only a keyed hash, so a copy of the database yields no usable session.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from safeground.clock import Clock, SystemClock
from safeground.store.base import Account, NotFound, Store


class Role(StrEnum):
    FIELD_OFFICER = "field_officer"
    REVIEWER = "reviewer"
    VIEWER = "viewer"
    ADMIN = "admin"
    PERSONAL_DATA = "personal_data"  # a grant, not a job: read victims' personal data


class Permission(StrEnum):
    READ = "read"
    DRAFT = "draft"  # draft, edit and submit one's own reports
    REVIEW = "review"  # approve or reject others' reports
    MANAGE_USERS = "manage_users"
    PERSONAL_DATA = "personal_data"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.FIELD_OFFICER: frozenset({Permission.READ, Permission.DRAFT}),
    Role.REVIEWER: frozenset({Permission.READ, Permission.REVIEW}),
    Role.ADMIN: frozenset({Permission.READ, Permission.MANAGE_USERS}),
    Role.PERSONAL_DATA: frozenset({Permission.PERSONAL_DATA}),
}

MIN_PASSWORD = 10
SESSION_HOURS = 12

_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone's")


class AccessDenied(Exception):
    """Authenticated, but not allowed to do this (HTTP 403)."""


class LoginFailed(Exception):
    """Unknown name, wrong password or inactive account (never says which)."""


class TooManyAttempts(LoginFailed):
    """Too many failed logins for this name from this address: wait ``retry_after`` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


class LoginThrottle:
    """Failed logins, counted per (name, client address) and per client address within a
    sliding ``window``: past ``per_name`` failures for a pair, or ``per_address`` from one
    address, logins from there are refused (even with the right password, which is not
    checked) until the oldest failure leaves the window. A success clears its pair.

    Counted per pair, not per name alone, so that nobody can lock a user out by failing
    on their name from elsewhere. Kept in this server process: with several processes,
    each counts its own (``serve`` runs one by default)."""

    def __init__(
        self,
        *,
        per_name: int = 5,
        per_address: int = 50,
        window: timedelta = timedelta(minutes=15),
        clock: Clock | None = None,
    ) -> None:
        self.per_name, self.per_address, self.window = per_name, per_address, window
        self.clock = clock or SystemClock()
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def check(self, name: str, address: str) -> None:
        """Raise TooManyAttempts when logins of ``name`` from ``address`` must wait."""
        now = self.clock.now()
        with self._lock:
            for key, limit in (((name, address), self.per_name), (("", address), self.per_address)):
                times = self._recent(key, now)
                if len(times) >= limit:
                    wait = times[0] + self.window - now
                    raise TooManyAttempts(max(1, math.ceil(wait.total_seconds())))

    def failed(self, name: str, address: str) -> None:
        now = self.clock.now()
        with self._lock:
            for key in ((name, address), ("", address)):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._failures.pop((name, address), None)


@dataclass(frozen=True)
class Principal:
    """Who is asking, and what they may do."""

    name: str
    roles: tuple[str, ...]

    @property
    def permissions(self) -> frozenset[Permission]:
        granted: set[Permission] = set()
        for role in self.roles:
            if role in Role.__members__.values():
                granted |= GRANTS[Role(role)]
        return frozenset(granted)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise AccessDenied(f"{self.name} lacks the {permission} permission")


def _roles(roles: Sequence[str]) -> tuple[str, ...]:
    unknown = [r for r in roles if r not in Role.__members__.values()]
    if unknown or not roles:
        raise ValueError(f"roles must be some of {', '.join(Role)}; got {list(roles)}")
    return tuple(sorted(set(roles)))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password has at least {MIN_PASSWORD} characters")


def _check_name(name: str) -> None:
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-" for c in name):
        raise ValueError("a user name is 1-64 letters, digits, '.', '_' or '-'")


class Accounts:
    """Account and session operations on one store. ``secret`` keys the session hashes."""

    def __init__(
        self,
        store: Store,
        secret: str,
        *,
        clock: Clock | None = None,
        hasher: PasswordHasher | None = None,
    ) -> None:
        """``hasher`` hashes new passwords (default: argon2-cffi's RFC 9106 profile); a
        login verifies with the parameters kept in each stored hash."""
        self.store = store
        self._secret = secret.encode()
        self.clock = clock or SystemClock()
        self._hasher = hasher or _hasher

    def _token_hash(self, token: str) -> str:
        return hmac.new(self._secret, token.encode(), hashlib.sha256).hexdigest()

    # --- accounts --------------------------------------------------------------------------
    def create(
        self, name: str, password: str, roles: Sequence[str], *, by: Principal | str
    ) -> Account:
        """A new account (admins only, or ``by`` a name for the command line's first admin)."""
        by_name = by if isinstance(by, str) else by.name
        if isinstance(by, Principal):
            by.require(Permission.MANAGE_USERS)
        _check_name(name)
        _check_password(password)
        account = Account(
            name, _roles(roles), self._hasher.hash(password), True, 1, self.clock.now(), by_name
        )
        with self.store.transaction():
            return self.store.add_account(account, by=by_name)

    def update(
        self,
        name: str,
        *,
        by: Principal | str,
        version: int,
        roles: Sequence[str] | None = None,
        password: str | None = None,
        active: bool | None = None,
    ) -> Account:
        """Change an account at ``version``; Conflict (409) if it changed since."""
        by_name = by if isinstance(by, str) else by.name
        if isinstance(by, Principal):
            by.require(Permission.MANAGE_USERS)
        if password is not None:
            _check_password(password)
        with self.store.transaction():
            return self.store.update_account(
                name,
                expected_version=version,
                by=by_name,
                at=self.clock.now(),
                roles=None if roles is None else _roles(roles),
                password_hash=None if password is None else self._hasher.hash(password),
                active=active,
            )

    def list(self, *, by: Principal) -> list[Account]:
        by.require(Permission.MANAGE_USERS)
        return self.store.accounts()

    # --- sessions --------------------------------------------------------------------------
    def login(
        self,
        name: str,
        password: str,
        *,
        throttle: LoginThrottle | None = None,
        address: str = "",
    ) -> tuple[str, Principal]:
        """A new session token for the account; LoginFailed otherwise. With a ``throttle``,
        failures are counted for ``name`` from ``address`` (the client), and a pair past
        its limit gets TooManyAttempts without its password being checked."""
        if throttle is None:
            return self._login(name, password)
        throttle.check(name, address)
        try:
            session = self._login(name, password)
        except LoginFailed:
            throttle.failed(name, address)
            raise
        throttle.succeeded(name, address)
        return session

    def _login(self, name: str, password: str) -> tuple[str, Principal]:
        try:
            account = self.store.account(name)
            stored = account.password_hash
        except NotFound:
            account, stored = None, _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError) as exc:
            raise LoginFailed("wrong name or password") from exc
        if account is None or not account.active:
            raise LoginFailed("wrong name or password")
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.store.transaction():
            self.store.add_session(
                self._token_hash(token), name, now, now + timedelta(hours=SESSION_HOURS)
            )
        return token, Principal(account.name, account.roles)

    def principal(self, token: str) -> Principal | None:
        """Who holds this session token, or None (unknown, expired, or deactivated)."""
        if not token or len(token) > 200:
            return None
        account = self.store.session_account(self._token_hash(token), self.clock.now())
        return None if account is None else Principal(account.name, account.roles)

    def logout(self, token: str) -> None:
        with self.store.transaction():
            self.store.delete_session(self._token_hash(token))
