"""Workforce scenarios: how many people, from which pools, and what more of them buys.

* :mod:`.pools`: the scenario file format (TOML) and what a workforce fields: teams per
  type, their pace, when they arrive, what they cost;
* :mod:`.compare`: plan and forecast the same work with each scenario, side by side, with
  the marginal gain of more people and a flag where the critical path binds;
* :mod:`.sweep`: the same over a grid of sizes x mixes x seeds, in worker processes or on
  a Dask cluster, with identical results either way.

Three ILLUSTRATIVE scenarios ship in ``defaults/`` (6,000, 20,000 and 50,000 people);
their mixes are assumptions to replace with a programme's own.
"""

from safeground.scenarios.compare import (
    Comparison,
    Marginal,
    ScenarioResult,
    compare,
    evaluate,
    plan_schedule,
)
from safeground.scenarios.pools import (
    DEFAULT_SCENARIOS,
    DEFAULT_TEAM_SIZE,
    TEAM_TYPES,
    Pool,
    Scenario,
    ScenarioError,
    capacities,
    capacity_profiles,
    default_scenarios,
    load_scenario,
    parse_scenario,
    productivity_factors,
    scaled,
)
from safeground.scenarios.sweep import SweepGrid, SweepRow, sweep

__all__ = [
    "DEFAULT_SCENARIOS",
    "DEFAULT_TEAM_SIZE",
    "TEAM_TYPES",
    "Comparison",
    "Marginal",
    "Pool",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "SweepGrid",
    "SweepRow",
    "capacities",
    "capacity_profiles",
    "compare",
    "default_scenarios",
    "evaluate",
    "load_scenario",
    "parse_scenario",
    "plan_schedule",
    "productivity_factors",
    "scaled",
    "sweep",
]
