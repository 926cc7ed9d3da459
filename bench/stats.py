"""Statistics of the benchmarks: medians, spreads, latency percentiles, noise."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def med(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100): a value that was measured, never an
    interpolation between two, so a p99 of 400 samples is the 4th worst."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, quartiles and p99 (rounded), and how many samples."""
    return {
        "median": round(med(values), 2),
        "p25": round(percentile(values, 25), 2),
        "p75": round(percentile(values, 75), 2),
        "p99": round(percentile(values, 99), 2),
        "n": len(values),
    }


def latency(values: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max of latencies in ms (rounded), and how many samples."""
    if not values:
        return {"p50": math.nan, "p95": math.nan, "p99": math.nan, "max": math.nan, "n": 0}
    return {
        "p50": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        "p99": round(percentile(values, 99), 2),
        "max": round(max(values), 2),
        "n": len(values),
    }


def noise(values: Sequence[float]) -> dict[str, float]:
    """How much one figure moved between repeated measurements of the same thing (the idle
    windows' p99, say): min, median, max and max/min."""
    if not values:
        return {"min": math.nan, "median": math.nan, "max": math.nan, "max_over_min": math.nan}
    low, high = min(values), max(values)
    return {
        "min": round(low, 2),
        "median": round(med(values), 2),
        "max": round(high, 2),
        "max_over_min": round(high / low, 2) if low > 0 else math.inf,
    }
