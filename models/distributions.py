"""Predictive distributions of monthly counts, shared by every model family and the backtest.

Two families cover every model: a negative binomial with mean ``mu`` and dispersion ``alpha``
(variance ``mu + alpha * mu**2``; ``alpha = 0`` is the Poisson) and an empirical distribution given
by equally weighted samples (the bootstrap baseline). Both answer the same questions: mean,
quantiles, P(count >= 1) and the CRPS of an observed count.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

_MIN_ALPHA = 1e-8
_GRID_CELLS = 4_000_000


class CountPredictive(ABC):
    """A vector of predictive distributions over non-negative integer counts, one per forecast row."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def mean(self) -> np.ndarray:
        """Expected counts."""

    @abstractmethod
    def quantiles(self, levels: Sequence[float]) -> np.ndarray:
        """Quantiles, shape ``(n, len(levels))``, non-decreasing along the levels."""

    @abstractmethod
    def p_any(self) -> np.ndarray:
        """P(count >= 1)."""

    @abstractmethod
    def crps(self, observed: np.ndarray) -> np.ndarray:
        """Continuous ranked probability score of each observed count (lower is better)."""

    @abstractmethod
    def take(self, index: np.ndarray) -> CountPredictive:
        """The distributions at ``index`` (integer positions or a boolean mask)."""


@dataclass(frozen=True)
class NegBinPredictive(CountPredictive):
    """Negative binomial distributions: ``mu`` >= 0, ``alpha`` >= 0 (0 means Poisson)."""

    mu: np.ndarray
    alpha: np.ndarray

    def __post_init__(self) -> None:
        mu = np.clip(np.asarray(self.mu, dtype=float), 0.0, None)
        alpha = np.broadcast_to(np.clip(np.asarray(self.alpha, dtype=float), 0.0, None), mu.shape).copy()
        if not np.isfinite(mu).all() or not np.isfinite(alpha).all():
            raise ValueError("negative binomial parameters must be finite")
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "alpha", alpha)

    def __len__(self) -> int:
        return int(self.mu.shape[0])

    def _poisson(self) -> np.ndarray:
        return self.alpha < _MIN_ALPHA

    def _nb_params(self) -> tuple[np.ndarray, np.ndarray]:
        alpha = np.maximum(self.alpha, _MIN_ALPHA)
        n = 1.0 / alpha
        p = n / (n + self.mu)
        return n, p

    def mean(self) -> np.ndarray:
        """Expected counts."""
        return self.mu.copy()

    def cdf(self, k: np.ndarray) -> np.ndarray:
        """P(count <= k), broadcasting ``k`` against the rows (``k`` shape ``(n,)`` or ``(n, m)``)."""
        k = np.asarray(k, dtype=float)
        extra = (slice(None),) + (None,) * (k.ndim - 1)
        mu = self.mu[extra]
        n, p = self._nb_params()
        nb = stats.nbinom.cdf(k, n[extra], p[extra])
        po = stats.poisson.cdf(k, mu)
        return np.where(self._poisson()[extra], po, nb)

    def quantiles(self, levels: Sequence[float]) -> np.ndarray:
        """Quantiles, shape ``(n, len(levels))``."""
        lv = np.asarray(sorted(levels), dtype=float)[None, :]
        n, p = self._nb_params()
        nb = stats.nbinom.ppf(lv, n[:, None], p[:, None])
        po = stats.poisson.ppf(lv, self.mu[:, None])
        out = np.where(self._poisson()[:, None], po, nb)
        out = np.where(self.mu[:, None] <= 0, 0.0, out)
        return np.maximum.accumulate(np.nan_to_num(out, nan=0.0), axis=1)

    def p_any(self) -> np.ndarray:
        """P(count >= 1)."""
        n, p = self._nb_params()
        p0 = np.where(self._poisson(), np.exp(-self.mu), np.power(p, n))
        return np.clip(1.0 - p0, 0.0, 1.0)

    def crps(self, observed: np.ndarray) -> np.ndarray:
        """Exact CRPS, ``sum_k (F(k) - 1{y <= k})**2`` over a grid reaching far into the tail."""
        y = np.asarray(observed, dtype=float)
        if len(self) == 0:
            return np.zeros(0)
        upper = self.quantiles([0.99999])[:, 0]
        kmax = np.maximum(upper, y).astype(int) + 2
        out = np.empty(len(self))
        order = np.argsort(kmax)
        start = 0
        while start < len(order):
            width = int(kmax[order[start]]) + 1
            stop = start + 1
            while stop < len(order):
                width = int(kmax[order[stop]]) + 1
                if (stop - start + 1) * width > _GRID_CELLS:
                    break
                stop += 1
            idx = order[start:stop]
            width = int(kmax[idx].max()) + 1
            grid = np.arange(width, dtype=float)[None, :]
            sub = self.take(idx)
            cdf = sub.cdf(np.broadcast_to(grid, (len(idx), width)))
            step = (grid >= y[idx][:, None]).astype(float)
            out[idx] = ((cdf - step) ** 2).sum(axis=1)
            start = stop
        return out

    def take(self, index: np.ndarray) -> NegBinPredictive:
        """The distributions at ``index``."""
        return NegBinPredictive(self.mu[index], self.alpha[index])


