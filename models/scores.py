"""Proper scores of count forecasts and of P(count >= 1), and skill against baselines.

Pure numpy (and scipy's ranks). Count scores compare the predictive mean (MAE,
RMSE, MSLE) or the whole predictive distribution (CRPS, 80% interval coverage) with the observed
count; probability scores compare ``p_any`` with the event ``count >= 1`` (Brier, log loss, AUROC,
average precision, expected calibration error).

Skill against the best baseline (see :func:`skill`):

* lower-is-better scores (MAE, RMSE, MSLE, CRPS, Brier, log loss, ECE): ``1 - score / best``, where
  ``best`` is the lowest baseline score. 0 = as good as the best baseline, 1 = perfect, < 0 = worse.
* higher-is-better ranking scores (AUROC, average precision, best value 1):
  ``(score - best) / (1 - best)`` with ``best`` the highest baseline score: the share of the gap
  between the best baseline and a perfect ranking that the model closes (same reading as above).
* coverage has no skill (it is a calibration check, not a score to minimise). ``coverage80`` is the
  share of counts inside ``[q10, q90]``; ``pit_coverage80`` the share of randomized PIT values in
  ``[0.1, 0.9]`` (exactly 0.80 when calibrated, see :func:`pit_inside`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from models.distributions import CountPredictive, EmpiricalPredictive

LOG_LOSS_EPS: Final = 1e-4
"""Probabilities are clipped to ``[eps, 1 - eps]`` in the log loss, so a point-mass forecast (the
zero baseline, ``p_any = 0``) costs ``-log(1e-4) ~ 9.2`` per missed event instead of infinity."""

LOWER_IS_BETTER: Final[frozenset[str]] = frozenset(
    {"mae", "rmse", "msle", "crps", "twcrps", "brier", "log_loss", "ece"})
HIGHER_IS_BETTER: Final[frozenset[str]] = frozenset({"auroc", "average_precision"})
COUNT_METRICS: Final[tuple[str, ...]] = ("mae", "rmse", "msle", "crps", "twcrps", "coverage80",
                                          "pit_coverage80")
PROB_METRICS: Final[tuple[str, ...]] = ("brier", "log_loss", "auroc", "average_precision", "ece")
METRICS: Final[tuple[str, ...]] = (*COUNT_METRICS, *PROB_METRICS)


def _arrays(*values: np.ndarray | pd.Series) -> list[np.ndarray]:
    out = [np.asarray(v, dtype=float) for v in values]
    if len({a.shape for a in out}) != 1:
        raise ValueError(f"arrays differ in shape: {[a.shape for a in out]}")
    return out


def mae(observed: np.ndarray, mean: np.ndarray) -> float:
    """Mean absolute error of the predictive mean (NaN when empty)."""
    y, m = _arrays(observed, mean)
    return float(np.abs(y - m).mean()) if y.size else float("nan")


def rmse(observed: np.ndarray, mean: np.ndarray) -> float:
    """Root mean squared error of the predictive mean (NaN when empty)."""
    y, m = _arrays(observed, mean)
    return float(np.sqrt(((y - m) ** 2).mean())) if y.size else float("nan")


def msle(observed: np.ndarray, mean: np.ndarray) -> float:
    """Mean squared error of ``log1p`` counts (NaN when empty)."""
    y, m = _arrays(observed, mean)
    if not y.size:
        return float("nan")
    return float(((np.log1p(np.clip(y, 0, None)) - np.log1p(np.clip(m, 0, None))) ** 2).mean())


def crps(dist: CountPredictive, observed: np.ndarray) -> float:
    """Mean CRPS of the predictive distributions at the observed counts (NaN when empty)."""
    y = np.asarray(observed, dtype=float)
    if len(dist) != y.size:
        raise ValueError(f"{len(dist)} distributions but {y.size} observations")
    return float(dist.crps(y).mean()) if y.size else float("nan")


def coverage(observed: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of observations inside ``[lower, upper]`` (e.g. q10..q90: 80% nominal)."""
    y, lo, hi = _arrays(observed, lower, upper)
    return float(((y >= lo) & (y <= hi)).mean()) if y.size else float("nan")


