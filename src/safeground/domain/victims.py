"""Victims of an accident: personal data, read from the personal part of a report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from safeground.domain import errors
from safeground.domain.errors import RuleViolation
from safeground.domain.model import Accident, Victim
from safeground.domain.payload import Payload

INJURIES = ("killed", "injured")


def victims_from(accident: Accident, personal: Mapping[str, Any] | None) -> tuple[Victim, ...]:
    """The victims listed in ``personal`` ({"victims": [{name, sex, age, injury}, ...]}).

    When victims are listed, the accident's counts of killed and injured must match them.
    """
    if personal is None:
        return ()
    where = f"accident {accident.id}: personal data"
    listed = personal.get("victims", [])
    if not isinstance(listed, list):
        raise RuleViolation(errors.INVALID_REPORT, f"{where}: 'victims' must be a list")
    victims = []
    for number, item in enumerate(listed, start=1):
        p = Payload(item, f"{where}, victim {number}")
        age = p.number("age")
        if age is not None and not (0 <= age <= 130 and age == int(age)):
            raise RuleViolation(errors.INVALID_REPORT, f"{p.where}: age {age} is not an age")
        injury = p.text("injury")
        if injury not in INJURIES:
            raise RuleViolation(
                errors.INVALID_REPORT, f"{p.where}: injury must be killed or injured"
            )
        victims.append(
            Victim(
                accident_id=accident.id,
                number=number,
                name=p.text("name", ""),
                sex=p.text("sex", ""),
                age=None if age is None else int(age),
                injury=injury,
            )
        )
    killed = sum(v.injury == "killed" for v in victims)
    if victims and (killed, len(victims) - killed) != (accident.killed, accident.injured):
        raise RuleViolation(
            errors.INVALID_REPORT,
            f"{where}: {killed} killed and {len(victims) - killed} injured listed, but the "
            f"accident reports {accident.killed} killed and {accident.injured} injured",
        )
    return tuple(victims)
