"""Workforce scenarios: who is available to do the work, read from a TOML file.

A scenario is a named set of workforce pools: a military engineering unit on humanitarian
tasking, a commercial operator, an NGO, local builders, or any other group. Each pool says
how many people it has, how they split over team types, how many people make one team,
how its output compares with the planning rates, how long it takes to be fully at work,
and what a person costs a working day. From them come the teams of each type
(:func:`capacities`), the pace of each team type (:func:`productivity_factors`) and when
the teams arrive (:func:`capacity_profiles`).

The file format (one scenario per file)::

    name = "workforce-6000"                 # required; unique in a comparison
    description = "what this mix assumes"   # optional

    [[pool]]                                # one table per pool, at least one
    name = "NGO teams"                      # required, unique in the file
    kind = "NGO"                            # free text
    people = 1500                           # everyone in the pool, support staff too
    productivity_factor = 1.0               # ASSUMPTION you set: 1.2 = 20 % faster than
                                            # the planning rates (optional, default 1.0)
    ramp_up_days = 30                       # working days until the pool is fully at
                                            # work; its teams arrive evenly over them
                                            # (optional, default 0)
    daily_cost_per_person = 60.0            # per working day, any one currency
                                            # (optional, default 0)

    [pool.composition]                      # share of the pool's people in each team
    manual_clearance = 0.55                 # type; the rest (command, medics, logistics)
    technical_survey = 0.15                 # is in no team. Shares >= 0, sum <= 1.
    mine_detection_dogs = 0.10
    eod = 0.05

    [pool.team_size]                        # optional: people per team, overriding
    manual_clearance = 10                   # DEFAULT_TEAM_SIZE

Team types are those of ``safeground.domain.model.TeamType`` that the planner schedules:
manual_clearance, mechanical, mine_detection_dogs, technical_survey, eod, construction.

Parsing (:func:`parse_scenario`) is pure; :func:`load_scenario` reads a file or one of the
shipped defaults by name. Errors are :class:`ScenarioError` naming the file, pool and field.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from safeground.planning.fieldwork import BUILDERS, DOGS, EOD, MACHINES, MANUAL, SURVEY

#: The team types a pool's people can be in, in a fixed order.
TEAM_TYPES: tuple[str, ...] = (MANUAL, MACHINES, DOGS, SURVEY, EOD, BUILDERS)
#: People per team when a pool does not say (a manual team: a section of deminers with
#: its leader and medic; a dog team: two dogs, handlers, leader; a machine: operator,
#: mechanic, leader). Typical figures, to be set per programme.
DEFAULT_TEAM_SIZE: Mapping[str, int] = MappingProxyType(
    {
        MANUAL: 8,
        DOGS: 4,
        MACHINES: 3,
        SURVEY: 5,
        EOD: 3,
        BUILDERS: 10,
    }
)
#: The shipped scenarios, loadable by these names (files in ``defaults/``).
DEFAULT_SCENARIOS: tuple[str, ...] = ("workforce-6000", "workforce-20000", "workforce-50000")


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file, pool and field."""