def predictive_cdf(dist: CountPredictive, k: np.ndarray) -> np.ndarray:
    """P(count <= k) of each row (``k`` one value per row; NaN for a family without a CDF)."""
    values = np.asarray(k, dtype=float)
    if isinstance(dist, EmpiricalPredictive):
        return np.asarray((dist.samples <= values[:, None]).mean(axis=1), dtype=float)
    cdf = getattr(dist, "cdf", None)
    if cdf is None:
        return np.full(len(dist), np.nan)
    return np.asarray(cdf(values), dtype=float)


def pit_inside(dist: CountPredictive, observed: np.ndarray, lower: float = 0.1,
               upper: float = 0.9) -> np.ndarray:
    """Probability that the randomized PIT of each observed count falls in ``[lower, upper]``.

    For a count ``y`` the randomized PIT is uniform on ``[F(y-1), F(y)]``. Its mean over rows is the
    coverage of the central ``upper - lower`` probability interval, which is exactly nominal (0.80)
    for calibrated forecasts, unlike ``coverage(q10, q90)``: with small counts the interval between
    two integer quantiles holds more than 80% of the mass (Poisson(0.5): ``[0, 1]`` holds 91%).
    """
    y = np.asarray(observed, dtype=float)
    hi = predictive_cdf(dist, y)
    lo = predictive_cdf(dist, y - 1)
    width = hi - lo
    overlap = np.clip(np.minimum(hi, upper) - np.maximum(lo, lower), 0.0, None)
    inside_point = ((lo >= lower) & (lo <= upper)).astype(float)
    safe = np.where(width > 0, width, 1.0)
    return np.where(width > 0, overlap / safe, inside_point)


def brier(event: np.ndarray, prob: np.ndarray) -> float:
    """Brier score: mean squared difference between the probability and the 0/1 outcome."""
    e, p = _arrays(event, prob)
    return float(((p - e) ** 2).mean()) if e.size else float("nan")


def log_loss(event: np.ndarray, prob: np.ndarray, eps: float = LOG_LOSS_EPS) -> float:
    """Mean negative log-likelihood of the 0/1 outcomes, probabilities clipped to ``[eps, 1-eps]``."""
    e, p = _arrays(event, prob)
    if not e.size:
        return float("nan")
    p = np.clip(p, eps, 1.0 - eps)
    return float(-(e * np.log(p) + (1.0 - e) * np.log1p(-p)).mean())


def _both_classes(e: np.ndarray) -> bool:
    return bool(e.size) and 0.0 < e.mean() < 1.0


def auroc(event: np.ndarray, prob: np.ndarray) -> float:
    """Area under the ROC curve, ties counted half (NaN when only one class is present).

    The Mann-Whitney statistic on mid-ranks; equal to ``sklearn.metrics.roc_auc_score``.
    """
    e, p = _arrays(event, prob)
    if not _both_classes(e):
        return float("nan")
    ranks = rankdata(p)
    pos = e >= 0.5
    n_pos = int(pos.sum())
    n_neg = e.size - n_pos
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(event: np.ndarray, prob: np.ndarray) -> float:
    """Average precision: precision at each distinct threshold weighted by the recall gained.

    Equal to ``sklearn.metrics.average_precision_score`` (NaN when only one class is present).
    """
    e, p = _arrays(event, prob)
    if not _both_classes(e):
        return float("nan")
    order = np.argsort(-p, kind="mergesort")
    ps, es = p[order], e[order]
    last = np.r_[np.flatnonzero(np.diff(ps)), ps.size - 1]
    tp = np.cumsum(es)[last]
    precision = tp / (last + 1)
    recall_gain = np.diff(np.r_[0.0, tp]) / tp[-1]
    return float((precision * recall_gain).sum())


def _reliability(event: np.ndarray, prob: np.ndarray, bins: int) -> tuple[np.ndarray, ...]:
    e, p = _arrays(event, prob)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    safe = np.maximum(count, 1)
    mean_prob = np.bincount(which, weights=p, minlength=bins) / safe
    observed = np.bincount(which, weights=e, minlength=bins) / safe
    return edges, count, mean_prob, observed


