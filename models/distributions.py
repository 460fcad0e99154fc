"""Predictive distributions of monthly counts, shared by every model family and the backtest.

Three families cover every model: a negative binomial with mean ``mu`` and dispersion ``alpha``
(variance ``mu + alpha * mu**2``; ``alpha = 0`` is the Poisson), an empirical distribution given
by equally weighted samples (the bootstrap baseline) and a *hurdle*: ``P(0) = 1 - p`` and, given at
least one event, a zero-truncated negative binomial (the served distribution, see
:class:`HurdlePredictive`). Every family answers the same questions from one distribution: mean,
variance, quantiles, P(count >= 1) and the CRPS (and threshold-weighted CRPS) of an observed count.

CRPS of the negative binomial and empirical families comes from ``scoringrules`` (closed forms and
the exact ensemble estimator); :func:`grid_crps` sums ``(F(k) - 1{y <= k})**2`` over the counts for
every family with a CDF, and tests check the two against each other.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scoringrules as sr
from scipy import stats

_MIN_ALPHA = 1e-8
_GRID_CELLS = 4_000_000
_MIN_MU = 1e-6


class CountPredictive(ABC):
    """A vector of predictive distributions over non-negative integer counts, one per forecast row."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def mean(self) -> np.ndarray:
        """Expected counts."""

    def variance(self) -> np.ndarray:
        """Variances of the counts."""
        raise NotImplementedError(f"{type(self).__name__} has no variance")

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

    def variance(self) -> np.ndarray:
        """``mu + alpha * mu**2``."""
        return self.mu + np.where(self._poisson(), 0.0, self.alpha) * self.mu ** 2

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
        """Exact CRPS (``scoringrules`` closed forms of the Poisson and negative binomial)."""
        y = np.asarray(observed, dtype=float)
        if len(self) == 0:
            return np.zeros(0)
        out = np.empty(len(self))
        po = self._poisson()
        if po.any():
            mu = np.maximum(self.mu[po], 1e-12)
            out[po] = np.where(self.mu[po] <= 0, y[po], sr.crps_poisson(y[po], mu))
        nb = ~po
        if nb.any():
            n, p = self._nb_params()
            out[nb] = np.where(self.mu[nb] <= 0, y[nb], sr.crps_negbinom(y[nb], n[nb], p[nb]))
        if not np.isfinite(out).all():  # extreme parameters: fall back on the exact sum
            bad = ~np.isfinite(out)
            out[bad] = grid_crps(self.take(np.flatnonzero(bad)), y[bad])
        return out

    def twcrps(self, observed: np.ndarray, threshold: float) -> np.ndarray:
        """Threshold-weighted CRPS: the CRPS sum restricted to counts ``k >= threshold``."""
        return grid_crps(self, np.asarray(observed, dtype=float), threshold)

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

    def variance(self) -> np.ndarray:
        """Variance of the samples."""
        return self.samples.var(axis=1)

    def cdf(self, k: np.ndarray) -> np.ndarray:
        """P(count <= k), broadcasting ``k`` against the rows (``k`` shape ``(n,)`` or ``(n, m)``)."""
        values = np.asarray(k, dtype=float)
        if values.ndim == 1:
            return np.asarray((self.samples <= values[:, None]).mean(axis=1), dtype=float)
        m = self.samples.shape[1]
        return np.stack([np.searchsorted(row, v, side="right") / m
                         for row, v in zip(self.samples, values, strict=True)])

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
        """Exact CRPS of the empirical distribution, ``E|X - y| - E|X - X'| / 2`` (scoringrules ``nrg``)."""
        y = np.asarray(observed, dtype=float)
        if len(self) == 0:
            return np.zeros(0)
        return np.asarray(sr.crps_ensemble(y, self.samples, estimator="nrg", sorted_ensemble=True),
                          dtype=float)

    def twcrps(self, observed: np.ndarray, threshold: float) -> np.ndarray:
        """Threshold-weighted CRPS on counts ``>= threshold`` (scoringrules, chaining ``max(x, t)``)."""
        y = np.asarray(observed, dtype=float)
        if len(self) == 0:
            return np.zeros(0)
        t = float(threshold)
        return np.asarray(sr.twcrps_ensemble(y, self.samples, v_func=lambda x: np.maximum(x, t),
                                             estimator="nrg"), dtype=float)

    def take(self, index: np.ndarray) -> EmpiricalPredictive:
        """The distributions at ``index``."""
        return EmpiricalPredictive(self.samples[index])


