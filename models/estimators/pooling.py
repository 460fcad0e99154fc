"""Equal-weight combination of forecasts: the linear pool of counts and the average of probabilities.

The served forecaster pools, per attack type, the predictive distributions of several models (the
fitted families and a naive baseline) with equal weights, and averages their P(count >= 1) (with the
classifier's): a forecast combination that needs no weights learned from a short track record.
These two functions are the one rule for combining counts and probabilities; the ``blend`` source of
a choice table is :func:`average_probability` of the count model's and the classifier's.

A member without a finite value on a row is left out of that row's combination (the weights of the
others are renormalised); a row without any finite member stays NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

POOL: Final = "pool"
"""``count_model`` and ``p_any`` of a choice-table entry served as an equal-weight pool."""

CLASSIFIER_MEMBER: Final = "classifier"
"""Name of the P(count >= 1) model among a pool's probability members."""


def _stack(parts: Sequence[np.ndarray]) -> np.ndarray:
    if not parts:
        raise ValueError("a pool needs at least one member")
    return np.vstack([np.asarray(p, dtype=float).reshape(1, -1) for p in parts])


def linear_pool(means: Sequence[np.ndarray], variances: Sequence[np.ndarray]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the equal-weight mixture of the members' distributions (moment form).

    Args:
        means: one array of expected counts per member (same length).
        variances: their variances.

    Returns:
        ``(mean, variance)`` per row: the mixture's mean is the members' average and its variance
        adds the spread of the members' means to their average variance.
    """
    m, v = _stack(means), _stack(variances)
    if m.shape != v.shape:
        raise ValueError("means and variances must have the same shape")
    ok = np.isfinite(m) & np.isfinite(v)
    n = ok.sum(axis=0)
    w = np.divide(ok, n, out=np.zeros_like(m), where=n > 0)
    mean = np.where(ok, w * m, 0.0).sum(axis=0)
    second = np.where(ok, w * (v + m ** 2), 0.0).sum(axis=0)
    var = np.clip(second - mean ** 2, 0.0, None)
    none = n == 0
    return np.where(none, np.nan, mean), np.where(none, np.nan, var)


def average_probability(parts: Sequence[np.ndarray]) -> np.ndarray:
    """The equal-weight average of probabilities per row, over the members with a finite value."""
    p = _stack(parts)
    ok = np.isfinite(p)
    n = ok.sum(axis=0)
    total = np.where(ok, p, 0.0).sum(axis=0)
    return np.asarray(np.where(n > 0, total / np.maximum(n, 1), np.nan))
