"""Criteria and their normalisation rules, and the priority configuration.

A criterion turns one raw fact about a hazard area (a count, a distance-based count, a
land-use word, a probability) into a value in [0, 1] by a stated rule. The rules and the
shipped configuration are documented in ``priority.toml``; nothing here does I/O except
reading that shipped file.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Any

from safeground.priority.weights import rank_order_centroid

#: A raw criterion value: a number, a text (categories) or nothing known.
Raw = float | str | None


class Rule(StrEnum):
    CAPPED = "capped"  # value / cap, capped at 1
    SATURATING = "saturating"  # value / (value + half)
    CATEGORY = "category"  # levels[first key found in the text], else default
    UNIT = "unit"  # the value clipped to [0, 1]


@dataclass(frozen=True)
class Criterion:
    """One criterion: its name, what it measures, how it is normalised."""

    name: str
    label: str
    rule: Rule
    cap: float = 1.0
    half: float = 1.0
    levels: Mapping[str, float] = field(default_factory=dict)
    default: float = 0.0
    optional: bool = False
    weight: float | None = None  # explicit weight; None: rank-order centroid

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a criterion needs a name")
        if self.rule is Rule.CAPPED and not (math.isfinite(self.cap) and self.cap > 0):
            raise ValueError(f"criterion {self.name}: cap must be a positive number")
        if self.rule is Rule.SATURATING and not (math.isfinite(self.half) and self.half > 0):
            raise ValueError(f"criterion {self.name}: half must be a positive number")
        for key, level in {**self.levels, "default": self.default}.items():
            if not (0.0 <= level <= 1.0):
                raise ValueError(f"criterion {self.name}: level {key} must lie in [0, 1]")
        if self.weight is not None and not (math.isfinite(self.weight) and self.weight >= 0):
            raise ValueError(f"criterion {self.name}: weight must be a number >= 0")

    def rule_text(self) -> str:
        """The normalisation rule in words, as the explanation prints it."""
        if self.rule is Rule.CAPPED:
            return f"value / {self.cap:g}, capped at 1"
        if self.rule is Rule.SATURATING:
            return f"value / (value + {self.half:g})"
        if self.rule is Rule.CATEGORY:
            levels = ", ".join(f"{k}={v:g}" for k, v in self.levels.items())
            return f"category: {levels}, otherwise {self.default:g}"
        return "probability, clipped to [0, 1]"

    def normalise(self, raw: Raw) -> float:
        """``raw`` mapped into [0, 1] by this criterion's rule; nothing known gives 0."""
        if raw is None:
            return 0.0
        if self.rule is Rule.CATEGORY:
            text = str(raw).lower()
            for key, level in self.levels.items():
                if key.lower() in text:
                    return level
            return self.default
        if isinstance(raw, str):
            raise ValueError(f"criterion {self.name} needs a number, got {raw!r}")
        value = float(raw)
        if math.isnan(value) or value <= 0:
            return 0.0
        if self.rule is Rule.CAPPED:
            return 1.0 if math.isinf(value) else min(value / self.cap, 1.0)
        if self.rule is Rule.SATURATING:
            return 1.0 if math.isinf(value) else value / (value + self.half)
        return min(value, 1.0)


@dataclass(frozen=True)
class Distances:
    """The distances, in metres, within which facts count for an area."""

    people_m: float = 1000.0
    accidents_m: float = 2000.0
    infrastructure_m: float = 100.0

    def __post_init__(self) -> None:
        for name in ("people_m", "accidents_m", "infrastructure_m"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"distance {name} must be a number of metres >= 0")


@dataclass(frozen=True)
class PriorityConfig:
    """The criteria in rank order (most important first), the distances, and the largest
    completion weight the planner gives an area."""

    criteria: tuple[Criterion, ...]
    distances: Distances = field(default_factory=Distances)
    max_weight: float = 10.0

    def __post_init__(self) -> None:
        if not self.criteria:
            raise ValueError("the priority configuration needs at least one criterion")
        names = [c.name for c in self.criteria]
        if len(set(names)) != len(names):
            raise ValueError(
                f"criteria named twice: {sorted({n for n in names if names.count(n) > 1})}"
            )
        explicit = [c.weight is not None for c in self.criteria]
        if any(explicit) and not all(explicit):
            raise ValueError("either every criterion states a weight or none does")
        if all(explicit):
            total = sum(c.weight or 0.0 for c in self.criteria)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"criterion weights must add up to 1, they add up to {total:g}")
        if not (math.isfinite(self.max_weight) and self.max_weight >= 1):
            raise ValueError("max_weight must be a number >= 1")

    def in_use(self, available: Sequence[str]) -> tuple[Criterion, ...]:
        """The criteria that count: all but the optional ones not in ``available``."""
        return tuple(c for c in self.criteria if not c.optional or c.name in available)

    def weights(self, available: Sequence[str] | None = None) -> dict[str, float]:
        """Criterion name -> weight over the criteria in use (see :meth:`in_use`; all of
        them when ``available`` is None). Explicit weights are rescaled to add up to 1
        when an optional criterion is left out; otherwise the ROC weights of the ranking."""
        used = self.criteria if available is None else self.in_use(available)
        if used[0].weight is not None:
            total = sum(c.weight or 0.0 for c in used)
            if total <= 0:
                raise ValueError("the criteria in use all weigh 0")
            return {c.name: (c.weight or 0.0) / total for c in used}
        return dict(zip((c.name for c in used), rank_order_centroid(len(used)), strict=True))


def _criterion(entry: Mapping[str, Any]) -> Criterion:
    known = {"name", "label", "rule", "cap", "half", "levels", "default", "optional", "weight"}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise ValueError(f"criterion {entry.get('name', '?')}: unknown keys {unknown}")
    weight = entry.get("weight")
    return Criterion(
        name=str(entry["name"]),
        label=str(entry.get("label", entry["name"])),
        rule=Rule(str(entry["rule"])),
        cap=float(entry.get("cap", 1.0)),
        half=float(entry.get("half", 1.0)),
        levels={str(k): float(v) for k, v in entry.get("levels", {}).items()},
        default=float(entry.get("default", 0.0)),
        optional=bool(entry.get("optional", False)),
        weight=None if weight is None else float(weight),
    )


def config_from_toml(text: str) -> PriorityConfig:
    """The configuration in the text of a priority file (layout: ``priority.toml``).

    Raises ValueError naming the bad or missing entry.
    """
    try:
        data = tomllib.loads(text)
        criteria = tuple(_criterion(entry) for entry in data["criteria"])
        distances = Distances(**{k: float(v) for k, v in data.get("distances", {}).items()})
        max_weight = float(data.get("planning", {}).get("max_weight", 10.0))
        return PriorityConfig(criteria, distances, max_weight)
    except (KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"priority file: missing or bad entry: {exc}") from exc


def default_config() -> PriorityConfig:
    """The shipped configuration (``priority.toml``)."""
    text = (resources.files("safeground.priority") / "priority.toml").read_text("utf-8")
    return config_from_toml(text)
