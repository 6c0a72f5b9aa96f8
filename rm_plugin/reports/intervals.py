"""Confidence intervals for a proportion and for the difference of two, as the report shows them.

Retention compares small groups (a programme's few dozen participants) at rates near 100%,
where the textbook Wald interval ``p ± z·sqrt(p(1-p)/n)`` misbehaves: it runs past 100%,
collapses to zero width when everyone stayed, and covers the true rate less often than it
claims. So:

- each group's rate gets the **Wilson score interval** (Wilson 1927), which stays inside
  0–100%, has a sensible width when every member stayed or left, and keeps close to its
  nominal 95% coverage for small groups;
- the difference between participants and non-participants gets **Newcombe's hybrid score
  interval** (Newcombe 1998, method 10), built from the two Wilson intervals: it shares their
  good coverage at small sizes and extreme rates, and needs no iteration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

#: The normal quantile for a two-sided 95% interval (1.959964...).
Z95 = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True)
class Proportion:
    """``successes`` out of ``n``, with its Wilson interval ``low``–``high`` (fractions of 1)."""

    successes: int
    n: int
    low: float
    high: float

    @property
    def value(self) -> float:
        return self.successes / self.n


@dataclass(frozen=True)
class Difference:
    """``value`` = first proportion minus second, with Newcombe's interval ``low``–``high``."""

    value: float
    low: float
    high: float


def wilson(successes: int, n: int, z: float = Z95) -> Proportion:
    """The Wilson score interval for ``successes`` out of ``n`` (``n`` must be positive)."""
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n > 0, not {successes} of {n}")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Proportion(successes, n, low, high)


def newcombe(first: Proportion, second: Proportion) -> Difference:
    """Newcombe's hybrid score interval for ``first - second`` from their Wilson intervals.

    Both must have been computed with the same ``z``.
    """
    p1, p2 = first.value, second.value
    low = p1 - p2 - math.sqrt((p1 - first.low) ** 2 + (second.high - p2) ** 2)
    high = p1 - p2 + math.sqrt((first.high - p1) ** 2 + (p2 - second.low) ** 2)
    return Difference(p1 - p2, low, high)