@dataclass(frozen=True)
class EmpiricalPredictive(CountPredictive):
    """Empirical distributions: row ``i`` puts equal mass on each of ``samples[i, :]``."""

    samples: np.ndarray

    def __post_init__(self) -> None:
        s = np.asarray(self.samples, dtype=float)
        if s.ndim != 2 or s.shape[1] == 0:
            raise ValueError("samples must be a 2-d array with at least one column")
        object.__setattr__(self, "samples", np.sort(np.clip(s, 0.0, None), axis=1))

    def __len__(self) -> int:
        return int(self.samples.shape[0])

    def mean(self) -> np.ndarray:
        """Expected counts."""
        return self.samples.mean(axis=1)

    def quantiles(self, levels: Sequence[float]) -> np.ndarray:
        """Quantiles (inverse empirical CDF), shape ``(n, len(levels))``."""
        lv = np.asarray(sorted(levels), dtype=float)
        m = self.samples.shape[1]
        pos = np.clip(np.ceil(lv * m).astype(int) - 1, 0, m - 1)
        return self.samples[:, pos]

    def p_any(self) -> np.ndarray:
        """P(count >= 1)."""
        return (self.samples >= 1).mean(axis=1)

    def crps(self, observed: np.ndarray) -> np.ndarray:
        """Exact CRPS of the empirical distribution: ``E|X - y| - E|X - X'| / 2``."""
        y = np.asarray(observed, dtype=float)[:, None]
        x = self.samples
        m = x.shape[1]
        first = np.abs(x - y).mean(axis=1)
        weights = (2 * np.arange(1, m + 1) - m - 1)[None, :]
        spread = (weights * x).sum(axis=1) * 2.0 / (m * m)
        return np.asarray(first - 0.5 * spread)

    def take(self, index: np.ndarray) -> EmpiricalPredictive:
        """The distributions at ``index``."""
        return EmpiricalPredictive(self.samples[index])


