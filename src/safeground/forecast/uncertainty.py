"""What is uncertain about a plan, as typed immutable values with sourced defaults.

Every uncertainty is expressed *relative to the plan*: the plan's durations are taken to be
what happens when every uncertainty sits at the value the plan assumes, and a draw moves a
duration by its ratio to that value. For the productivity multipliers, lost days and
attrition the plan's assumption is the mode (the planning rates are modal rates that already
allow for the typical share of lost days and turnover); for ramp-up it is "teams in place as
planned"; for the survey outcome it is "the whole suspected area is cleared", which is what
:func:`safeground.planning.fieldwork.build_problem` plans. :meth:`Uncertainty.collapsed`
puts every uncertainty at that value, so a simulation with it reproduces the plan exactly
(unless a seasonal profile is given: seasons are a pattern, not noise, and the plan knows
none).

Defaults marked ASSUMPTION have no published figure behind them: calibrate them from your
programme's completion records before relying on a forecast. Nothing here does I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from safeground.planning.fieldwork import BUILDERS, DOGS, EOD, MACHINES, MANUAL, SURVEY

Array = np.ndarray[Any, Any]
End = Literal["low", "high"]

#: The share of a team's days a seasonal profile may take at most (so durations stay finite).
MAX_LOST = 0.95


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {number}")
    return number


class Shape(StrEnum):
    """The shape of a three-point estimate."""

    TRIANGULAR = "triangular"  # straight lines from low to mode to high: heavier tails
    PERT = "pert"  # a beta distribution with mean (low + 4 mode + high) / 6: lighter tails


_PERT_GRID = 4097


@dataclass(frozen=True)
class ThreePoint:
    """A three-point estimate ``low <= mode <= high`` with a :class:`Shape`.

    ``low == high`` is a point (no uncertainty). Raises ValueError if the points are not
    finite numbers in order.
    """

    low: float
    mode: float
    high: float
    shape: Shape = Shape.TRIANGULAR

    def __post_init__(self) -> None:
        for name in ("low", "mode", "high"):
            object.__setattr__(self, name, _number(getattr(self, name), name))
        if not self.low <= self.mode <= self.high:
            raise ValueError(
                f"a three-point estimate needs low <= mode <= high, got "
                f"{self.low}, {self.mode}, {self.high}"
            )
        try:
            object.__setattr__(self, "shape", Shape(self.shape))
        except ValueError:
            raise ValueError(f"shape must be triangular or pert, got {self.shape!r}") from None

    @classmethod
    def point(cls, value: float) -> ThreePoint:
        """No uncertainty: always ``value``."""
        return cls(value, value, value)

    @property
    def is_point(self) -> bool:
        return self.low == self.high

    def at(self, end: End | Literal["mode"]) -> ThreePoint:
        """The point at ``low``, ``mode`` or ``high``."""
        return ThreePoint.point(getattr(self, end))

    @property
    def mean(self) -> float:
        if self.shape is Shape.PERT:
            return (self.low + 4 * self.mode + self.high) / 6
        return (self.low + self.mode + self.high) / 3

    def inverse_table(self) -> tuple[Array, Array]:
        """For a PERT: its distribution function ``F`` on a fine grid ``x`` of [0, 1] (as
        ``(F, x)``: the quantile at ``u`` is ``low + (high - low) * interp(u, F, x)``); numpy
        has no incomplete beta function, and the density is bounded, so the trapezoid rule
        is exact to about 1e-7 here. Empty arrays for a triangle or a point (closed form)."""
        if self.shape is not Shape.PERT or self.is_point:
            return np.zeros(0), np.zeros(0)
        width = self.high - self.low
        alpha = 1 + 4 * (self.mode - self.low) / width
        beta = 1 + 4 * (self.high - self.mode) / width
        x = np.linspace(0.0, 1.0, _PERT_GRID)
        pdf = x ** (alpha - 1) * (1 - x) ** (beta - 1)  # 0 ** 0 is 1: a flat end
        cdf = np.concatenate([[0.0], np.cumsum((pdf[1:] + pdf[:-1]) / 2)])
        return cdf / cdf[-1], x

    def quantile(self, u: Array | float) -> Array:
        """The values at probabilities ``u`` (in [0, 1]): the inverse distribution function."""
        q = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
        a, m, b = self.low, self.mode, self.high
        if a == b:
            return np.full(q.shape, a)
        if self.shape is Shape.PERT:
            cdf, x = self.inverse_table()
            return a + (b - a) * np.interp(q, cdf, x)
        corner = (m - a) / (b - a)
        out: Array = np.empty(q.shape)
        left = q < corner
        # each side only where it applies: half the square roots, and none for a side
        # of zero width
        out[left] = a + np.sqrt(q[left] * ((b - a) * (m - a)))
        right = ~left
        out[right] = b - np.sqrt((1 - q[right]) * ((b - a) * (b - m)))
        return out

    def cdf(self, x: Array | float) -> Array:
        """The probability of a value at most ``x``."""
        v = np.asarray(x, dtype=np.float64)
        a, m, b = self.low, self.mode, self.high
        if a == b:
            out: Array = (v >= a).astype(np.float64)
            return out
        if self.shape is Shape.PERT:
            cdf, grid = self.inverse_table()
            return np.interp((v - a) / (b - a), grid, cdf, left=0.0, right=1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            left = np.where(m > a, (v - a) ** 2 / ((b - a) * (m - a)), 0.0)
            right = np.where(b > m, 1 - (b - v) ** 2 / ((b - a) * (b - m)), 1.0)
        inside: Array = np.where(v <= m, left, right)
        return np.where(v <= a, 0.0, np.where(v >= b, 1.0, inside))


def _three(value: object, what: str) -> ThreePoint:
    if isinstance(value, ThreePoint):
        return value
    if isinstance(value, tuple | list) and len(value) == 3:
        return ThreePoint(*value)
    raise ValueError(f"{what} must be a ThreePoint or (low, mode, high), got {value!r}")


def _fraction(point: ThreePoint, what: str, *, below_one: bool = False) -> None:
    top_ok = point.high < 1 if below_one else point.high <= 1
    if point.low < 0 or not top_ok:
        bound = "[0, 1)" if below_one else "[0, 1]"
        raise ValueError(f"{what} must lie in {bound}, got {point}")


#: Productivity multipliers on each team type's planned rate (1.0 = the planning rate).
#: The ranges are those of ``planning/productivity.toml`` divided by its planning value.
DEFAULT_PRODUCTIVITY: Mapping[str, ThreePoint] = MappingProxyType(
    {
        # 10-50 m² a deminer-day around the planning 25 (GICHD, A Guide to Mine Action, 2014)
        MANUAL: ThreePoint(0.4, 1.0, 2.0),
        # 800-1,500 m² a team-day around the planning 1,000 (GICHD, Mine Detection Dogs, 2003)
        DOGS: ThreePoint(0.8, 1.0, 1.5),
        # 300-1,800 m² an hour around the planning 600 (GICHD, Mechanical Application in
        # Demining, 2004)
        MACHINES: ThreePoint(0.5, 1.0, 3.0),
        # technical survey is planned at 5 times the manual rate: the manual range (ASSUMPTION)
        SURVEY: ThreePoint(0.4, 1.0, 2.0),
        # EOD rubble checks: ASSUMPTION, half to one and a half times the planned pace
        EOD: ThreePoint(0.5, 1.0, 1.5),
        # building overruns far more often than it underruns (reference-class forecasting,
        # Flyvbjerg 2006): ASSUMPTION, up to twice as long, at most 20 % faster
        BUILDERS: ThreePoint(0.5, 1.0, 1.2),
    }
)


@dataclass(frozen=True)
class Productivity:
    """How fast each team type works, as a multiplier on the rate the plan used.

    ``by_team`` maps a resource (team type) name to its multiplier; ``other`` is used for a
    team type not named. A task run by several team types goes at the pace of the slowest
    of them (its duration is divided by the smallest multiplier).
    """

    by_team: Mapping[str, ThreePoint] = field(default_factory=lambda: DEFAULT_PRODUCTIVITY)
    other: ThreePoint = ThreePoint(0.5, 1.0, 1.5)  # ASSUMPTION
    source: str = (
        "published ranges of productivity.toml (GICHD) as multipliers on the planning rate; "
        "survey, EOD, builders and other teams: ASSUMPTIONS"
    )

    def __post_init__(self) -> None:
        if not isinstance(self.by_team, Mapping):
            raise ValueError(f"by_team must map team names to estimates, got {self.by_team!r}")
        teams = {str(k): _three(v, f"productivity of {k!r}") for k, v in self.by_team.items()}
        object.__setattr__(self, "by_team", MappingProxyType(teams))
        object.__setattr__(self, "other", _three(self.other, "productivity of other teams"))
        for name, estimate in [*teams.items(), ("other", self.other)]:
            if estimate.low <= 0:
                raise ValueError(f"productivity of {name!r} must be > 0, got {estimate}")

    def for_team(self, name: str) -> ThreePoint:
        return self.by_team.get(name, self.other)

    def collapsed(self) -> Productivity:
        return replace(
            self,
            by_team={k: v.at("mode") for k, v in self.by_team.items()},
            other=self.other.at("mode"),
        )


@dataclass(frozen=True)
class SurveyOutcome:
    """What technical survey leaves to clear of a suspected area, as a fraction of it.

    Each run draws the share of suspected areas that prove to hold mines
    (``contaminated_share``, programme-wide: how good the non-technical survey's polygons
    were). Each suspected area then holds mines with that probability; if it does, survey
    bounds the confirmed hazard area to ``confirmed`` of it; if not, survey cancels or
    reduces it, leaving ``clean`` of it to clear. ``planned`` is the fraction the plan
    clears (fieldwork plans the whole area: 1.0); clearance durations scale by the drawn
    fraction over ``planned``.
    """

    contaminated_share: ThreePoint = ThreePoint(0.02, 0.05, 0.15)
    confirmed: ThreePoint = ThreePoint(0.1, 0.3, 1.0)
    clean: ThreePoint = ThreePoint(0.0, 0.0, 0.1)
    planned: float = 1.0
    source: str = (
        "most suspected land holds no mines: under 5 % of suspected areas do (the brief's "
        "figure; operators report most suspected land released by survey); the confirmed "
        "share of a contaminated area and the remainder of a clean one: ASSUMPTIONS"
    )

    def __post_init__(self) -> None:
        for name in ("contaminated_share", "confirmed", "clean"):
            value = _three(getattr(self, name), f"survey {name}")
            _fraction(value, f"survey {name}")
            object.__setattr__(self, name, value)
        planned = _number(self.planned, "planned survey fraction")
        if not 0 < planned <= 1:
            raise ValueError(f"the planned survey fraction must lie in (0, 1], got {planned}")
        object.__setattr__(self, "planned", planned)

    def collapsed(self) -> SurveyOutcome:
        """Survey as the plan assumes it: every area contaminated, ``planned`` of it left."""
        point = ThreePoint.point(self.planned)
        return replace(self, contaminated_share=ThreePoint.point(1.0), confirmed=point)

    def fractions(self, share: Array, u: Array) -> Array:
        """The fractions left to clear for uniform draws ``u`` (runs x areas) given each run's
        ``share`` (runs,). One uniform per area decides both whether it holds mines and how
        much: below the share it does, and ``u / share`` is uniform again. The simulation
        computes the same, area by area, in its loop; this is the reference for checks."""
        s = np.broadcast_to(share[:, None], u.shape)
        hit = u < s
        out: Array = np.empty(u.shape, dtype=np.float32)
        ok = hit & (s > 0)
        out[ok] = self.confirmed.quantile(u[ok] / s[ok])
        miss = ~hit
        out[miss] = self.clean.quantile((u[miss] - s[miss]) / (1 - s[miss]))
        out /= np.float32(self.planned)
        return out


@dataclass(frozen=True)
class LostDays:
    """The share of working days on which no work gets done: weather, winter, security
    stand-downs, holidays, accreditation stops.

    ``fraction`` is the share over a year. ``planned`` is the share the plan's durations
    already allow for (by default the mode: planning rates are averages over field days that
    include the typical interruptions, ASSUMPTION; set 0 if your rates are for full working
    days). Durations scale by ``(1 - planned) / (1 - drawn share)``.

    ``season`` optionally gives 12 monthly multipliers on the share (normalised here to
    average 1), e.g. more lost in winter; ``start_month`` (1-12) is the month of day 0 and
    ``days_per_year`` the plan's days in a year (its periods are working days: about 5 a
    week). A task's share is then the drawn share times the season's average over the task.
    """

    fraction: ThreePoint = ThreePoint(0.05, 0.15, 0.35)
    planned: float | None = None
    season: tuple[float, ...] | None = None  # 12 monthly multipliers, January first
    start_month: int = 1
    days_per_year: float = 260.0
    source: str = (
        "ASSUMPTION: about one working day in seven lost in a typical year, up to a third in "
        "a bad one (weather, insecurity, stand-downs); no published programme-wide figure"
    )

    def __post_init__(self) -> None:
        point = _three(self.fraction, "lost-days fraction")
        _fraction(point, "the lost-days fraction", below_one=True)
        object.__setattr__(self, "fraction", point)
        if self.planned is not None:
            planned = _number(self.planned, "planned lost-days fraction")
            if not 0 <= planned < 1:
                raise ValueError(
                    f"the planned lost-days fraction must lie in [0, 1), got {planned}"
                )
            object.__setattr__(self, "planned", planned)
        if self.season is not None:
            months = tuple(_number(m, "a seasonal multiplier") for m in self.season)
            if len(months) != 12 or min(months) < 0 or sum(months) <= 0:
                raise ValueError("season needs 12 multipliers >= 0, not all zero")
            mean = sum(months) / 12
            object.__setattr__(self, "season", tuple(m / mean for m in months))
        if isinstance(self.start_month, bool) or self.start_month not in range(1, 13):
            raise ValueError(f"start_month must be 1-12, got {self.start_month!r}")
        days = _number(self.days_per_year, "days_per_year")
        if days <= 0:
            raise ValueError(f"days_per_year must be > 0, got {days}")
        object.__setattr__(self, "days_per_year", days)

    @property
    def planned_share(self) -> float:
        return self.fraction.mode if self.planned is None else float(self.planned)

    def collapsed(self) -> LostDays:
        return replace(self, fraction=self.fraction.at("mode"), planned=self.planned_share)


@dataclass(frozen=True)
class RampUp:
    """Days (beyond the plan) until each team type reaches the capacity the plan gives it.

    Teams arrive one by one, evenly over the drawn number of days, never earlier than the
    plan has them; drawn per team type.
    """

    days: ThreePoint = ThreePoint(0.0, 0.0, 60.0)
    source: str = (
        "ASSUMPTION: teams in place as planned (mode 0), up to two months late (recruitment, "
        "accreditation, import of equipment); raise the mode for a programme still mobilising"
    )

    def __post_init__(self) -> None:
        point = _three(self.days, "ramp-up days")
        if point.low < 0:
            raise ValueError(f"ramp-up days must be >= 0, got {point}")
        object.__setattr__(self, "days", point)

    def collapsed(self) -> RampUp:
        return replace(self, days=self.days.at("mode"))


@dataclass(frozen=True)
class Attrition:
    """Staff lost per month, replaced after ``replacement_days``: a team's output falls by
    the share of its staff missing, ``rate * min(t, replacement_days) / days_per_month``
    (turnover from day 0, steady once replacements arrive). ``planned`` is the rate the
    plan's rates allow for (by default the mode); durations scale by the missing share at
    that rate over the missing share at the drawn one. Drawn per team type."""

    per_month: ThreePoint = ThreePoint(0.0, 0.01, 0.03)
    planned: float | None = None
    replacement_days: float = 90.0
    days_per_month: float = 260.0 / 12
    source: str = (
        "ASSUMPTION: about 1 % of staff lost a month (up to 3 %), replaced after three months "
        "of recruitment and training (IMAS 09.10 requires accredited, trained deminers)"
    )

    def __post_init__(self) -> None:
        point = _three(self.per_month, "attrition per month")
        _fraction(point, "attrition per month")
        object.__setattr__(self, "per_month", point)
        for name in ("replacement_days", "days_per_month"):
            value = _number(getattr(self, name), name)
            if value <= 0:
                raise ValueError(f"{name} must be > 0, got {value}")
            object.__setattr__(self, name, value)
        if self.planned is not None:
            planned = _number(self.planned, "planned attrition")
            if not 0 <= planned <= 1:
                raise ValueError(f"planned attrition must lie in [0, 1], got {planned}")
            object.__setattr__(self, "planned", planned)
        months = self.replacement_days / self.days_per_month
        if max(self.per_month.high, self.planned_rate) * months >= MAX_LOST:
            raise ValueError("attrition this high leaves no staff before replacements arrive")

    @property
    def planned_rate(self) -> float:
        return self.per_month.mode if self.planned is None else float(self.planned)

    def collapsed(self) -> Attrition:
        return replace(self, per_month=self.per_month.at("mode"), planned=self.planned_rate)


#: The uncertainties a tornado varies one at a time (productivity is per team type).
COMPONENTS = ("survey", "lost_days", "ramp_up", "attrition")


@dataclass(frozen=True)
class Uncertainty:
    """Everything uncertain about carrying out a plan.

    Draws are correlated where reality is: each run has one common "bad year" factor
    (weather, insecurity, funding) shared by the productivity of every team type, the lost
    days, the ramp-up and the attrition, plus independent noise per team type. ``rho`` is
    the correlation between any two of those draws (a Gaussian copula: each keeps its own
    distribution). Survey outcomes are per area and independent of it.
    """

    productivity: Productivity = field(default_factory=Productivity)
    survey: SurveyOutcome = field(default_factory=SurveyOutcome)
    lost_days: LostDays = field(default_factory=LostDays)
    ramp_up: RampUp = field(default_factory=RampUp)
    attrition: Attrition = field(default_factory=Attrition)
    rho: float = 0.5
    rho_source: str = (
        "ASSUMPTION: half of each draw's variance common to the run; no published estimate"
    )

    def __post_init__(self) -> None:
        for name, kind in (
            ("productivity", Productivity),
            ("survey", SurveyOutcome),
            ("lost_days", LostDays),
            ("ramp_up", RampUp),
            ("attrition", Attrition),
        ):
            if not isinstance(getattr(self, name), kind):
                raise ValueError(f"{name} must be a {kind.__name__}, got {getattr(self, name)!r}")
        rho = _number(self.rho, "rho")
        if not 0 <= rho <= 1:
            raise ValueError(f"rho must lie in [0, 1], got {rho}")
        object.__setattr__(self, "rho", rho)

    def collapsed(self) -> Uncertainty:
        """Every uncertainty at the value the plan assumes (its mode; survey as planned):
        no noise, no losses beyond the mode. Simulating it reproduces the plan."""
        return replace(
            self,
            productivity=self.productivity.collapsed(),
            survey=self.survey.collapsed(),
            lost_days=self.lost_days.collapsed(),
            ramp_up=self.ramp_up.collapsed(),
            attrition=self.attrition.collapsed(),
        )

    def components(self, teams: tuple[str, ...]) -> tuple[str, ...]:
        """The names :meth:`one_at` takes: ``productivity:<team>`` for each of ``teams``,
        then :data:`COMPONENTS`."""
        return (*(f"productivity:{t}" for t in teams), *COMPONENTS)

    def one_at(self, component: str, end: End) -> Uncertainty:
        """Everything collapsed except ``component``, which is put at its ``low`` or
        ``high`` end. For the survey the end is that of the contaminated share (the per-area
        outcomes stay random, their fractions at the mode). Raises ValueError for an unknown
        component or end."""
        if end not in ("low", "high"):
            raise ValueError(f"end must be 'low' or 'high', got {end!r}")
        base = self.collapsed()
        if component.startswith("productivity:"):
            team = component.split(":", 1)[1]
            teams = dict(base.productivity.by_team)
            teams[team] = self.productivity.for_team(team).at(end)
            return replace(base, productivity=replace(base.productivity, by_team=teams))
        if component == "survey":
            s = self.survey
            survey = replace(
                s,
                contaminated_share=s.contaminated_share.at(end),
                confirmed=s.confirmed.at("mode"),
                clean=s.clean.at("mode"),
            )
            return replace(base, survey=survey)
        if component == "lost_days":
            lost = replace(base.lost_days, fraction=self.lost_days.fraction.at(end))
            return replace(base, lost_days=lost)
        if component == "ramp_up":
            return replace(base, ramp_up=replace(base.ramp_up, days=self.ramp_up.days.at(end)))
        if component == "attrition":
            attr = replace(base.attrition, per_month=self.attrition.per_month.at(end))
            return replace(base, attrition=attr)
        raise ValueError(
            f"unknown uncertainty {component!r}: productivity:<team> or one of "
            f"{', '.join(COMPONENTS)}"
        )
