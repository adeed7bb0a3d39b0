"""Which land first, and why: multi-criteria priority scores of hazard areas (pure core).

Criteria, their normalisation rules and rank order live in ``priority.toml`` (shipped);
weights are rank-order centroid by default; every score comes with each criterion's
contribution, and the contributions add up to the score. No I/O but reading that file.
"""

from safeground.priority.criteria import (
    Criterion,
    Distances,
    PriorityConfig,
    Rule,
    config_from_toml,
    default_config,
)
from safeground.priority.scoring import (
    FORBIDDEN_WORDS,
    AreaFacts,
    AreaScore,
    Contribution,
    completion_weights,
    explain,
    score_areas,
    wording_problems,
)
from safeground.priority.weights import rank_order_centroid

__all__ = [
    "FORBIDDEN_WORDS",
    "AreaFacts",
    "AreaScore",
    "Contribution",
    "Criterion",
    "Distances",
    "PriorityConfig",
    "Rule",
    "completion_weights",
    "config_from_toml",
    "default_config",
    "explain",
    "rank_order_centroid",
    "score_areas",
    "wording_problems",
]
