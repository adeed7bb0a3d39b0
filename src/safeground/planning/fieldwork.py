"""From the register's work to a planning problem: survey, clearance, reconstruction.

Each open hazard area with land left to release becomes a clearance task, preceded by a
technical survey when the area is only suspected and has not been surveyed. Clearance has
alternative modes, each a way the field does it: manual teams (1, 2 or 4 of them), a
machine with a manual team verifying the prepared ground, or mine detection dogs. Each
damaged asset becomes a reconstruction task that starts only after every hazard area it
touches is cleared, and, for the rubble of a destroyed or highly damaged building, after an
EOD team has checked it. Durations come from the work rates of ``productivity.toml`` (published
ranges with their sources; assumptions marked as such) scaled by terrain.

Time is in working days from the plan's start. Resources are team types; their capacity is
the number of teams of that type. Nothing here does I/O: the rates come in as text.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from safeground.domain.model import AssetKind, DamageGrade, TeamType
from safeground.planning.model import Mode, Objective, Precedence, Problem, Resource, Task

MANUAL = TeamType.MANUAL_CLEARANCE.value
DOGS = TeamType.MINE_DETECTION_DOGS.value
MACHINES = TeamType.MECHANICAL.value
SURVEY = TeamType.TECHNICAL_SURVEY.value
BUILDERS = TeamType.CONSTRUCTION.value
EOD = TeamType.EOD.value
#: Manual clearance modes: how many manual teams work an area together.
MANUAL_TEAMS = (1, 2, 4)


@dataclass(frozen=True)
class Rates:
    """Work rates per team and working day on open ground, and terrain factors."""

    manual_team_m2_per_day: float
    dog_team_m2_per_day: float
    machine_m2_per_day: float
    verification_speed_up: float
    survey_speed_up: float
    terrain: Mapping[str, float]
    rebuild_days: Mapping[tuple[str, str], int]
    rebuild_crews: int = 1
    eod_check_days: Mapping[str, int] = field(default_factory=dict)  # by damage grade

    def __post_init__(self) -> None:
        for name in (
            "manual_team_m2_per_day",
            "dog_team_m2_per_day",
            "machine_m2_per_day",
            "verification_speed_up",
            "survey_speed_up",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"rate {name} must be a positive number, got {value!r}")
        if "default" not in self.terrain:
            raise ValueError("terrain factors need a 'default'")
        if any(not (math.isfinite(f) and f > 0) for f in self.terrain.values()):
            raise ValueError("terrain factors must be positive numbers")

    def terrain_factor(self, land_use: str) -> float:
        """The factor of the first terrain word found in ``land_use``, else the default."""
        text = land_use.lower()
        for word, factor in self.terrain.items():
            if word != "default" and word in text:
                return factor
        return self.terrain["default"]


def _planning(table: Mapping[str, Any], key: str) -> float:
    entry = table[key]
    value = entry["planning"] if isinstance(entry, Mapping) else entry
    return float(value)


def rates_from_toml(text: str) -> Rates:
    """Rates from the text of a productivity file (see ``productivity.toml``)."""
    try:
        data = tomllib.loads(text)
        hours = float(data["days"]["hours_per_day"])
        manual = data["clearance"]["manual"]
        mech = data["clearance"]["mechanical"]
        rebuild = data["reconstruction"]
        days = {
            (kind, grade): int(value)
            for kind, grades in rebuild.items()
            if isinstance(grades, Mapping) and kind != "eod_check_days"
            for grade, value in grades.items()
        }
        return Rates(
            manual_team_m2_per_day=_planning(manual, "deminer_m2_per_day")
            * int(manual["deminers_per_team"]),
            dog_team_m2_per_day=_planning(data["clearance"]["dogs"], "team_m2_per_day"),
            machine_m2_per_day=_planning(mech, "machine_m2_per_hour") * hours,
            verification_speed_up=float(mech["verification_speed_up"]),
            survey_speed_up=float(data["survey"]["technical"]["speed_up_over_manual"]),
            terrain={str(k): float(v) for k, v in data["terrain"].items()},
            rebuild_days=days,
            rebuild_crews=int(rebuild.get("crews", 1)),
            eod_check_days={str(k): int(v) for k, v in rebuild.get("eod_check_days", {}).items()},
        )
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"productivity file: missing or bad entry: {exc}") from exc


def default_rates() -> Rates:
    """The shipped rates (``productivity.toml``)."""
    text = (resources.files("safeground.planning") / "productivity.toml").read_text("utf-8")
    return rates_from_toml(text)


@dataclass(frozen=True)
class AreaWork:
    """An open hazard area: land left to release, its terrain, whether it needs a
    technical survey first, and its priority weight."""

    area_id: str
    remaining_m2: float
    land_use: str = ""
    needs_survey: bool = False
    weight: float = 1.0


@dataclass(frozen=True)
class AssetWork:
    """A damaged asset to rebuild, the open hazard areas it touches, its priority weight."""

    asset_id: str
    kind: AssetKind
    damage_grade: DamageGrade
    blocking_areas: tuple[str, ...] = ()
    weight: float = 1.0


@dataclass(frozen=True)
class FieldProblem:
    """The problem, and for each task the record it works on and what it does."""

    problem: Problem
    tasks: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # task -> (work, id)


def _days(m2: float, m2_per_day: float) -> int:
    return max(1, math.ceil(m2 / m2_per_day))


def clearance_modes(
    area: AreaWork,
    rates: Rates,
    capacities: Mapping[str, int],
    manual_teams: Sequence[int] = MANUAL_TEAMS,
) -> list[Mode]:
    """The ways ``area`` can be cleared with the teams there are."""
    factor = rates.terrain_factor(area.land_use)
    m2 = area.remaining_m2
    manual = rates.manual_team_m2_per_day * factor
    modes = [
        Mode(_days(m2, k * manual), {MANUAL: k})
        for k in manual_teams
        if capacities.get(MANUAL, 0) >= k
    ]
    if capacities.get(MACHINES, 0) >= 1 and capacities.get(MANUAL, 0) >= 1:
        pace = min(rates.machine_m2_per_day * factor, manual * rates.verification_speed_up)
        modes.append(Mode(_days(m2, pace), {MACHINES: 1, MANUAL: 1}))
    if capacities.get(DOGS, 0) >= 2:
        modes.append(Mode(_days(m2, 2 * rates.dog_team_m2_per_day * factor), {DOGS: 2}))
    return modes


def build_problem(
    areas: Sequence[AreaWork],
    assets: Sequence[AssetWork],
    capacities: Mapping[str, int],
    rates: Rates,
    *,
    objective: Objective = Objective.LEX_WEIGHTED_THEN_MAKESPAN,
    manual_teams: Sequence[int] = MANUAL_TEAMS,
) -> FieldProblem:
    """The planning problem of this work with these teams. ``manual_teams`` lists how
    many manual teams may work one area together (one mode each).

    Raises ValueError naming what is missing when work cannot be done by any team there is
    (no manual, machine or dog teams for clearance, no survey or construction teams).
    """
    tasks: list[Task] = []
    precedences: list[Precedence] = []
    meaning: dict[str, tuple[str, str]] = {}
    cleared: set[str] = set()
    for area in areas:
        if area.remaining_m2 <= 0:
            continue
        modes = clearance_modes(area, rates, capacities, manual_teams)
        if not modes:
            raise ValueError(
                f"no teams can clear {area.area_id}: give manual clearance teams "
                f"({MANUAL}), or {DOGS} (2 per area), or {MACHINES} with manual teams"
            )
        clear = f"clear:{area.area_id}"
        if area.needs_survey:
            if capacities.get(SURVEY, 0) < 1:
                raise ValueError(f"{area.area_id} needs a technical survey: give {SURVEY} teams")
            survey = f"survey:{area.area_id}"
            pace = rates.manual_team_m2_per_day * rates.survey_speed_up
            pace *= rates.terrain_factor(area.land_use)
            tasks.append(Task(survey, (Mode(_days(area.remaining_m2, pace), {SURVEY: 1}),)))
            precedences.append(Precedence(survey, clear))
            meaning[survey] = ("technical survey", area.area_id)
        tasks.append(Task(clear, tuple(modes), weight=area.weight))
        meaning[clear] = ("clearance", area.area_id)
        cleared.add(area.area_id)
    for asset in assets:
        if asset.damage_grade is DamageGrade.NOT_AFFECTED:
            continue
        if capacities.get(BUILDERS, 0) < rates.rebuild_crews:
            raise ValueError(f"rebuilding {asset.asset_id} needs {BUILDERS} teams")
        days = rates.rebuild_days.get((asset.kind.value, asset.damage_grade.value))
        if days is None:
            raise ValueError(
                f"productivity file: no reconstruction days for a {asset.kind.value} "
                f"{asset.damage_grade.value}"
            )
        rebuild = f"rebuild:{asset.asset_id}"
        mode = Mode(max(days, 1), {BUILDERS: rates.rebuild_crews})
        tasks.append(Task(rebuild, (mode,), weight=asset.weight))
        meaning[rebuild] = ("reconstruction", asset.asset_id)
        precedences += [
            Precedence(f"clear:{a}", rebuild) for a in asset.blocking_areas if a in cleared
        ]
        check_days = rates.eod_check_days.get(asset.damage_grade.value)
        if check_days and asset.kind is AssetKind.BUILDING:
            if capacities.get(EOD, 0) < 1:
                raise ValueError(f"{asset.asset_id}'s rubble needs an EOD check: give {EOD} teams")
            check = f"eod:{asset.asset_id}"
            tasks.append(Task(check, (Mode(check_days, {EOD: 1}),)))
            precedences.append(Precedence(check, rebuild))
            meaning[check] = ("EOD rubble check", asset.asset_id)
            precedences += [
                Precedence(f"clear:{a}", check) for a in asset.blocking_areas if a in cleared
            ]
    used = {name for task in tasks for mode in task.modes for name in mode.demands}
    resources_ = tuple(Resource(name, capacities[name]) for name in sorted(used))
    problem = Problem(tuple(tasks), resources_, tuple(precedences), objective=objective)
    return FieldProblem(problem, meaning)