class GridScored(CountPredictive):
    """Distributions scored by the exact sum over a count grid, from their own CDF (:func:`grid_crps`)."""

    @abstractmethod
    def cdf(self, k: np.ndarray) -> np.ndarray:
        """P(count <= k), broadcasting ``k`` against the rows (``k`` shape ``(n,)`` or ``(n, m)``)."""

    def crps(self, observed: np.ndarray) -> np.ndarray:
        """Exact CRPS, ``sum_k (F(k) - 1{y <= k})**2`` over a grid reaching far into the tail."""
        return grid_crps(self, np.asarray(observed, dtype=float))

    def twcrps(self, observed: np.ndarray, threshold: float) -> np.ndarray:
        """Threshold-weighted CRPS: the CRPS sum restricted to counts ``k >= threshold``."""
        return grid_crps(self, np.asarray(observed, dtype=float), threshold)


class MixturePredictive(GridScored):
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

    def variance(self) -> np.ndarray:
        """Law of total variance over the parts."""
        means = [p.mean() for p in self.parts]
        second = self._pool([p.variance() + m ** 2 for p, m in zip(self.parts, means, strict=True)])
        return np.clip(second - self._pool(means) ** 2, 0.0, None)

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

    def take(self, index: np.ndarray) -> MixturePredictive:
        """The distributions at ``index``."""
        return MixturePredictive([p.take(index) for p in self.parts], self.weights[index])


def grid_crps(dist: CountPredictive, observed: np.ndarray, threshold: float = 0.0,
              upper: np.ndarray | None = None) -> np.ndarray:
    """``sum_{k >= threshold} (F(k) - 1{y <= k})**2``: the CRPS (threshold 0) or the threshold-weighted CRPS.

    For integer counts the CRPS integral is this sum; ``dist`` must answer ``cdf`` on a grid of
    counts per row. The grid reaches the 0.99999 quantile (or ``upper``) and the observation.
    """
    y = np.asarray(observed, dtype=float)
    if len(dist) == 0:
        return np.zeros(0)
    top = dist.quantiles([0.99999])[:, 0] if upper is None else np.asarray(upper, dtype=float)
    kmax = np.maximum(top, y).astype(int) + 2
    out = np.empty(len(dist))
    order = np.argsort(kmax)
    lo = max(0, int(np.ceil(threshold)))
    start = 0
    while start < len(order):
        stop = start + 1
        while stop < len(order) and (stop - start + 1) * (int(kmax[order[stop]]) + 1) <= _GRID_CELLS:
            stop += 1
        idx = order[start:stop]
        width = int(kmax[idx].max()) + 1
        grid = np.broadcast_to(np.arange(width, dtype=float)[None, :], (len(idx), width))
        cdf = dist.take(idx).cdf(grid)  # type: ignore[attr-defined]
        step = (grid >= y[idx][:, None]).astype(float)
        out[idx] = ((cdf - step) ** 2)[:, lo:].sum(axis=1)
        start = stop
    return out


def nb_from_moments(mean: np.ndarray, var: np.ndarray) -> NegBinPredictive:
    """The negative binomial with these means and variances (Poisson where ``var <= mean``)."""
    m = np.clip(np.asarray(mean, dtype=float), 0.0, None)
    v = np.asarray(var, dtype=float)
    alpha = np.divide(v - m, m * m, out=np.zeros_like(m), where=m > 1e-12)
    return NegBinPredictive(m, np.clip(np.nan_to_num(alpha, nan=0.0), 0.0, 50.0))