def reliability_table(event: np.ndarray, prob: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Observed frequency against mean forecast probability in ``bins`` equal-width bins.

    Returns:
        One row per non-empty bin: ``bin`` (0-based), ``lower``, ``upper``, ``count``,
        ``mean_prob``, ``observed_freq``.
    """
    edges, count, mean_prob, observed = _reliability(event, prob, bins)
    keep = count > 0
    return pd.DataFrame({
        "bin": np.arange(bins)[keep],
        "lower": edges[:-1][keep],
        "upper": edges[1:][keep],
        "count": count[keep],
        "mean_prob": mean_prob[keep],
        "observed_freq": observed[keep],
    })


def ece(event: np.ndarray, prob: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: count-weighted mean |observed - forecast| over ``bins`` bins."""
    _, count, mean_prob, observed = _reliability(event, prob, bins)
    total = count.sum()
    if total == 0:
        return float("nan")
    return float((count * np.abs(observed - mean_prob)).sum() / total)


def score_rows(rows: Mapping[str, np.ndarray] | pd.DataFrame) -> dict[str, float]:
    """Every metric of a set of scored forecast rows.

    Args:
        rows: arrays (or frame columns) ``y`` (observed count), ``mean``, ``q10``, ``q90``,
            ``crps`` (per-row CRPS), ``p_any`` and optionally ``pit80`` (:func:`pit_inside`). Count
            columns may be all NaN (a probability-only model): count metrics are then NaN.

    Returns:
        ``{metric: value}`` for :data:`METRICS` plus ``n`` (rows) and ``base_rate`` (share with y >= 1).
    """
    y = np.asarray(rows["y"], dtype=float)
    event = (y >= 1).astype(float)
    out: dict[str, float] = {"n": float(y.size), "base_rate": float(event.mean()) if y.size else np.nan}
    mean = np.asarray(rows["mean"], dtype=float)
    if y.size and np.isfinite(mean).all():
        out["mae"] = mae(y, mean)
        out["rmse"] = rmse(y, mean)
        out["msle"] = msle(y, mean)
        out["crps"] = float(np.asarray(rows["crps"], dtype=float).mean())
        tw = np.asarray(rows["twcrps"], dtype=float) if "twcrps" in rows else np.full(y.size, np.nan)
        out["twcrps"] = float(tw.mean()) if np.isfinite(tw).all() else float("nan")
        out["coverage80"] = coverage(y, np.asarray(rows["q10"]), np.asarray(rows["q90"]))
        pit = np.asarray(rows["pit80"], dtype=float) if "pit80" in rows else np.full(y.size, np.nan)
        out["pit_coverage80"] = float(pit.mean()) if np.isfinite(pit).all() else float("nan")
    else:
        out.update({m: float("nan") for m in COUNT_METRICS})
    p = np.asarray(rows["p_any"], dtype=float)
    out["brier"] = brier(event, p)
    out["log_loss"] = log_loss(event, p)
    out["auroc"] = auroc(event, p)
    out["average_precision"] = average_precision(event, p)
    out["ece"] = ece(event, p)
    return out


def skill(metric: str, value: float, baselines: Mapping[str, float]) -> float:
    """Skill of ``value`` against the best of the ``baselines`` scores for ``metric``.

    See the module docstring for the definition; NaN when the metric has no skill (coverage), no
    baseline score is finite, or the best baseline is already perfect.
    """
    finite = [v for v in baselines.values() if np.isfinite(v)]
    if not finite or not np.isfinite(value):
        return float("nan")
    if metric in LOWER_IS_BETTER:
        best = min(finite)
        return float(1.0 - value / best) if best > 0 else float("nan")
    if metric in HIGHER_IS_BETTER:
        best = max(finite)
        return float((value - best) / (1.0 - best)) if best < 1 else float("nan")
    return float("nan")


def best_baseline(metric: str, baselines: Mapping[str, float]) -> str | None:
    """Name of the best baseline for ``metric`` (``None`` when none is finite or no direction)."""
    finite = {k: v for k, v in baselines.items() if np.isfinite(v)}
    if not finite:
        return None
    if metric in LOWER_IS_BETTER:
        return min(finite, key=finite.__getitem__)
    if metric in HIGHER_IS_BETTER:
        return max(finite, key=finite.__getitem__)
    return None


def block_bootstrap_skill(model: np.ndarray, baseline: np.ndarray, origins: np.ndarray, regions: np.ndarray,
                          n_boot: int = 1000, block: int = 6, level: float = 0.9,
                          seed: int = 0) -> tuple[float, float, float]:
    """Skill ``1 - sum(model) / sum(baseline)`` of per-row scores, with a block-bootstrap interval.

    Rows are resampled over origins and regions at once: origins in moving blocks of ``block``
    consecutive origins (forecasts from nearby origins share target months), regions independently;
    each replicate weights row ``(o, r)`` by how often its origin and its region were drawn.

    Args:
        model: per-row scores (lower is better) of the model.
        baseline: the baseline's scores on the same rows.
        origins: per-row origin labels (``YYYY-MM``: they sort chronologically as strings).
        regions: per-row region labels.
        n_boot: replicates.
        block: origin block length.
        level: central probability of the interval.
        seed: random seed.

    Returns:
        ``(skill, lower, upper)``; NaN when the baseline's total is 0 or there are no rows.
    """
    m, b = _arrays(model, baseline)
    if m.size == 0 or b.sum() <= 0:
        return float("nan"), float("nan"), float("nan")
    o_codes, o_labels = pd.factorize(pd.Series(origins).astype(str), sort=True)
    r_codes, r_labels = pd.factorize(pd.Series(regions).astype(str))
    n_o, n_r = len(o_labels), len(r_labels)
    a = np.zeros((n_o, n_r))
    c = np.zeros((n_o, n_r))
    np.add.at(a, (o_codes, r_codes), m)
    np.add.at(c, (o_codes, r_codes), b)
    estimate = float(1.0 - a.sum() / c.sum())
    rng = np.random.default_rng(seed)
    length = max(1, min(block, n_o))
    n_blocks = int(np.ceil(n_o / length))
    starts = rng.integers(0, n_o - length + 1, size=(n_boot, n_blocks))
    picks = (starts[:, :, None] + np.arange(length)[None, None, :]).reshape(n_boot, -1)[:, :n_o]
    w_o = np.zeros((n_boot, n_o))
    np.add.at(w_o, (np.repeat(np.arange(n_boot), picks.shape[1]), picks.ravel()), 1.0)
    w_r = rng.multinomial(n_r, np.full(n_r, 1.0 / n_r), size=n_boot).astype(float)
    num = np.einsum("bo,or,br->b", w_o, a, w_r)
    den = np.einsum("bo,or,br->b", w_o, c, w_r)
    reps = 1.0 - num[den > 0] / den[den > 0]
    if reps.size == 0:
        return estimate, float("nan"), float("nan")
    tail = (1.0 - level) / 2.0
    return estimate, float(np.quantile(reps, tail)), float(np.quantile(reps, 1.0 - tail))


def pit_histogram(pit_lo: np.ndarray, pit_hi: np.ndarray, bins: int = 10) -> np.ndarray:
    """Non-randomized PIT histogram of count forecasts (Czado, Gneiting and Held 2009).

    Row ``i``'s PIT is uniform on ``[F(y-1), F(y)]`` = ``[pit_lo, pit_hi]``; the histogram is the
    mean mass each of ``bins`` equal bins of ``[0, 1]`` receives (flat at ``1 / bins`` when
    calibrated; a U shape is overconfidence, a hump underconfidence).
    """
    lo, hi = _arrays(pit_lo, pit_hi)
    if lo.size == 0:
        return np.full(bins, np.nan)
    edges = np.linspace(0.0, 1.0, bins + 1)
    width = hi - lo
    out = np.zeros(bins)
    for j in range(bins):
        overlap = np.clip(np.minimum(hi, edges[j + 1]) - np.maximum(lo, edges[j]), 0.0, None)
        point = ((lo >= edges[j]) & ((lo < edges[j + 1]) | (j == bins - 1))).astype(float)
        out[j] = float(np.where(width > 0, overlap / np.where(width > 0, width, 1.0), point).mean())
    return out
