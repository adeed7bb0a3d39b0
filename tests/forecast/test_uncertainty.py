"""The uncertainties: three-point estimates that are real distributions, sourced defaults,
and a collapse to what the plan assumes."""

from __future__ import annotations

import tomllib
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeground.forecast.uncertainty import (
    Attrition,
    LostDays,
    Productivity,
    RampUp,
    Shape,
    SurveyOutcome,
    ThreePoint,
    Uncertainty,
)
from safeground.planning.fieldwork import DOGS, MACHINES, MANUAL

widths = st.one_of(st.just(0.0), st.floats(1e-3, 50))
points = st.tuples(st.floats(-100, 100), widths, widths, st.sampled_from(list(Shape))).map(
    lambda t: ThreePoint(t[0], t[0] + t[1], t[0] + t[1] + t[2], t[3])
)


@settings(max_examples=60, deadline=None)
@given(points, st.floats(0.001, 0.999))
def test_quantile_inverts_the_distribution_function(point: ThreePoint, u: float) -> None:
    x = point.quantile(u)
    assert point.low <= float(x) <= point.high
    if not point.is_point:
        assert float(point.cdf(x)) == pytest.approx(u, abs=2e-4)


@settings(max_examples=40, deadline=None)
@given(points)
def test_quantiles_never_decrease(point: ThreePoint) -> None:
    values = point.quantile(np.linspace(0, 1, 201))
    assert np.all(np.diff(values) >= -1e-12)
    assert values[0] == pytest.approx(point.low)
    assert values[-1] == pytest.approx(point.high)


@pytest.mark.parametrize("shape", list(Shape))
def test_sampled_mean_matches_the_shapes_mean(shape: Shape) -> None:
    point = ThreePoint(0.4, 1.0, 2.0, shape)
    u = (np.arange(200_000) + 0.5) / 200_000
    assert point.quantile(u).mean() == pytest.approx(point.mean, rel=1e-4)


def test_pert_mean_is_the_textbook_weighting() -> None:
    assert ThreePoint(1.0, 2.0, 6.0, Shape.PERT).mean == pytest.approx((1 + 8 + 6) / 6)


@pytest.mark.parametrize(
    ("low", "mode", "high"), [(2.0, 1.0, 3.0), (1.0, 4.0, 3.0), (float("nan"), 1.0, 2.0)]
)
def test_three_point_refuses_points_out_of_order(low: float, mode: float, high: float) -> None:
    with pytest.raises(ValueError, match=r"low <= mode <= high|finite"):
        ThreePoint(low, mode, high)


def test_default_productivity_ranges_are_those_of_the_productivity_file() -> None:
    text = (resources.files("safeground.planning") / "productivity.toml").read_text("utf-8")
    rates = tomllib.loads(text)["clearance"]
    published = {
        MANUAL: rates["manual"]["deminer_m2_per_day"],
        DOGS: rates["dogs"]["team_m2_per_day"],
        MACHINES: rates["mechanical"]["machine_m2_per_hour"],
    }
    productivity = Productivity()
    for team, entry in published.items():
        estimate = productivity.for_team(team)
        assert estimate.mode == 1.0
        assert estimate.low == pytest.approx(entry["low"] / entry["planning"])
        assert estimate.high == pytest.approx(entry["high"] / entry["planning"])


def test_every_default_names_its_source_or_assumption() -> None:
    u = Uncertainty()
    for note in (
        u.productivity.source,
        u.survey.source,
        u.lost_days.source,
        u.ramp_up.source,
        u.attrition.source,
        u.rho_source,
    ):
        assert "ASSUMPTION" in note or "GICHD" in note or "brief" in note


def test_collapsed_puts_every_draw_at_what_the_plan_assumes() -> None:
    c = Uncertainty().collapsed()
    assert all(e.is_point and e.mode == 1.0 for e in c.productivity.by_team.values())
    assert c.productivity.other.is_point
    assert c.survey.contaminated_share.mode == 1.0
    assert c.survey.confirmed == ThreePoint.point(c.survey.planned)
    assert c.lost_days.fraction.is_point
    assert c.lost_days.planned_share == c.lost_days.fraction.mode
    assert c.ramp_up.days == ThreePoint.point(0.0)
    assert c.attrition.per_month.is_point
    assert c.attrition.planned_rate == c.attrition.per_month.mode


def test_one_at_moves_only_the_named_uncertainty() -> None:
    u = Uncertainty()
    slow = u.one_at(f"productivity:{MANUAL}", "low")
    assert slow.productivity.for_team(MANUAL) == ThreePoint.point(0.4)
    assert slow.productivity.for_team(DOGS) == ThreePoint.point(1.0)
    assert slow.lost_days == u.collapsed().lost_days
    wet = u.one_at("lost_days", "high")
    assert wet.lost_days.fraction == ThreePoint.point(0.35)
    assert wet.lost_days.planned_share == u.lost_days.fraction.mode
    quits = u.one_at("attrition", "low")
    assert quits.attrition.per_month == ThreePoint.point(0.0)
    assert quits.attrition.planned_rate == u.attrition.per_month.mode
    lucky = u.one_at("survey", "low")
    assert lucky.survey.contaminated_share == ThreePoint.point(0.02)
    assert lucky.survey.confirmed == ThreePoint.point(0.3)


def test_one_at_refuses_an_unknown_uncertainty() -> None:
    with pytest.raises(ValueError, match="unknown uncertainty"):
        Uncertainty().one_at("luck", "low")
    with pytest.raises(ValueError, match="'low' or 'high'"):
        Uncertainty().one_at("lost_days", "middle")  # type: ignore[arg-type]


def test_survey_fractions_follow_the_mixture() -> None:
    survey = SurveyOutcome(
        contaminated_share=ThreePoint.point(0.2),
        confirmed=ThreePoint.point(0.5),
        clean=ThreePoint.point(0.0),
    )
    u = np.linspace(0, 1, 1000, endpoint=False)[None, :]
    fractions = survey.fractions(np.array([0.2]), u)
    assert (fractions == 0.5).mean() == pytest.approx(0.2)
    assert (fractions == 0.0).mean() == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SurveyOutcome(confirmed=ThreePoint(0.1, 0.5, 1.5)), "must lie in"),
        (lambda: SurveyOutcome(planned=0.0), "planned survey fraction"),
        (lambda: LostDays(fraction=ThreePoint(0.1, 0.2, 1.0)), "must lie in"),
        (lambda: LostDays(season=(1.0, 2.0)), "12 multipliers"),
        (lambda: LostDays(start_month=13), "start_month"),
        (lambda: RampUp(days=ThreePoint(-1.0, 0.0, 1.0)), ">= 0"),
        (lambda: Attrition(per_month=ThreePoint(0.0, 0.2, 0.5)), "no staff"),
        (lambda: Productivity(by_team={MANUAL: ThreePoint(0.0, 1.0, 2.0)}), "> 0"),
        (lambda: Uncertainty(rho=1.5), "rho"),
    ],
)
def test_uncertainties_refuse_impossible_values(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


def test_a_season_is_normalised_to_average_one() -> None:
    lost = LostDays(season=(2.0,) * 6 + (4.0,) * 6)
    assert lost.season is not None
    assert sum(lost.season) / 12 == pytest.approx(1.0)
    assert lost.season[0] == pytest.approx(2 / 3)