def _nb_p0_sf0(mu: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(0) and P(count >= 1) of NB(mu, alpha), accurate for tiny ``mu``."""
    a = np.maximum(alpha, _MIN_ALPHA)
    log_p0 = np.where(alpha < _MIN_ALPHA, -mu, -np.log1p(a * mu) / a)
    return np.exp(log_p0), -np.expm1(log_p0)


def zt_mean(mu: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Mean of the zero-truncated NB(mu, alpha): ``mu / P(count >= 1)`` (1 in the limit ``mu -> 0``)."""
    mu = np.maximum(np.asarray(mu, dtype=float), _MIN_MU)
    _, sf0 = _nb_p0_sf0(mu, np.asarray(alpha, dtype=float))
    return mu / np.maximum(sf0, 1e-300)


def solve_zt_mu(target: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The ``mu`` whose zero-truncated NB(mu, alpha) has mean ``target`` (>= 1; bisection in log mu)."""
    c = np.maximum(np.asarray(target, dtype=float), 1.0)
    a = np.broadcast_to(np.asarray(alpha, dtype=float), c.shape)
    lo = np.full(c.shape, np.log(_MIN_MU))
    hi = np.log(np.maximum(c, 1.0)) + 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        above = zt_mean(np.exp(mid), a) >= c
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return np.asarray(np.exp(hi))


class HurdlePredictive(GridScored):
    """Hurdle distributions: ``P(0) = 1 - p``; given ``count >= 1``, a zero-truncated NB(mu, alpha).

    One distribution answers everything: ``p_any() == p == 1 - cdf(0)``, the mean is
    ``p * mu / P_NB(count >= 1)``, quantiles invert the CDF, so ``q90 >= 1`` whenever ``p > 0.1``.
    ``mu`` is floored at 1e-6 (the zero-truncated part then is a point mass at 1).
    """

    def __init__(self, p: np.ndarray, mu: np.ndarray, alpha: np.ndarray) -> None:
        p_arr = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
        mu_arr = np.broadcast_to(np.maximum(np.asarray(mu, dtype=float), _MIN_MU), p_arr.shape).copy()
        a = np.broadcast_to(np.clip(np.asarray(alpha, dtype=float), 0.0, 50.0), p_arr.shape).copy()
        if not (np.isfinite(p_arr).all() and np.isfinite(mu_arr).all() and np.isfinite(a).all()):
            raise ValueError("hurdle parameters must be finite")
        self.p, self.mu, self.alpha = p_arr, mu_arr, a
        self._base = NegBinPredictive(mu_arr, a)
        self._sf0 = np.maximum(_nb_p0_sf0(mu_arr, a)[1], 1e-300)

    def __len__(self) -> int:
        return int(self.p.shape[0])

    def mean(self) -> np.ndarray:
        """``p`` times the zero-truncated mean."""
        return self.p * self.mu / self._sf0

    def variance(self) -> np.ndarray:
        """``p E[X^2 | X >= 1] - mean^2``."""
        second = self.p * (self._base.variance() + self.mu ** 2) / self._sf0
        return np.clip(second - self.mean() ** 2, 0.0, None)

    def p_any(self) -> np.ndarray:
        """P(count >= 1) = ``p``."""
        return self.p.copy()

    def _sf(self, k: np.ndarray) -> np.ndarray:
        """P_NB(count > k) for a grid ``k`` ``(n,)`` or ``(n, m)``."""
        return np.asarray(np.clip(1.0 - self._base.cdf(k), 0.0, None))

    def cdf(self, k: np.ndarray) -> np.ndarray:
        """P(count <= k), broadcasting ``k`` against the rows (``k`` shape ``(n,)`` or ``(n, m)``)."""
        k = np.floor(np.asarray(k, dtype=float))
        extra = (slice(None),) + (None,) * (k.ndim - 1)
        inside = 1.0 - np.minimum(self._sf(np.maximum(k, 0.0)) / self._sf0[extra], 1.0)
        out = (1.0 - self.p[extra]) + self.p[extra] * inside
        return np.where(k < 0, 0.0, np.clip(out, 0.0, 1.0))

    def pmf(self, width: int) -> np.ndarray:
        """``(n, width)`` probabilities of counts ``0..width-1``."""
        grid = np.broadcast_to(np.arange(width, dtype=float)[None, :], (len(self), width))
        cdf = self.cdf(grid)
        return np.diff(cdf, axis=1, prepend=0.0)

    def quantiles(self, levels: Sequence[float]) -> np.ndarray:
        """Quantiles (smallest count whose CDF reaches the level), shape ``(n, len(levels))``."""
        lv = np.asarray(sorted(levels), dtype=float)
        out = np.zeros((len(self), lv.size))
        n, prob = self._base._nb_params()
        for j, level in enumerate(lv):
            inner = np.clip((level - (1.0 - self.p)) / np.maximum(self.p, 1e-300), 0.0, 1.0)
            target = np.clip(1.0 - (1.0 - inner) * self._sf0, 0.0, 1.0 - 1e-15)
            nb = stats.nbinom.ppf(target, n, prob)
            po = stats.poisson.ppf(target, self.mu)
            k = np.maximum(np.nan_to_num(np.where(self._base._poisson(), po, nb), nan=0.0), 1.0)
            # guard against floating point in ppf: step to the smallest k whose CDF reaches the level
            k = np.where(self.cdf(k - 1.0) >= level - 1e-12, np.maximum(k - 1.0, 1.0), k)
            k = np.where(self.cdf(k) < level - 1e-12, k + 1.0, k)
            out[:, j] = np.where(level <= 1.0 - self.p + 1e-12, 0.0, k)
        return np.maximum.accumulate(out, axis=1)

    def take(self, index: np.ndarray) -> HurdlePredictive:
        """The distributions at ``index``."""
        return HurdlePredictive(self.p[index], self.mu[index], self.alpha[index])


def hurdle_from_moments(p: np.ndarray, mean: np.ndarray, var: np.ndarray) -> HurdlePredictive:
    """The hurdle with P(count >= 1) ``p`` whose mean is ``mean`` and whose shape follows ``var``.

    The zero-truncated part gets the dispersion of the NB with these moments and the ``mu`` that
    gives the hurdle the requested mean. A mean below ``p`` cannot be reached (every event month
    counts at least one): ``p`` is lowered to the mean there (the zero-truncated part is then a
    point mass at 1), so the mean is always honoured.
    """
    m = np.clip(np.asarray(mean, dtype=float), 0.0, None)
    prob = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    prob = np.minimum(prob, m)
    alpha = nb_from_moments(m, var).alpha
    target = np.divide(m, prob, out=np.ones_like(m), where=prob > 0)
    mu = solve_zt_mu(target, alpha)
    return HurdlePredictive(prob, mu, alpha)


def reconcile_wls(bottom: np.ndarray, bottom_var: np.ndarray, top: np.ndarray,
                  top_var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reconcile means so the parts sum to the total: weighted least squares (MinT, diagonal).

    Args:
        bottom: ``(n, K)`` means of the parts (attack types) of ``n`` totals.
        bottom_var: ``(n, K)`` their forecast variances.
        top: ``(n,)`` means of the totals (``all``).
        top_var: ``(n,)`` their variances.

    Returns:
        ``(bottom', top')`` with ``bottom'.sum(axis=1) == top'``: the gap ``top - sum(bottom)`` is
        shared in proportion to the variances (the less certain forecasts move more), which is
        the trace-minimising reconciliation with a diagonal covariance. Parts are kept >= 0.
    """
    b = np.clip(np.asarray(bottom, dtype=float), 0.0, None)
    vb = np.clip(np.asarray(bottom_var, dtype=float), 1e-9, None)
    t = np.clip(np.asarray(top, dtype=float), 0.0, None)
    vt = np.clip(np.asarray(top_var, dtype=float), 1e-9, None)
    gap = t - b.sum(axis=1)
    total_var = vb.sum(axis=1) + vt
    new_top = t - vt / total_var * gap
    share = vb / total_var[:, None]
    new_b = np.clip(b + share * gap[:, None], 0.0, None)
    # clipping at zero can break the identity: rescale the parts onto the reconciled total
    sums = new_b.sum(axis=1)
    scale = np.divide(new_top, sums, out=np.zeros_like(sums), where=sums > 0)
    new_b = np.where(sums[:, None] > 0, new_b * scale[:, None], b)
    new_b = np.where(new_b < 1e-12, 0.0, new_b)  # rounding noise of the rescaling
    return new_b, new_b.sum(axis=1)


def _grid_pmf(dist: CountPredictive, width: int) -> np.ndarray:
    """``(n, width)`` probabilities of counts ``0..width-2`` and, last, the tail mass beyond."""
    pmf = getattr(dist, "pmf", None)
    if pmf is not None:
        out = np.asarray(pmf(width - 1))
    else:
        grid = np.broadcast_to(np.arange(width - 1, dtype=float)[None, :], (len(dist), width - 1))
        out = np.diff(dist.cdf(grid), axis=1, prepend=0.0)  # type: ignore[attr-defined]
    tail = np.clip(1.0 - out.sum(axis=1, keepdims=True), 0.0, None)
    return np.concatenate([np.clip(out, 0.0, None), tail], axis=1)


def aggregate_counts(dist: CountPredictive, groups: np.ndarray, levels: Sequence[float]
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distribution of the sum of the rows in each group, by exact convolution of their pmfs.

    Rows are taken as independent. The mean is the exact sum of the row means; ``p_any`` is
    ``1 - prod P_i(0)``; quantiles invert the convolved CDF (each row's grid reaches its 0.99999
    quantile, the tail mass is kept in the last cell so the CDF still reaches 1).

    Returns:
        ``(labels, mean, quantiles (n_groups, len(levels)), p_any)``, labels in sorted order.
    """
    labels, inverse = np.unique(np.asarray(groups), return_inverse=True)
    lv = np.asarray(sorted(levels), dtype=float)
    means = dist.mean()
    mean = np.zeros(len(labels))
    np.add.at(mean, inverse, means)
    qs = np.zeros((len(labels), lv.size))
    p_any = np.zeros(len(labels))
    if len(dist) == 0:
        return labels, mean, qs, p_any
    top = dist.quantiles([0.99999])[:, 0]
    for g in range(len(labels)):
        rows = np.flatnonzero(inverse == g)
        width = int(top[rows].max()) + 3
        pmfs = _grid_pmf(dist.take(rows), width)
        size = int(sum(int(top[r]) + 3 for r in rows))
        n_fft = 1 << int(np.ceil(np.log2(max(size, 2))))
        spectrum = np.prod(np.fft.rfft(pmfs, n=n_fft, axis=1), axis=0)
        total = np.clip(np.fft.irfft(spectrum, n=n_fft)[:size], 0.0, None)
        total /= total.sum()
        p_any[g] = float(np.clip(1.0 - np.prod(pmfs[:, 0]), 0.0, 1.0))
        cdf = np.cumsum(total)
        qs[g] = np.searchsorted(cdf, lv - 1e-9, side="left")
    return labels, mean, qs, p_any
