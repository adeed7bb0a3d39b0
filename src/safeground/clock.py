"""The clock seam: services ask a Clock for the time, tests hand them a fixed one."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that says what it is told; ``set`` moves it."""

    def __init__(self, at: datetime | date) -> None:
        self.set(at)

    def set(self, at: datetime | date) -> None:
        if not isinstance(at, datetime):
            at = datetime.combine(at, time(12, 0), tzinfo=UTC)
        self._at = at if at.tzinfo else at.replace(tzinfo=UTC)

    def now(self) -> datetime:
        return self._at
