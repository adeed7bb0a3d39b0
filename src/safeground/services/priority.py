"""Priority workflows: score the register's open hazard areas and explain a score.

Reads the layers ``hazard_areas`` (open areas with land left), ``assets`` (buildings as a
proxy for people living or working nearby; roads, bridges and utilities as infrastructure;
damaged assets not yet rebuilt as reconstruction waiting) and ``events`` and ``accidents``
(points). No personal data is read: victims are never touched. Predicted risk, when given,
comes as a CSV of ``area_id,risk`` (for instance from ``safeground risk score``).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from shapely.geometry.base import BaseGeometry

from safeground.priority.criteria import PriorityConfig, config_from_toml, default_config
from safeground.priority.facts import AreaInput, Surroundings, area_facts
from safeground.priority.scoring import AreaScore, completion_weights, score_areas
from safeground.store.base import Store

_DONE_STATES = {"rebuilt"}
_INFRASTRUCTURE = {"road", "bridge", "utility"}


def load_config(path: Path | None) -> PriorityConfig:
    """The configuration in the priority file at ``path``, else the shipped one."""
    return config_from_toml(path.read_text("utf-8")) if path else default_config()


def read_risk(path: Path) -> dict[str, float]:
    """Area id -> predicted risk from a CSV with columns ``area_id`` and ``risk``.

    Raises ValueError when a column is missing or a risk is not a number in [0, 1].
    """
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"area_id", "risk"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: needs the columns area_id and risk")
        out: dict[str, float] = {}
        for line, row in enumerate(reader, start=2):
            value = float(row["risk"])
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{path}, line {line}: risk {value} is not in [0, 1]")
            out[row["area_id"]] = value
    return out


def open_areas(store: Store) -> list[AreaInput]:
    """The open hazard areas with land left to release, with what priorities need."""
    layer = store.layer("hazard_areas")
    out = []
    for row, geom in zip(layer.records(), layer.shapes(), strict=True):
        if row["status"] != "open" or float(row["remaining_m2"] or 0.0) <= 0 or geom is None:
            continue
        out.append(
            AreaInput(
                str(row["area_id"]),
                geom,
                str(row["hazard_type"] or ""),
                str(row["land_use"] or ""),
                str(row["blockages"] or ""),
            )
        )
    return out


def _surroundings(store: Store) -> Surroundings:
    buildings: list[BaseGeometry] = []
    infrastructure: list[BaseGeometry] = []
    waiting: list[BaseGeometry] = []
    assets = store.layer("assets")
    for row, geom in zip(assets.records(), assets.shapes(), strict=True):
        if geom is None:
            continue
        kind = str(row["kind"])
        if kind == "building":
            buildings.append(geom)
        elif kind in _INFRASTRUCTURE:
            infrastructure.append(geom)
        if row["damage_grade"] != "not_affected" and row["state"] not in _DONE_STATES:
            waiting.append(geom)
    incidents = [
        g for name in ("events", "accidents") for g in store.layer(name).shapes() if g is not None
    ]
    return Surroundings(buildings, infrastructure, waiting, incidents)


def priorities(
    store: Store,
    config: PriorityConfig | None = None,
    *,
    predicted_risk: Mapping[str, float] | None = None,
) -> list[AreaScore]:
    """Every open hazard area of the register scored and ranked, first priority first."""
    cfg = config or default_config()
    facts = area_facts(
        open_areas(store), _surroundings(store), cfg.distances, predicted_risk=predicted_risk
    )
    return score_areas(facts, cfg)


def explain_area(
    store: Store,
    area_id: str,
    config: PriorityConfig | None = None,
    *,
    predicted_risk: Mapping[str, float] | None = None,
) -> tuple[AreaScore, int]:
    """``area_id``'s score (with its contributions) and the number of areas ranked.

    Raises ValueError when the area is not an open hazard area with land left.
    """
    scores = priorities(store, config, predicted_risk=predicted_risk)
    for s in scores:
        if s.area_id == area_id:
            return s, len(scores)
    raise ValueError(f"{area_id} is not an open hazard area with land left to release")


def planning_weights(store: Store, config: PriorityConfig | None = None) -> dict[str, float]:
    """Area id -> completion weight for the planner (``1 + (max_weight - 1) * score``)."""
    cfg = config or default_config()
    return completion_weights(priorities(store, cfg), cfg.max_weight)
