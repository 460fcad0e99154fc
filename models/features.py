"""Panel features: what is known about a region, attack type and month at the end of that month.

Every feature at month ``t`` uses data of months ``<= t`` only (a test checks it), so a row at ``t``
can predict any month ``t + h``. Features are computed on the dense region x type x month cube of
the panel with numpy (no per-region Python loops) and kept as arrays in a :class:`FeatureCube`;
:func:`make_features` flattens them into one long frame.

Naming: ``lag0`` is the count of month ``t`` itself (the most recent month known at ``t``),
``lag1`` the month before, ``lag11`` the same calendar month a year before the target of a one-month
forecast. Rolling means (``roll3/6/12/24``) and exponentially weighted means (``ewm3``/``ewm12``,
half-lives in months) end at ``t`` and average over the months the region was covered. Country
features sum the counts of the country's regions. Occupation features come from
:func:`models.episodes.occupation_status`.

Only regions with at least one event up to the panel's cutoff are *known* at that cutoff: a region
whose first event comes later shows up in a truncated panel (as zeros) only because of that later
event, so models train on :func:`known_regions` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, NamedTuple

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from models.episodes import occupation_status
from models.panel import Panel
from models.taxonomy import PANEL_TYPES

TYPE_FEATURES: Final[tuple[str, ...]] = (
    "lag0", "lag1", "lag2", "lag11", "roll3", "roll6", "roll12", "roll24", "ewm3", "ewm12",
    "since_event", "country_roll3", "country_roll12",
)
"""Features of one attack type's own counts (computed for every panel type, ``all`` included)."""

REGION_FEATURES: Final[tuple[str, ...]] = (
    "phase_during", "phase_after", "post_window", "since_end", "month_sin", "month_cos", "age",
)
"""Features shared by every attack type of a region-month."""

POST_WINDOW_MONTHS: Final = 24
"""Months after an occupation ended that count as the post-occupation window."""

SINCE_CAP: Final = 120.0
"""Cap (months) on months-since features, also used where nothing happened yet."""

EWM_HALF_LIVES: Final[dict[str, float]] = {"ewm3": 3.0, "ewm12": 12.0}


@dataclass(frozen=True)
class FeatureCube:
    """Features of a panel as dense arrays.

    Attributes:
        regions: region ids, in the order of ``panel.regions``.
        months: every month of the panel.
        counts: ``(R, T, M)`` counts of each panel type (``T = len(PANEL_TYPES)``), 0 where uncovered.
        covered: ``(R, M)`` whether the region is covered at the month.
        type_features: name -> ``(R, T, M)`` array.
        region_features: name -> ``(R, M)`` array.
    """

    regions: np.ndarray
    months: pd.PeriodIndex
    counts: np.ndarray
    covered: np.ndarray
    type_features: dict[str, np.ndarray]
    region_features: dict[str, np.ndarray]


def known_regions(panel: Panel) -> np.ndarray:
    """Boolean mask over ``panel.regions``: regions with at least one event up to the cutoff."""
    return panel.regions["last_event_month"].notna().to_numpy()


def count_cube(panel: Panel) -> tuple[np.ndarray, np.ndarray]:
    """Dense ``(R, T, M)`` count cube (0 where uncovered) and ``(R, M)`` coverage mask of a panel.

    Both are the read-only arrays of :attr:`models.panel.Panel.cube`.
    """
    return panel.cube.counts, panel.cube.covered


def _lag(x: np.ndarray, k: int) -> np.ndarray:
    """Shift along the last axis by ``k`` months, zero-filled at the start."""
    if k == 0:
        return x.copy()
    out = np.zeros_like(x)
    out[..., k:] = x[..., :-k]
    return out


def _rolling_mean(x: np.ndarray, window: int, n_cov: np.ndarray) -> np.ndarray:
    """Mean over the last ``window`` covered months (fewer at the start of coverage)."""
    csum = np.cumsum(x, axis=-1)
    total = csum - _lag(csum, window)
    denom = np.minimum(n_cov, window)
    return total / np.maximum(denom, 1.0)


def _ewm(x: np.ndarray, half_life: float, covered: np.ndarray) -> np.ndarray:
    """Bias-corrected exponentially weighted mean along the last axis (covered months only)."""
    decay = 0.5 ** (1.0 / half_life)
    num = lfilter([1.0], [1.0, -decay], x, axis=-1)
    den = lfilter([1.0], [1.0, -decay], covered.astype(float), axis=-1)
    return np.where(den > 0, num / np.maximum(den, 1e-12), 0.0)


