"""Repeated failed logins are slowed down per name and address, never per name alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from safeground.clock import FixedClock
from safeground.services.accounts import LoginThrottle, TooManyAttempts

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _throttle() -> tuple[LoginThrottle, FixedClock]:
    clock = FixedClock(T0)
    return LoginThrottle(
        per_name=3, per_address=5, window=timedelta(minutes=10), clock=clock
    ), clock


def test_a_name_is_refused_from_an_address_after_its_failures_until_the_window_passes() -> None:
    throttle, clock = _throttle()
    for _ in range(3):
        throttle.check("fo", "10.0.0.1")
        throttle.failed("fo", "10.0.0.1")
    clock.set(T0 + timedelta(minutes=4))
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("fo", "10.0.0.1")
    assert refused.value.retry_after == 6 * 60  # the oldest failure leaves in 6 minutes
    throttle.check("fo", "10.0.0.2")  # the user is not locked out from elsewhere
    throttle.check("rev", "10.0.0.1")
    clock.set(T0 + timedelta(minutes=10))
    throttle.check("fo", "10.0.0.1")


def test_an_address_failing_on_many_names_is_refused_on_every_name() -> None:
    throttle, _ = _throttle()
    for name in ("a", "b", "c", "d", "e"):
        throttle.failed(name, "10.0.0.9")
    with pytest.raises(TooManyAttempts):
        throttle.check("fresh-name", "10.0.0.9")
    throttle.check("fresh-name", "10.0.0.1")


def test_a_success_clears_the_failures_of_its_name_and_address() -> None:
    throttle, _ = _throttle()
    throttle.failed("fo", "10.0.0.1")
    throttle.failed("fo", "10.0.0.1")
    throttle.succeeded("fo", "10.0.0.1")
    throttle.failed("fo", "10.0.0.1")
    throttle.failed("fo", "10.0.0.1")
    throttle.check("fo", "10.0.0.1")  # 2 since the success, under the limit of 3