class FrozenMap(Mapping[str, Any]):
    """A read-only, hashable, picklable mapping (scenarios go to worker processes)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))


def _where(source: str, pool: str | None, name: str) -> str:
    return f"{source}: pool {pool!r}: {name}" if pool is not None else f"{source}: {name}"


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{where}: must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ScenarioError(f"{where}: must be finite, got {value!r}")
    return number


def _integer(value: object, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{where}: must be a whole number, got {value!r}")
    if value < minimum:
        raise ScenarioError(f"{where}: must be at least {minimum}, got {value}")
    return value


def _team_map(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(f"{where}: must be a table of team types, got {value!r}")
    unknown = sorted(str(k) for k in value if k not in TEAM_TYPES)
    if unknown:
        raise ScenarioError(
            f"{where}: unknown team type {unknown[0]!r}; one of {', '.join(TEAM_TYPES)}"
        )
    return dict(value)


@dataclass(frozen=True)
class Pool:
    """People from one organisation or group, and how they split over team types.

    ``composition`` maps a team type to the share of ``people`` in teams of that type
    (shares >= 0 summing to at most 1); ``team_size`` the people per team of a type (the
    defaults fill what is not given). ``productivity_factor`` multiplies the planning
    rates for this pool's teams (an ASSUMPTION the user sets); ``ramp_up_days`` are the
    working days over which its teams arrive; ``daily_cost_per_person`` is paid for
    everyone in the pool from day 0 to the end. Raises :class:`ScenarioError` (``source``
    names the file) for any value out of range.
    """

    name: str
    kind: str
    people: int
    composition: Mapping[str, float]
    team_size: Mapping[str, int] = field(default_factory=lambda: FrozenMap(DEFAULT_TEAM_SIZE))
    productivity_factor: float = 1.0
    ramp_up_days: int = 0
    daily_cost_per_person: float = 0.0
    source: str = field(default="<scenario>", compare=False, repr=False)

    def __post_init__(self) -> None:
        src = self.source
        if not isinstance(self.name, str) or not self.name.strip():
            raise ScenarioError(f"{src}: a pool: name: must be a non-empty string")
        pool = self.name

        def at(name: str) -> str:
            return _where(src, pool, name)

        if not isinstance(self.kind, str):
            raise ScenarioError(f"{at('kind')}: must be text, got {self.kind!r}")
        object.__setattr__(self, "people", _integer(self.people, at("people"), 1))
        shares = _team_map(self.composition, at("composition"))
        clean = {t: _number(v, at(f"composition.{t}")) for t, v in shares.items()}
        for team, share in clean.items():
            if not 0 <= share <= 1:
                raise ScenarioError(f"{at(f'composition.{team}')}: must lie in [0, 1], got {share}")
        if sum(clean.values()) > 1 + 1e-9:
            raise ScenarioError(
                f"{at('composition')}: shares sum to {sum(clean.values()):g}, more than 1"
            )
        if not any(clean.values()):
            raise ScenarioError(f"{at('composition')}: puts nobody in any team")
        object.__setattr__(self, "composition", FrozenMap(clean))
        sizes = dict(DEFAULT_TEAM_SIZE)
        given = _team_map(self.team_size, at("team_size"))
        for team, size in given.items():
            sizes[team] = _integer(size, at(f"team_size.{team}"), 1)
        object.__setattr__(self, "team_size", FrozenMap(sizes))
        factor = _number(self.productivity_factor, at("productivity_factor"))
        if factor <= 0:
            raise ScenarioError(f"{at('productivity_factor')}: must be > 0, got {factor}")
        object.__setattr__(self, "productivity_factor", factor)
        object.__setattr__(self, "ramp_up_days", _integer(self.ramp_up_days, at("ramp_up_days"), 0))
        cost = _number(self.daily_cost_per_person, at("daily_cost_per_person"))
        if cost < 0:
            raise ScenarioError(f"{at('daily_cost_per_person')}: must be >= 0, got {cost}")
        object.__setattr__(self, "daily_cost_per_person", cost)

    def teams(self, team: str) -> int:
        """Whole teams of type ``team`` this pool fields: people x share / team size, down."""
        share = float(self.composition.get(team, 0.0))
        # a hair of slack so that 0.1 * 80 / 8 counts as the 1 team it is
        return math.floor(self.people * share / int(self.team_size[team]) + 1e-9)

    def people_in(self, team: str) -> float:
        """The people of this pool in teams of type ``team``."""
        return self.people * float(self.composition.get(team, 0.0))

    def arrivals(self, team: str) -> list[int]:
        """The working day each of this pool's teams of type ``team`` is at work: evenly
        over ``ramp_up_days``, the last on that day (all on day 0 without a ramp-up)."""
        n = self.teams(team)
        return [math.ceil(self.ramp_up_days * k / n) for k in range(1, n + 1)]


@dataclass(frozen=True)
class Scenario:
    """A named workforce: its pools. Raises :class:`ScenarioError` without pools or with
    two pools of one name."""

    name: str
    pools: tuple[Pool, ...]
    description: str = ""
    source: str = field(default="<scenario>", compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ScenarioError(f"{self.source}: name: must be a non-empty string")
        pools = tuple(self.pools)
        if not pools or not all(isinstance(p, Pool) for p in pools):
            raise ScenarioError(f"{self.source}: pool: give at least one [[pool]] table")
        names = [p.name for p in pools]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ScenarioError(f"{self.source}: pool {twice[0]!r}: name: used twice")
        object.__setattr__(self, "pools", pools)

    @property
    def people(self) -> int:
        return sum(p.people for p in self.pools)

    @property
    def daily_cost(self) -> float:
        """What the whole workforce costs a working day."""
        return math.fsum(p.people * p.daily_cost_per_person for p in self.pools)


def capacities(scenario: Scenario) -> dict[str, int]:
    """Teams of each type (every type of :data:`TEAM_TYPES`, 0 where there are none):
    per pool the floor of people x share / team size, summed over the pools."""
    return {t: sum(p.teams(t) for p in scenario.pools) for t in TEAM_TYPES}


def productivity_factors(scenario: Scenario) -> dict[str, float]:
    """Per team type, the pools' productivity factors weighted by the people each puts in
    teams of that type (1.0 for a type nobody is in)."""
    out: dict[str, float] = {}
    for team in TEAM_TYPES:
        people = [(p.people_in(team), p.productivity_factor) for p in scenario.pools]
        total = math.fsum(n for n, _ in people)
        out[team] = math.fsum(n * f for n, f in people) / total if total > 0 else 1.0
    return out


def capacity_profiles(scenario: Scenario) -> dict[str, tuple[tuple[int, int], ...]]:
    """Per team type, ``((from_day, teams), ...)``: how many teams are at work from each
    day on as the pools ramp up (a ``Resource.capacity_profile``; empty for a type with
    no teams). The last entry is :func:`capacities`."""
    out: dict[str, tuple[tuple[int, int], ...]] = {}
    for team in TEAM_TYPES:
        days = sorted(day for p in scenario.pools for day in p.arrivals(team))
        steps: list[tuple[int, int]] = []
        for k, day in enumerate(days, start=1):
            if steps and steps[-1][0] == day:
                steps[-1] = (day, k)
            else:
                steps.append((day, k))
        out[team] = tuple(steps)
    return out


def scaled(scenario: Scenario, people: int, *, name: str | None = None) -> Scenario:
    """The same mix with ``people`` in all: each pool scaled in proportion (largest
    remainders, so the total is exact; a pool keeps at least one person). Named
    ``name``, by default ``"<name> @ <people>"``. Raises ScenarioError if ``people`` is
    fewer than the pools."""
    if isinstance(people, bool) or not isinstance(people, int) or people < len(scenario.pools):
        raise ScenarioError(
            f"{scenario.source}: people: need a whole number >= {len(scenario.pools)} "
            f"(one per pool), got {people!r}"
        )
    total = scenario.people
    exact = [p.people * people / total for p in scenario.pools]
    counts = [max(1, math.floor(x)) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - math.floor(exact[i])), i))
    k = 0
    while sum(counts) < people:
        counts[order[k % len(order)]] += 1
        k += 1
    while sum(counts) > people:  # only when the max(1, .) floors overshoot
        i = max(range(len(counts)), key=lambda j: (counts[j], -j))
        counts[i] -= 1
    pools = tuple(replace(p, people=n) for p, n in zip(scenario.pools, counts, strict=True))
    return replace(scenario, name=name or f"{scenario.name} @ {people}", pools=pools)


def _pool(data: object, index: int, source: str) -> Pool:
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{source}: pool #{index + 1}: must be a table")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"{source}: pool #{index + 1}: name: must be a non-empty string")
    known = {
        "name",
        "kind",
        "people",
        "composition",
        "team_size",
        "productivity_factor",
        "ramp_up_days",
        "daily_cost_per_person",
    }
    stray = sorted(str(k) for k in data if k not in known)
    if stray:
        raise ScenarioError(
            f"{_where(source, name, stray[0])}: unknown field; one of {', '.join(sorted(known))}"
        )
    for required in ("people", "composition"):
        if required not in data:
            raise ScenarioError(f"{_where(source, name, required)}: missing")
    return Pool(
        name=name,
        kind=data.get("kind", ""),
        people=data["people"],
        composition=data["composition"],
        team_size=data.get("team_size", {}),
        productivity_factor=data.get("productivity_factor", 1.0),
        ramp_up_days=data.get("ramp_up_days", 0),
        daily_cost_per_person=data.get("daily_cost_per_person", 0.0),
        source=source,
    )


def parse_scenario(text: str, *, source: str = "<scenario>") -> Scenario:
    """The scenario in ``text`` (the TOML format of this module); ``source`` names it in
    errors (a file name). Raises :class:`ScenarioError` naming the source, pool and field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
    stray = sorted(k for k in data if k not in {"name", "description", "pool"})
    if stray:
        raise ScenarioError(f"{source}: {stray[0]}: unknown field; name, description or pool")
    pools = data.get("pool", [])
    if not isinstance(pools, list) or not pools:
        raise ScenarioError(f"{source}: pool: give at least one [[pool]] table")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError(f"{source}: description: must be text")
    return Scenario(
        name=data.get("name", ""),
        pools=tuple(_pool(p, i, source) for i, p in enumerate(pools)),
        description=description,
        source=source,
    )


def load_scenario(path_or_name: str | Path) -> Scenario:
    """A scenario from a TOML file, or a shipped one by name (:data:`DEFAULT_SCENARIOS`).
    Raises ScenarioError for a bad file or an unknown name, OSError if it cannot be read."""
    if isinstance(path_or_name, str) and path_or_name in DEFAULT_SCENARIOS:
        files = resources.files("safeground.scenarios") / "defaults" / f"{path_or_name}.toml"
        return parse_scenario(files.read_text("utf-8"), source=f"{path_or_name}.toml")
    path = Path(path_or_name)
    if not path.exists():
        raise ScenarioError(
            f"{path}: no such file, and not a shipped scenario ({', '.join(DEFAULT_SCENARIOS)})"
        )
    return parse_scenario(path.read_text("utf-8"), source=str(path))


def default_scenarios() -> tuple[Scenario, ...]:
    """The shipped scenarios, smallest first (ILLUSTRATIVE mixes: see their files)."""
    return tuple(load_scenario(name) for name in DEFAULT_SCENARIOS)
