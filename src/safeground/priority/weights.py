"""Rank-order-centroid weights: from a ranking of criteria to weights.

With ``n`` criteria ranked 1 (most important) to ``n``, the criterion ranked ``i`` weighs
``(1/n) * sum(1/k for k in i..n)`` (Barron & Barrett, Management Science 42(11), 1996). The
weights are the centroid of all weight vectors consistent with the ranking: they decrease
strictly with rank and add up to 1. Only the order has to be defended, not the numbers.
"""

from __future__ import annotations


def rank_order_centroid(n: int) -> tuple[float, ...]:
    """The ROC weights of ``n`` ranked criteria, most important first.

    Raises ValueError when ``n`` is less than 1.
    """
    if n < 1:
        raise ValueError(f"rank-order-centroid weights need at least one criterion, got {n}")
    return tuple(sum(1.0 / k for k in range(i, n + 1)) / n for i in range(1, n + 1))