def _months_since_event(x: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Months since the last month with a positive count (``min(age, cap)`` if none yet)."""
    n_m = x.shape[-1]
    idx = np.arange(n_m, dtype=float)
    last = np.where(x > 0, idx, -np.inf)
    last = np.maximum.accumulate(last, axis=-1)
    since = idx - last
    return np.minimum(np.where(np.isfinite(since), since, age), SINCE_CAP)


def _country_sum(x: np.ndarray, countries: np.ndarray) -> np.ndarray:
    """Sum over the regions of each region's country (first axis), broadcast back to regions."""
    codes, inverse = np.unique(countries, return_inverse=True)
    sums = np.zeros((len(codes), *x.shape[1:]), dtype=float)
    np.add.at(sums, inverse, x)
    return sums[inverse]


def build_cube(panel: Panel, catalog: pd.DataFrame) -> FeatureCube:
    """Compute every feature of every region, type and month of ``panel``.

    Args:
        panel: the panel.
        catalog: an occupation episode catalog (:func:`models.episodes.load_catalog`).

    Returns:
        The :class:`FeatureCube`.
    """
    months = panel.months
    cube, covered = count_cube(panel)
    cov3 = covered[:, None, :]
    n_cov = np.cumsum(covered, axis=-1).astype(float)[:, None, :]
    age = np.maximum(n_cov - 1.0, 0.0)

    tf: dict[str, np.ndarray] = {}
    for k in (0, 1, 2, 11):
        tf[f"lag{k}"] = _lag(cube, k)
    for w in (3, 6, 12, 24):
        tf[f"roll{w}"] = _rolling_mean(cube, w, n_cov)
    for name, half_life in EWM_HALF_LIVES.items():
        tf[name] = _ewm(cube, half_life, np.broadcast_to(cov3, cube.shape))
    tf["since_event"] = _months_since_event(cube, np.broadcast_to(age, cube.shape))
    countries = panel.regions["country"].to_numpy(dtype=object)
    country = _country_sum(cube, countries) if len(countries) else cube.copy()
    tf["country_roll3"] = _rolling_mean(country, 3, n_cov)
    tf["country_roll12"] = _rolling_mean(country, 12, n_cov)

    rf: dict[str, np.ndarray] = {}
    status = occupation_status(panel.regions.index.to_numpy(), months, catalog)
    shape = covered.shape
    phase = status["phase"].to_numpy(dtype=object).reshape(shape)
    since_end = status["months_since_end"].to_numpy(dtype=float).reshape(shape)
    rf["phase_during"] = (phase == "during").astype(float)
    rf["phase_after"] = (phase == "after").astype(float)
    rf["post_window"] = ((phase == "after") & (since_end <= POST_WINDOW_MONTHS)).astype(float)
    rf["since_end"] = np.where(phase == "after", np.minimum(np.nan_to_num(since_end), SINCE_CAP), 0.0)
    moy = (np.asarray(months.month, dtype=float) - 1.0) * (2.0 * np.pi / 12.0)
    rf["month_sin"] = np.broadcast_to(np.sin(moy)[None, :], shape).copy()
    rf["month_cos"] = np.broadcast_to(np.cos(moy)[None, :], shape).copy()
    rf["age"] = age[:, 0, :]
    return FeatureCube(regions=panel.regions.index.to_numpy(), months=months, counts=cube,
                       covered=covered, type_features=tf, region_features=rf)


def make_features(panel: Panel, catalog: pd.DataFrame) -> pd.DataFrame:
    """Long feature frame: one row per region x month x attack type of ``panel.counts``.

    Args:
        panel: the panel.
        catalog: an occupation episode catalog (:func:`models.episodes.load_catalog`).

    Returns:
        ``region_id``, ``month``, ``attack_type``, ``count`` and one column per feature of
        :data:`TYPE_FEATURES` (own type), ``all_<name>`` (the region's ``all`` counts) and
        :data:`REGION_FEATURES`; rows in the order of ``panel.counts``.
    """
    fc = build_cube(panel, catalog)
    counts = panel.counts
    r = pd.Index(fc.regions).get_indexer(pd.Index(counts["region_id"]))
    k = pd.Index(PANEL_TYPES).get_indexer(pd.Index(counts["attack_type"]))
    m = fc.months.get_indexer(pd.PeriodIndex(counts["month"], freq="M"))
    out = counts[["region_id", "month", "attack_type", "count"]].reset_index(drop=True).copy()
    all_k = len(PANEL_TYPES) - 1
    for name, arr in fc.type_features.items():
        out[name] = arr[r, k, m]
    for name, arr in fc.type_features.items():
        out[f"all_{name}"] = arr[r, all_k, m]
    for name, arr2 in fc.region_features.items():
        out[name] = arr2[r, m]
    return out


ALL_TYPE_FEATURES: Final[tuple[str, ...]] = ("lag0", "roll3", "roll12", "ewm3", "since_event",
                                             "country_roll12")
"""Features of the region's ``all`` counts added to the design of every other type."""

_COUNT_LIKE: Final = frozenset({"lag0", "lag1", "lag2", "lag11", "roll3", "roll6", "roll12", "roll24",
                                "ewm3", "ewm12", "country_roll3", "country_roll12"})


def design_names(type_index: int) -> list[str]:
    """Column names of :func:`design_rows` for the panel type at ``type_index``."""
    names = [f"own_{n}" for n in TYPE_FEATURES]
    if PANEL_TYPES[type_index] != PANEL_TYPES[-1]:
        names += [f"all_{n}" for n in ALL_TYPE_FEATURES]
    return [*names, "phase_during", "phase_after", "post_window", "log_since_end", "target_sin",
            "target_cos", "log_age", "log_level", "log_recent"]


def _transform(name: str, values: np.ndarray) -> np.ndarray:
    if name in _COUNT_LIKE or name == "since_event":
        return np.log1p(values)
    return values


def shrunken_level(fc: FeatureCube, type_index: int, r: np.ndarray, m: np.ndarray,
                   prior: tuple[float, float]) -> np.ndarray:
    """Empirical-Bayes region level of a type at months ``m``: the gamma-Poisson posterior mean.

    Uses the region's counts up to each month only: ``(sum_y + a) / (n_months + b)`` with the prior
    ``(a, b)`` (shape, rate) learned on a training window by :func:`gamma_prior`.
    """
    a, b = prior
    csum = np.cumsum(fc.counts[:, type_index, :], axis=-1)
    n_cov = np.cumsum(fc.covered, axis=-1).astype(float)
    return (csum[r, m] + a) / (n_cov[r, m] + b)


def gamma_prior(fc: FeatureCube, type_index: int, regions: np.ndarray, end: int) -> tuple[float, float]:
    """Method-of-moments gamma prior ``(shape, rate)`` of regional monthly rates up to month ``end``.

    Args:
        fc: the feature cube.
        type_index: panel type position.
        regions: boolean mask of the regions to pool.
        end: last month index (inclusive) of the window.
    """
    y = fc.counts[regions, type_index, : end + 1].sum(axis=-1)
    n = fc.covered[regions, : end + 1].sum(axis=-1).astype(float)
    ok = n > 0
    if ok.sum() == 0 or y[ok].sum() <= 0:
        return 0.5, 1.0e3
    rate = y[ok] / n[ok]
    mean = float(y[ok].sum() / n[ok].sum())
    # Between-region variance of rates net of the Poisson noise.
    var = float(np.average((rate - mean) ** 2, weights=n[ok]) - mean / np.mean(n[ok]))
    var = max(var, 1e-3 * mean * mean + 1e-12)
    shape = float(np.clip(mean * mean / var, 1e-2, 1e3))
    return shape, shape / mean


RECENT_MONTHS: Final = 12
"""Months of the recent level (:func:`recent_level`); the most its prior weighs (:func:`recent_prior`)."""


class LevelPrior(NamedTuple):
    """A type's gamma priors ``(shape, rate)`` of regional monthly rates, learned on a training window.

    Attributes:
        long_run: :func:`gamma_prior`, shrinking the expanding level (:func:`shrunken_level`).
        recent: :func:`recent_prior`, shrinking the recent level (:func:`recent_level`), the count
            model's offset.
    """

    long_run: tuple[float, float]
    recent: tuple[float, float]


def as_level_prior(prior: LevelPrior | tuple[float, float]) -> LevelPrior:
    """``prior`` as a :class:`LevelPrior`.

    A bare ``(shape, rate)`` (what models fitted before the recent prior existed hold) serves both
    levels, so such a model forecasts as it did when it was fitted.
    """
    if isinstance(prior, LevelPrior):
        return prior
    shape, rate = float(prior[0]), float(prior[1])
    return LevelPrior((shape, rate), (shape, rate))


def recent_prior(fc: FeatureCube, type_index: int, regions: np.ndarray, end: int,
                 months: float | None = RECENT_MONTHS) -> tuple[float, float]:
    """The prior of the recent level: :func:`gamma_prior` weighing at most ``months`` (``None``: as it is).

    A gamma prior's ``rate`` is its weight in months of data. Where the regions' long-run rates
    barely differ (a rare type spread thinly, or one with no events yet) the moment estimate is
    worth hundreds of months (ACLED kidnapping at 2013-03: 134; indirect fire: millions), and a
    region whose rate rises (abductions or shelling starting after an occupation) keeps a recent
    level near the pooled rate whatever its last 12 months say. Capped at ``months``, the prior
    never outweighs the window it shrinks; its mean (``shape / rate``) is kept.
    """
    shape, rate = gamma_prior(fc, type_index, regions, end)
    if months is not None and rate > months:
        shape, rate = shape * months / rate, float(months)
    return shape, rate


def level_prior(fc: FeatureCube, type_index: int, regions: np.ndarray, end: int,
                recent_months: float | None = RECENT_MONTHS) -> LevelPrior:
    """Both priors of a type, learned on the training window ending at month index ``end``.

    ``recent_months`` is the most the recent prior weighs (:func:`recent_prior`).
    """
    return LevelPrior(gamma_prior(fc, type_index, regions, end),
                      recent_prior(fc, type_index, regions, end, recent_months))


def standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardised design columns, their means and standard deviations (1 where constant)."""
    center = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    return (x - center) / scale, center, scale


def design_rows(fc: FeatureCube, type_index: int, r: np.ndarray, m: np.ndarray, horizon: int,
                prior: LevelPrior | tuple[float, float]) -> np.ndarray:
    """Model design for rows ``(r[i], m[i])`` of one panel type, forecasting ``horizon`` months on.

    Columns follow :func:`design_names`: log1p of count-like features, the occupation phase,
    ``log1p`` months since the occupation ended, the *target* month's seasonality, ``log1p`` region
    age and the logs of the :func:`shrunken_level` and :func:`recent_level`. All values are known
    at month ``m``.
    """
    levels = as_level_prior(prior)
    all_k = len(PANEL_TYPES) - 1
    cols = [_transform(n, fc.type_features[n][r, type_index, m]) for n in TYPE_FEATURES]
    if type_index != all_k:
        cols += [_transform(n, fc.type_features[n][r, all_k, m]) for n in ALL_TYPE_FEATURES]
    rf = fc.region_features
    target = (np.asarray(fc.months.month, dtype=float)[m] - 1.0 + horizon) * (2.0 * np.pi / 12.0)
    cols += [rf["phase_during"][r, m], rf["phase_after"][r, m], rf["post_window"][r, m],
             np.log1p(rf["since_end"][r, m]), np.sin(target), np.cos(target),
             np.log1p(np.minimum(rf["age"][r, m], 240.0)),
             np.log(shrunken_level(fc, type_index, r, m, levels.long_run)),
             np.log(recent_level(fc, type_index, r, m, levels.recent))]
    return np.column_stack(cols) if len(r) else np.zeros((0, len(design_names(type_index))))


def training_rows(fc: FeatureCube, known: np.ndarray, horizon: int, window: int | None,
                  max_rows: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training rows ``(r, t)``: covered at ``t``, known region, ``t + horizon`` within the panel.

    Only origins among the last ``window`` feasible months are kept (all when ``None``); above
    ``max_rows`` a seeded uniform subsample is taken (sorted, so deterministic).
    """
    n_m = len(fc.months)
    last_origin = n_m - 1 - horizon
    if last_origin < 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    first = 0 if window is None else max(0, last_origin - window + 1)
    ok = fc.covered[:, first: last_origin + 1] & known[:, None]
    r, m = np.nonzero(ok)
    m = m + first
    if max_rows is not None and len(r) > max_rows:
        rng = np.random.default_rng(seed)
        pick = np.sort(rng.choice(len(r), size=max_rows, replace=False))
        r, m = r[pick], m[pick]
    return r, m


def recent_level(fc: FeatureCube, type_index: int, r: np.ndarray, m: np.ndarray,
                 prior: tuple[float, float], months: int = 12) -> np.ndarray:
    """Empirical-Bayes level of the last ``months`` covered months ending at ``m``.

    ``(sum of the last months' counts + a) / (covered months among them + b)`` with a gamma prior
    ``(a, b)`` (:func:`recent_prior` in the models): the recent mean, pulled toward the pooled rate
    when the region is young or quiet. Used as the count model's offset.
    """
    a, b = prior
    csum = np.cumsum(fc.counts[:, type_index, :], axis=-1)
    n_cov = np.cumsum(fc.covered, axis=-1).astype(float)
    start = m - months
    ok = start >= 0
    prev_sum = np.where(ok, csum[r, np.maximum(start, 0)], 0.0)
    prev_cov = np.where(ok, n_cov[r, np.maximum(start, 0)], 0.0)
    return (csum[r, m] - prev_sum + a) / (n_cov[r, m] - prev_cov + b)
