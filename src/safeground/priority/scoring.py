"""Priority scores of hazard areas: the weighted sum of normalised criteria, each term kept
so that every ranking can be explained and defended.

``score = sum(weight[c] * normalise[c](raw[c]))`` over the criteria in use; weights add up to
1 and each normalised value lies in [0, 1], so the score lies in [0, 1]. A low score means
*lower priority*: the area is still suspected or confirmed hazardous. The wording of every
line shown to a user follows that rule (see :data:`FORBIDDEN_WORDS`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from safeground.priority.criteria import PriorityConfig, Raw

#: Words that must never describe a low-priority area: it is not cleared, not released.
FORBIDDEN_WORDS = (
    "safe",
    "safer",
    "safety",
    "low risk",
    "cleared",
    "clear",
    "mine-free",
    "free of mines",
    "no risk",
    "harmless",
    "risk-free",
)
_FORBIDDEN = re.compile(r"\b(" + "|".join(re.escape(w) for w in FORBIDDEN_WORDS) + r")\b", re.I)


@dataclass(frozen=True)
class AreaFacts:
    """The raw facts about one hazard area, by criterion name (see ``priority.toml``)."""

    area_id: str
    values: Mapping[str, Raw]


@dataclass(frozen=True)
class Contribution:
    """One criterion's part in an area's score."""

    criterion: str
    label: str
    raw: Raw
    normalised: float
    weight: float
    contribution: float  # weight * normalised
    rule: str


@dataclass(frozen=True)
class AreaScore:
    """An area's score, its rank (1 = first), and each criterion's contribution."""

    area_id: str
    score: float
    rank: int
    contributions: tuple[Contribution, ...]

    @property
    def band(self) -> str:
        """The score in words: higher, medium or lower priority (never "safe")."""
        if self.score >= 2 / 3:
            return "higher priority"
        if self.score >= 1 / 3:
            return "medium priority"
        return "lower priority"


def score_areas(facts: Sequence[AreaFacts], config: PriorityConfig) -> list[AreaScore]:
    """Every area scored and ranked, highest score first (ties by area id).

    Optional criteria that no area has a value for are left out and the weights recomputed
    over the rest. Raises ValueError when a number criterion gets a text.
    """
    available = sorted(
        {name for f in facts for name, value in f.values.items() if value is not None}
    )
    criteria = config.in_use(available)
    weights = config.weights(available)
    scored: list[tuple[float, str, tuple[Contribution, ...]]] = []
    for f in facts:
        parts = []
        for c in criteria:
            raw = f.values.get(c.name)
            norm = c.normalise(raw)
            w = weights[c.name]
            parts.append(Contribution(c.name, c.label, raw, norm, w, w * norm, c.rule_text()))
        total = sum(p.contribution for p in parts)
        scored.append((min(max(total, 0.0), 1.0), f.area_id, tuple(parts)))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [
        AreaScore(area_id, score, rank, parts)
        for rank, (score, area_id, parts) in enumerate(scored, start=1)
    ]


def completion_weights(scores: Sequence[AreaScore], max_weight: float) -> dict[str, float]:
    """Area id -> completion weight for the planner: ``1 + (max_weight - 1) * score``, so
    every area still counts (weight >= 1) and the first-ranked land counts most."""
    return {s.area_id: 1.0 + (max_weight - 1.0) * s.score for s in scores}


def _raw_text(raw: Raw) -> str:
    if raw is None:
        return "no value"
    if isinstance(raw, float):
        return f"{raw:g}"
    return str(raw)


def explain(score: AreaScore, total_areas: int | None = None) -> list[str]:
    """The lines that explain ``score``: rank, band, then each criterion's raw value, rule,
    normalised value, weight and contribution; the contributions add up to the score."""
    of = f" of {total_areas}" if total_areas is not None else ""
    lines = [
        f"{score.area_id}: priority score {score.score:.3f}, rank {score.rank}{of} ({score.band})",
    ]
    for c in score.contributions:
        lines.append(
            f"  {c.criterion}: {_raw_text(c.raw)} -> {c.normalised:.3f} ({c.rule}) "
            f"x weight {c.weight:.3f} = {c.contribution:.3f}"
        )
    lines.append(f"  sum of contributions = {sum(c.contribution for c in score.contributions):.3f}")
    if score.band == "lower priority":
        lines.append(
            "  lower priority is not a finding about contamination: the area stays "
            "suspected or confirmed hazardous until it is released"
        )
    return lines


def wording_problems(text: str) -> list[str]:
    """The forbidden words found in ``text`` (whole words, case-insensitive; so the
    program's name "safeground" is not one); empty when the text is fine."""
    return [m.group(0).lower() for m in _FORBIDDEN.finditer(text)]


def by_id(scores: Sequence[AreaScore]) -> Mapping[str, AreaScore]:
    return {s.area_id: s for s in scores}
