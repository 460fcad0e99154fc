"""Tactic mix: the expected share of each attack type among a region's next events.

Shares are the region's recent attack-type counts (exponentially down-weighted with age, over the
last ``window`` months) shrunk toward its country's recent mix, itself shrunk toward the global mix
of the training window, as Dirichlet-multinomial posterior means. The prior strength is chosen on
the training window: at each of its last ``tune_months`` origins, every candidate strength predicts
the mix of the following six months, and the one with the lowest multinomial log loss wins.

Post-occupation adjustment: factors learned on the training window (the mix among events in the
post-occupation window of any region, relative to the global mix, shrunk toward 1) multiply the
shares of a region whose target month falls within ``POST_WINDOW_MONTHS`` after an occupation
ended; shares are renormalised. This is where kidnappings, bombings and suicide attacks rise after
a liberation.

Coverage: :func:`observed_only` leaves out the types a region's sources cannot observe
(:mod:`models.coverage`) and renormalises the rest, so a type without data gets no share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from models.coverage import is_observed
from models.episodes import load_catalog, occupation_status
from models.estimators.base import check_fitted, fit_report, hyperparameters
from models.features import POST_WINDOW_MONTHS, count_cube, known_regions
from models.panel import Panel
from models.taxonomy import ATTACK_TYPES

_N = len(ATTACK_TYPES)


def weighted_recent(cube: np.ndarray, end: int, window: int, half_life: float) -> np.ndarray:
    """``(R, K)`` counts of a ``(R, K, months)`` cube over the ``window`` months ending at ``end``.

    Counts are down-weighted by age: an event ``half_life`` months old weighs half.
    """
    start = max(0, end - window + 1)
    block = cube[:, :, start: end + 1]
    age = np.arange(block.shape[2])[::-1]
    return (block * (0.5 ** (age / half_life))[None, None, :]).sum(axis=2)


def _country_totals(x: np.ndarray, countries: np.ndarray) -> np.ndarray:
    codes, inverse = np.unique(countries, return_inverse=True)
    sums = np.zeros((len(codes), x.shape[1]))
    np.add.at(sums, inverse, x)
    return sums[inverse]


def mix_shares(recent: np.ndarray, countries: np.ndarray, global_shares: np.ndarray,
               strength: float) -> np.ndarray:
    """Region shares: own recent counts shrunk toward the country mix, shrunk toward the global mix."""
    country = _country_totals(recent, countries) if len(recent) else recent
    country_shares = (country + strength * global_shares) / (country.sum(axis=1, keepdims=True) + strength)
    return (recent + strength * country_shares) / (recent.sum(axis=1, keepdims=True) + strength)


def shares_frame(regions: np.ndarray, labels: tuple[str, ...], column: str,
                 shares: np.ndarray) -> pd.DataFrame:
    """Long frame ``region_id``, ``horizon``, ``column``, ``share`` of ``(regions, horizon, labels)``."""
    n_r, horizon, n_k = shares.shape
    return pd.DataFrame({
        "region_id": np.repeat(regions, horizon * n_k),
        "horizon": np.tile(np.repeat(np.arange(1, horizon + 1), n_k), n_r).astype("int64"),
        column: np.tile(np.asarray(labels, dtype=object), n_r * horizon),
        "share": shares.ravel(),
    })


def observed_only(mix: pd.DataFrame, observed: Mapping[str, Sequence[str]] | None) -> pd.DataFrame:
    """The tactic mix ``mix`` without the types its regions' sources cannot observe, renormalised.

    Args:
        mix: long frame ``region_id``, ``horizon``, ``attack_type``, ``share``.
        observed: region -> observable types (a bundle's coverage); ``None`` keeps every type.

    Returns:
        The rows of observable types, their shares rescaled to sum to 1 per region and horizon
        (rows of a region and horizon whose observable shares sum to 0 are dropped).
    """
    if observed is None or mix.empty:
        return mix
    keep = np.fromiter((is_observed(observed, str(r), str(t))
                        for r, t in zip(mix["region_id"], mix["attack_type"], strict=True)),
                       dtype=bool, count=len(mix))
    out = mix[keep].copy()
    totals = out.groupby(["region_id", "horizon"])["share"].transform("sum").to_numpy(dtype=float)
    out["share"] = np.divide(out["share"].to_numpy(dtype=float), totals, out=np.zeros(len(out)),
                             where=totals > 0)
    return out[totals > 0].reset_index(drop=True)


@hyperparameters
class ShrunkMix(BaseEstimator):  # type: ignore[misc]
    """What every mix model shares: recent shares shrunk toward country and global mixes.

    Args:
        window: months of recent history per region.
        half_life: months after which an event weighs half.
        strengths: candidate prior strengths (pseudo-events); the best on the training window wins.
        tune_months: origins at the end of the training window used to choose the strength.
    """

    window: int = 24
    half_life: float = 6.0
    strengths: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0)
    tune_months: int = 24

    def learn_shrinkage(self, cube: np.ndarray, countries: np.ndarray) -> dict[str, float]:
        """Learn ``global_shares_`` and ``strength_`` from a ``(R, K, months)`` training cube.

        The strength is the candidate with the lowest multinomial log loss of the next six months'
        mix over the last ``tune_months`` origins (the smallest wins a tie).

        Returns:
            Each candidate's summed log loss, rounded.
        """
        if not self.strengths:
            raise ValueError("strengths must name at least one candidate")
        n_k = cube.shape[1]
        totals = cube.sum(axis=(0, 2)) if cube.size else np.zeros(n_k)
        self.global_shares_ = (totals + 1.0) / (totals.sum() + n_k)
        end = cube.shape[2] - 1
        origins = [t for t in range(end - 6 - self.tune_months + 1, end - 5) if t >= 0]
        losses = {s: 0.0 for s in self.strengths}
        for t in origins:
            future = cube[:, :, t + 1: t + 7].sum(axis=2)
            if future.sum() == 0:
                continue
            recent = weighted_recent(cube, t, self.window, self.half_life)
            for s in self.strengths:
                shares = mix_shares(recent, countries, self.global_shares_, s)
                losses[s] -= float((future * np.log(np.maximum(shares, 1e-12))).sum())
        self.strength_ = float(min(self.strengths, key=lambda s: (losses[s], s)))
        return {str(s): round(v, 3) for s, v in losses.items()}

    def recent_shares(self, cube: np.ndarray, countries: np.ndarray) -> np.ndarray:
        """``(R, K)`` shares at the cube's last month with the learned strength and global mix."""
        recent = weighted_recent(cube, cube.shape[2] - 1, self.window, self.half_life)
        return mix_shares(recent, countries, self.global_shares_, self.strength_)


@hyperparameters
class TacticMix(ShrunkMix):
    """Shrunken recent attack-type shares with a learned post-occupation adjustment.

    Args:
        window, half_life, strengths, tune_months: see :class:`ShrunkMix`.
        post_shrink: pseudo-events shrinking the post-occupation factors toward 1.
        catalog: occupation episode catalog; ``None`` loads the shipped one.
    """

    name = "tactic_mix"

    post_shrink: float = 20.0
    catalog: pd.DataFrame | None = None

    def fit(self, panel: Panel) -> Self:
        """Learn the global mix, the prior strength and the post-occupation factors from ``panel``."""
        cube, _ = count_cube(panel)
        known = known_regions(panel)
        cube = cube[known][:, :_N, :]
        scores = self.learn_shrinkage(cube, panel.regions["country"].to_numpy(dtype=object)[known])
        self.catalog_ = self.catalog if self.catalog is not None else load_catalog()
        status = occupation_status(panel.regions.index.to_numpy()[known], panel.months, self.catalog_)
        shape = (int(known.sum()), len(panel.months))
        post = ((status["phase"].to_numpy(dtype=object) == "after")
                & (status["months_since_end"].to_numpy(dtype=float) <= POST_WINDOW_MONTHS)).reshape(shape)
        post_counts = (cube * post[:, None, :]).sum(axis=(0, 2)) if cube.size else np.zeros(_N)
        n_post = float(post_counts.sum())
        self.post_factors_ = ((post_counts + self.post_shrink * self.global_shares_)
                              / ((n_post + self.post_shrink) * self.global_shares_))
        self.report_: dict[str, Any] = {
            "family": self.name, "strength": self.strength_, "tuning_log_loss": scores,
            "post_occupation_events": int(n_post),
            "post_factors": {t: round(float(f), 3) for t, f in zip(ATTACK_TYPES, self.post_factors_,
                                                                  strict=True)},
        }
        self.fitted_ = True
        return self

    def predict_mix(self, state: Panel, horizon: int) -> pd.DataFrame:
        """Expected shares: ``region_id``, ``horizon``, ``attack_type``, ``share``.

        Shares sum to 1 over :data:`models.taxonomy.ATTACK_TYPES` for every region and horizon.
        """
        check_fitted(self)
        if horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {horizon}")
        cube, _ = count_cube(state)
        regions = state.regions.index.to_numpy()
        countries = state.regions["country"].to_numpy(dtype=object)
        base = self.recent_shares(cube[:, :_N, :], countries)
        status = occupation_status(regions, pd.period_range(state.cutoff, state.cutoff, freq="M"),
                                   self.catalog_)
        after = status["phase"].to_numpy(dtype=object) == "after"
        since = np.nan_to_num(status["months_since_end"].to_numpy(dtype=float), nan=np.inf)
        out = np.empty((len(regions), horizon, _N))
        for h in range(1, horizon + 1):
            in_window = after & (since + h <= POST_WINDOW_MONTHS)
            shares = np.where(in_window[:, None], base * self.post_factors_[None, :], base)
            out[:, h - 1, :] = shares / shares.sum(axis=1, keepdims=True)
        return shares_frame(regions, ATTACK_TYPES, "attack_type", out)

    def fit_report(self) -> dict[str, Any]:
        """What the fit decided (strength, tuning losses, post-occupation factors)."""
        return fit_report(self)