class MixturePredictive(CountPredictive):
    """Linear pool of predictive vectors: row ``i`` is ``sum_j weights[i, j] * parts[j][i]``.

    Every part must answer ``cdf`` for a grid of counts per row (``(n, m)``), as
    :class:`NegBinPredictive` does; the pool's CDF, quantiles and CRPS come from the pooled CDF.
    """

    def __init__(self, parts: Sequence[CountPredictive], weights: np.ndarray) -> None:
        self.parts = list(parts)
        w = np.asarray(weights, dtype=float)
        if w.ndim == 1:
            w = np.broadcast_to(w, (len(self.parts[0]), len(self.parts))).copy()
        if w.shape != (len(self.parts[0]), len(self.parts)) or any(len(p) != w.shape[0] for p in self.parts):
            raise ValueError("weights must have one row per distribution and one column per part")
        if (w < 0).any() or not np.isfinite(w).all():
            raise ValueError("mixture weights must be finite and non-negative")
        total = w.sum(axis=1, keepdims=True)
        if (total <= 0).any():
            raise ValueError("every row needs a positive total weight")
        self.weights = w / total

    def __len__(self) -> int:
        return int(self.weights.shape[0])

    def _pool(self, values: Sequence[np.ndarray]) -> np.ndarray:
        stacked = np.stack([np.asarray(v, dtype=float) for v in values], axis=-1)
        w = self.weights.reshape(self.weights.shape[:1] + (1,) * (stacked.ndim - 2) + self.weights.shape[1:])
        return np.asarray((stacked * w).sum(axis=-1))

    def mean(self) -> np.ndarray:
        """Expected counts."""
        return self._pool([p.mean() for p in self.parts])

    def p_any(self) -> np.ndarray:
        """P(count >= 1)."""
        return np.clip(self._pool([p.p_any() for p in self.parts]), 0.0, 1.0)

    def cdf(self, k: np.ndarray) -> np.ndarray:
        """P(count <= k), broadcasting ``k`` against the rows (``k`` shape ``(n,)`` or ``(n, m)``)."""
        return self._pool([p.cdf(k) for p in self.parts])  # type: ignore[attr-defined]

    def _upper(self, level: float) -> np.ndarray:
        return np.max(np.stack([p.quantiles([level])[:, 0] for p in self.parts], axis=1), axis=1)

    def quantiles(self, levels: Sequence[float]) -> np.ndarray:
        """Quantiles (smallest count whose pooled CDF reaches the level), shape ``(n, len(levels))``."""
        lv = np.asarray(sorted(levels), dtype=float)
        n = len(self)
        out = np.zeros((n, lv.size))
        if n == 0:
            return out
        for j, level in enumerate(lv):
            lo = np.zeros(n)
            hi = self._upper(float(level))
            # the pooled quantile lies between 0 and the largest part quantile: bisect on integers
            while True:
                open_ = hi > lo
                if not open_.any():
                    break
                mid = np.floor((lo + hi) / 2.0)
                reach = self.cdf(mid) >= level - 1e-12
                hi = np.where(open_ & reach, mid, hi)
                lo = np.where(open_ & ~reach, mid + 1.0, lo)
            out[:, j] = hi
        return np.maximum.accumulate(out, axis=1)

    def crps(self, observed: np.ndarray) -> np.ndarray:
        """CRPS, ``sum_k (F(k) - 1{y <= k})**2`` over a grid reaching far into every part's tail."""
        y = np.asarray(observed, dtype=float)
        if len(self) == 0:
            return np.zeros(0)
        kmax = np.maximum(self._upper(0.99999), y).astype(int) + 2
        out = np.empty(len(self))
        order = np.argsort(kmax)
        start = 0
        while start < len(order):
            stop = start + 1
            while stop < len(order) and (stop - start + 1) * (int(kmax[order[stop]]) + 1) <= _GRID_CELLS:
                stop += 1
            idx = order[start:stop]
            width = int(kmax[idx].max()) + 1
            grid = np.broadcast_to(np.arange(width, dtype=float)[None, :], (len(idx), width))
            cdf = self.take(idx).cdf(grid)
            step = (grid >= y[idx][:, None]).astype(float)
            out[idx] = ((cdf - step) ** 2).sum(axis=1)
            start = stop
        return out

    def take(self, index: np.ndarray) -> MixturePredictive:
        """The distributions at ``index``."""
        return MixturePredictive([p.take(index) for p in self.parts], self.weights[index])
