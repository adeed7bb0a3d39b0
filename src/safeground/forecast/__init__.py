"""Forecasts of a plan: what will be released and rebuilt by when, with honest uncertainty.

The planner (:mod:`safeground.planning`) gives one deterministic plan. This package runs it
many times under what is uncertain (:mod:`.uncertainty`), each run a list schedule that
keeps the plan's order and modes and every team limit (:mod:`.simulate`), and sums the
runs up as dates, S-curves, a tornado and the unlimited-workforce floor (:mod:`.outputs`)::

    from safeground.forecast import Deliverables, Uncertainty, milestones, simulate

    sim = simulate(problem, schedule, Uncertainty(), runs=10_000, seed=0)
    land = milestones(sim, Deliverables.from_fieldwork(field, areas), "priority land")
    land.at(1.0, 80)  # the day by which 80 % of runs have released all priority land

Pure: numpy (and numba, if installed, for speed), no I/O.
"""

from safeground.forecast.outputs import (
    Deliverables,
    Floor,
    Milestones,
    SCurve,
    Tornado,
    TornadoBar,
    milestones,
    s_curves,
    tornado,
    workforce_floor,
)
from safeground.forecast.simulate import Draws, Simulation, simulate
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

__all__ = [
    "Attrition",
    "Deliverables",
    "Draws",
    "Floor",
    "LostDays",
    "Milestones",
    "Productivity",
    "RampUp",
    "SCurve",
    "Shape",
    "Simulation",
    "SurveyOutcome",
    "ThreePoint",
    "Tornado",
    "TornadoBar",
    "Uncertainty",
    "milestones",
    "s_curves",
    "simulate",
    "tornado",
    "workforce_floor",
]
