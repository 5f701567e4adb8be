"""Durations as log-spaced histogram buckets, so that a median over any period is a sum of days.

Bucket 0 holds results within a quarter of an hour; bucket ``b`` ≥ 1 holds durations in
``[0.25 h · 2^((b-1)/8), 0.25 h · 2^(b/8))``: eight buckets per doubling, each 9% wider than the
one before, up to about 341 days (the last bucket is open-ended). A median read from the summed
histogram lies in the same bucket as the exact one, hence within about 9% of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

BASE_HOURS: Final = 0.25
PER_DOUBLING: Final = 8
LAST: Final = 121
PRECISION_PERCENT: Final = round((2 ** (1 / PER_DOUBLING) - 1) * 100)


def bucket_of(hours: float) -> int:
    """The bucket of a duration in hours (the SQL of ``queries.FACTS`` computes the same)."""
    if hours < BASE_HOURS:
        return 0
    return min(LAST, math.floor(math.log2(hours / BASE_HOURS) * PER_DOUBLING) + 1)


def bounds(bucket: int) -> tuple[float, float]:
    """The durations (hours) a bucket holds: lower bound included, upper bound excluded."""
    if bucket == 0:
        return 0.0, BASE_HOURS
    low = BASE_HOURS * 2 ** ((bucket - 1) / PER_DOUBLING)
    high = math.inf if bucket == LAST else BASE_HOURS * 2 ** (bucket / PER_DOUBLING)
    return low, high


def median(histogram: Mapping[int, int]) -> float | None:
    """The median duration in hours, interpolated within its bucket; None without durations."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    half, seen = total / 2, 0
    for bucket in sorted(histogram):
        count = histogram[bucket]
        if count and seen + count >= half:
            return _within(bucket, (half - seen) / count)
        seen += count
    return None  # not reached: the counts add up to the total


def _within(bucket: int, fraction: float) -> float:
    """A point ``fraction`` of the way through a bucket (geometric, as the buckets are)."""
    low, high = bounds(bucket)
    if bucket == 0:
        return high * fraction
    if math.isinf(high):
        return low
    return float(low * (high / low) ** fraction)


def add(into: dict[int, int], more: Mapping[int, int]) -> None:
    """Add one histogram's counts to another."""
    for bucket, count in more.items():
        into[bucket] = into.get(bucket, 0) + count
