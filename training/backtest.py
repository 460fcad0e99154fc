"""Rolling-origin backtest, expanding window: fit on data up to each origin, score what followed.

For every origin month ``o`` the panel is truncated at ``o`` (nothing later is visible), every model
family is fitted on that state and forecasts horizons ``1..H``; each forecast row is scored against
the count the FULL panel holds for ``o + h`` (only where ``o + h <= panel.cutoff``). Only regions
known at the origin (at least one event up to ``o``) are scored: a region first seen later exists in
the truncated state only because of that later event.

Origins are independent, so they fan out through a :class:`~training.executors.Executor`. The
result keeps every scored row (``predictions``), the scores by slice (``scores``) and a headline.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import numpy as np
import pandas as pd

from models.coverage import observed_mask
from models.distributions import CountPredictive
from models.episodes import occupation_status
from models.estimators.base import Forecaster, forecast_index
from models.estimators.baselines import BASELINES
from models.panel import Panel
from models.scores import (
    METRICS,
    best_baseline,
    block_bootstrap_skill,
    pit_inside,
    predictive_cdf,
    score_rows,
    skill,
)
from models.taxonomy import ALL
from training.executors import Executor, SerialExecutor

POST_WINDOW_MONTHS = 24
"""A region is in its post-occupation window for 24 months after an episode ended."""

MIN_HISTORY = 24
"""Months of data an origin needs before it (the origin month included)."""

CLASSIFIER = "classifier"
"""Model name of the classifier's probability-only rows in the predictions."""

SLICE_COLUMNS = ("horizon", "country", "post_occupation")
"""Slice columns of the scores besides ``attack_type``; ``"all"`` means pooled over that column."""

PREDICTION_COLUMNS = ("model", "region_id", "country", "attack_type", "origin", "target_month",
                      "horizon", "y", "mean", "var", "q10", "q50", "q90", "p_any", "crps", "twcrps", "pit80",
                      "pit_lo", "pit_hi")

TW_THRESHOLD = 3
"""Threshold of the threshold-weighted CRPS (``twcrps``): the CRPS sum over counts >= 3."""

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")

HEADLINE_METRICS = ("crps", "twcrps", "brier", "auroc", "coverage80", "pit_coverage80", "mae", "log_loss",
                    "ece")


class Classifier(Protocol):
    """A probability model of ``count >= 1`` (e.g. :class:`models.estimators.classify.EventClassifier`)."""

    def fit(self, panel: Panel) -> Classifier:
        """Learn from the training window."""
        ...

    def predict_proba(self, state: Panel, horizon: int) -> np.ndarray:
        """P(count >= 1) of every :func:`~models.estimators.base.forecast_index` row."""
        ...


@dataclass
class BacktestResult:
    """What a backtest measured.

    Attributes:
        predictions: one row per model x scored forecast row (:data:`PREDICTION_COLUMNS` plus
            ``post_occupation``).
        scores: long frame ``model``, ``attack_type``, ``horizon``, ``country``, ``post_occupation``,
            ``metric``, ``value``, ``skill`` (against the best baseline of the same slice).
        headline: per model, the ``all``-type region-level figures and skills.
        timings: seconds: ``total``, and per model ``fit``/``predict`` summed over origins.
        origins: the origins, ``YYYY-MM``.
        horizon: the longest horizon.
        baselines: names of the baseline models among the models.
        executor: description of what ran the origins.
        warmup_origins: origins forecast only as the selection's track record (not scored).
        unobserved_rows: forecast rows left out of the predictions and the scores because no source
            of the region can observe their attack type (their zeros are no data).
    """

    predictions: pd.DataFrame
    scores: pd.DataFrame
    headline: dict[str, dict[str, float]]
    timings: dict[str, Any]
    origins: list[str]
    horizon: int
    baselines: list[str]
    executor: dict[str, Any] = field(default_factory=dict)
    warmup_origins: list[str] = field(default_factory=list)
    unobserved_rows: int = 0

    @property
    def models(self) -> list[str]:
        """Model names in the predictions, in order of appearance."""
        return list(dict.fromkeys(self.predictions["model"]))


def parse_month(text: str) -> pd.Period:
    """Parse a ``YYYY-MM`` month strictly (``"June"`` or ``"2018"`` are refused).

    Raises:
        ValueError: when ``text`` is not a valid ``YYYY-MM`` month.
    """
    value = text.strip()
    if not _MONTH.fullmatch(value):
        raise ValueError(f"{text!r} is not a YYYY-MM month")
    try:
        return pd.Period(value, freq="M")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{text!r} is not a YYYY-MM month") from exc


def parse_origins(text: str, panel: Panel, min_history: int = MIN_HISTORY) -> list[pd.Period]:
    """Parse ``"2016-01:2018-06"`` (inclusive range) or ``"2016-01,2017-01"`` into origin months.

    Raises:
        ValueError: on an unparseable month, an empty or reversed range, an origin at or after the
            panel's cutoff (nothing to score), or one with fewer than ``min_history`` months of data.
    """
    text = text.strip()
    try:
        if ":" in text:
            first, last = (parse_month(p) for p in text.split(":", 1))
            if last < first:
                raise ValueError(f"origin range {text!r} ends before it starts")
            origins = list(pd.period_range(first, last, freq="M"))
        else:
            origins = sorted({parse_month(p) for p in text.split(",") if p.strip()})
    except (ValueError, TypeError) as exc:
        raise ValueError(f"bad origins {text!r}: use YYYY-MM:YYYY-MM or YYYY-MM,YYYY-MM ({exc})") from exc
    if not origins:
        raise ValueError("no origins given")
    check_origins(origins, panel, min_history)
    return origins


def check_origins(origins: Sequence[pd.Period], panel: Panel, min_history: int = MIN_HISTORY) -> None:
    """Raise ``ValueError`` unless every origin leaves something to score and has enough history."""
    earliest = panel.months[0] + (min_history - 1)
    for origin in origins:
        if origin >= panel.cutoff:
            raise ValueError(f"origin {origin} is not before the data cutoff {panel.cutoff}: "
                             "nothing would be left to score")
        if origin < earliest:
            raise ValueError(f"origin {origin} has fewer than {min_history} months of data "
                             f"(the data start in {panel.months[0]}); the earliest origin is {earliest}")


def _truth(panel: Panel, origin: pd.Period, horizon: int) -> pd.Series:
    counts = panel.counts
    counts = counts[(counts["month"] > origin) & (counts["month"] <= origin + horizon)]
    return pd.Series(counts["count"].to_numpy(dtype=float),
                     index=pd.MultiIndex.from_arrays([counts["region_id"], counts["attack_type"],
                                                      counts["month"].astype(str)]))


def _scored_rows(index: pd.DataFrame, state: Panel, cutoff: pd.Period) -> np.ndarray:
    """Positions of forecast rows to score: known regions, targets within the data."""
    known = state.regions.index[state.regions["last_event_month"].notna()]
    last = str(cutoff)
    keep = index["region_id"].isin(known).to_numpy() & (index["target_month"] <= last).to_numpy()
    return np.flatnonzero(keep)


def _observed(rows: pd.DataFrame, truth: pd.Series) -> np.ndarray:
    keys = pd.MultiIndex.from_arrays([rows["region_id"], rows["attack_type"], rows["target_month"]])
    return truth.reindex(keys).fillna(0.0).to_numpy()


def distribution_columns(dist: CountPredictive, y: np.ndarray) -> dict[str, np.ndarray]:
    """The scored columns of :data:`PREDICTION_COLUMNS` that a row's predictive distribution gives.

    ``pit_lo`` and ``pit_hi`` are ``F(y - 1)`` and ``F(y)``: the randomized PIT of the row is
    uniform between them (the PIT histogram is built from these).
    """
    if len(dist) == 0:
        empty = np.zeros(0)
        return {c: empty for c in ("mean", "var", "q10", "q50", "q90", "p_any", "crps", "twcrps", "pit80",
                                   "pit_lo", "pit_hi")}
    qs = dist.quantiles([0.1, 0.5, 0.9])
    twcrps = getattr(dist, "twcrps", None)
    return {"mean": dist.mean(), "var": dist.variance(), "q10": qs[:, 0], "q50": qs[:, 1], "q90": qs[:, 2],
            "p_any": dist.p_any(), "crps": dist.crps(y),
            "twcrps": twcrps(y, TW_THRESHOLD) if twcrps is not None else np.full(len(y), np.nan),
            "pit80": pit_inside(dist, y), "pit_lo": predictive_cdf(dist, y - 1),
            "pit_hi": predictive_cdf(dist, y)}


def run_origin(origin: pd.Period, *, panel: Panel, models: Mapping[str, Callable[[], Forecaster]],
               horizon: int, classifier_factory: Callable[[], Classifier] | None = None
               ) -> tuple[pd.DataFrame, dict[str, float]]:
    """Fit every model at ``origin`` and score its forecasts (one task of the backtest).

    Returns:
        The scored rows of every model (:data:`PREDICTION_COLUMNS`) and ``{"<model>/fit": s,
        "<model>/predict": s}`` timings.
    """
    state = panel.truncate(origin)
    truth = _truth(panel, origin, horizon)
    countries = state.regions["country"]
    frames: list[pd.DataFrame] = []
    timings: dict[str, float] = {}
    keys: pd.DataFrame | None = None
    for name, factory in models.items():
        t0 = time.perf_counter()
        model = factory().fit(state)
        t1 = time.perf_counter()
        index, dist = model.predict_dist(state, horizon)
        pos = _scored_rows(index, state, panel.cutoff)
        rows = index.iloc[pos].reset_index(drop=True)
        sub = dist.take(pos)
        y = _observed(rows, truth)
        frame = rows.assign(model=name, y=y, **distribution_columns(sub, y))
        timings[f"{name}/fit"] = t1 - t0
        timings[f"{name}/predict"] = time.perf_counter() - t1
        frames.append(frame)
        keys = index
    if classifier_factory is not None:
        t0 = time.perf_counter()
        clf = classifier_factory().fit(state)
        t1 = time.perf_counter()
        index = keys if keys is not None else forecast_index(state, horizon)
        prob = np.asarray(clf.predict_proba(state, horizon), dtype=float)
        if prob.shape != (len(index),):
            raise ValueError(f"classifier returned {prob.shape} probabilities for {len(index)} rows")
        pos = _scored_rows(index, state, panel.cutoff)
        rows = index.iloc[pos].reset_index(drop=True)
        nan = np.full(len(rows), np.nan)
        frames.append(rows.assign(model=CLASSIFIER, y=_observed(rows, truth), mean=nan, var=nan, q10=nan,
                                  q50=nan, q90=nan, p_any=np.clip(prob[pos], 0.0, 1.0), crps=nan, twcrps=nan,
                                  pit80=nan, pit_lo=nan, pit_hi=nan))
        timings[f"{CLASSIFIER}/fit"] = t1 - t0
        timings[f"{CLASSIFIER}/predict"] = time.perf_counter() - t1
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PREDICTION_COLUMNS)
    out["country"] = countries.reindex(out["region_id"]).to_numpy()
    return out[list(PREDICTION_COLUMNS)], timings


def post_occupation_flags(predictions: pd.DataFrame, catalog: pd.DataFrame) -> np.ndarray:
    """Whether each row's region was, at the origin, within 24 months after an occupation ended."""
    if predictions.empty:
        return np.zeros(0, dtype=bool)
    regions = pd.Index(predictions["region_id"].unique())
    origins = pd.PeriodIndex(sorted(predictions["origin"].unique()), freq="M")
    status = occupation_status(regions.to_numpy(), origins, catalog)
    status["flag"] = (status["phase"] == "after") & (status["months_since_end"] <= POST_WINDOW_MONTHS)
    lookup = pd.Series(status["flag"].to_numpy(),
                       index=pd.MultiIndex.from_arrays([status["region_id"], status["month"].astype(str)]))
    keys = pd.MultiIndex.from_arrays([predictions["region_id"], predictions["origin"]])
    return lookup.reindex(keys).fillna(False).to_numpy(dtype=bool)


_VALUE_COLUMNS = ("y", "mean", "q10", "q90", "crps", "twcrps", "p_any", "pit80")


def _slices(group: pd.DataFrame) -> Iterable[tuple[dict[str, str], dict[str, np.ndarray]]]:
    """Everything pooled, then each value of one slice column at a time (as numpy arrays)."""
    values = {c: group[c].to_numpy(dtype=float) for c in _VALUE_COLUMNS}
    pooled = {c: "all" for c in SLICE_COLUMNS}
    yield pooled, values
    for column in SLICE_COLUMNS:
        labels = group[column].to_numpy(dtype=object)
        for value in sorted(set(labels), key=lambda v: (len(str(v)), str(v))):
            mask = labels == value
            yield {**pooled, column: str(value)}, {c: v[mask] for c, v in values.items()}


def score_predictions(predictions: pd.DataFrame, baselines: Sequence[str]) -> pd.DataFrame:
    """Scores of every model x attack type x slice, with skill against the best baseline.

    Slices: everything pooled, then one of ``horizon``, ``country``, ``post_occupation`` at a time.
    """
    records: list[dict[str, Any]] = []
    frame = predictions.assign(
        horizon=predictions["horizon"].astype(str).astype(object),
        country=predictions["country"].astype(object),
        post_occupation=np.where(predictions["post_occupation"].to_numpy(dtype=bool), "yes", "no"))
    for (model, attack_type), group in frame.groupby(["model", "attack_type"], sort=False):
        for key, sub in _slices(group):
            values = score_rows(sub)
            for metric in (*METRICS, "n", "base_rate"):
                records.append({"model": model, "attack_type": attack_type, **key,
                                "metric": metric, "value": values[metric]})
    scores = pd.DataFrame.from_records(records, columns=["model", "attack_type", *SLICE_COLUMNS,
                                                         "metric", "value"])
    slice_key = ["attack_type", *SLICE_COLUMNS, "metric"]
    base = scores[scores["model"].isin(list(baselines))]
    base_values = {k: dict(zip(g["model"], g["value"], strict=True))
                   for k, g in base.groupby(slice_key, sort=False)}
    scores["skill"] = [skill(m, v, base_values.get(tuple(k), {}))
                       for m, v, k in zip(scores["metric"], scores["value"],
                                          scores[slice_key].itertuples(index=False, name=None), strict=True)]
    return scores


def headline(scores: pd.DataFrame, baselines: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per model, the ``all``-attacks region-level figures over every origin and horizon, and skills.

    Also names the best baseline of each metric under the key ``"best_baseline"``.
    """
    pooled = scores[(scores["attack_type"] == ALL)]
    for column in SLICE_COLUMNS:
        pooled = pooled[pooled[column] == "all"]
    out: dict[str, dict[str, float]] = {}
    for model, group in pooled.groupby("model", sort=False):
        values = dict(zip(group["metric"], group["value"], strict=True))
        skills = dict(zip(group["metric"], group["skill"], strict=True))
        entry = {m: float(values[m]) for m in HEADLINE_METRICS if m in values}
        for m in ("crps", "twcrps", "brier", "auroc", "mae", "log_loss"):
            entry[f"{m}_skill"] = float(skills.get(m, np.nan))
        entry["n"] = float(values.get("n", np.nan))
        out[str(model)] = entry
    base = pooled[pooled["model"].isin(list(baselines))]
    best: dict[str, Any] = {}
    for metric, group in base.groupby("metric"):
        name = best_baseline(str(metric), dict(zip(group["model"], group["value"], strict=True)))
        if name is not None:
            best[str(metric)] = name
    out["best_baseline"] = best  # type: ignore[assignment]
    return out


SKILL_METRICS = ("crps", "twcrps", "brier")
"""Metrics given with block-bootstrap intervals by :func:`skill_table`."""

_KEYS = ["region_id", "attack_type", "origin", "horizon"]


def row_scores(rows: pd.DataFrame, metric: str) -> np.ndarray:
    """Per-row score of ``metric``: the Brier score from ``p_any`` and ``y``, else the row's column."""
    if metric == "brier":
        event = (rows["y"].to_numpy(dtype=float) >= 1).astype(float)
        return np.asarray((rows["p_any"].to_numpy(dtype=float) - event) ** 2)
    return rows[metric].to_numpy(dtype=float)


def skill_table(predictions: pd.DataFrame, model: str, baselines: Sequence[str],
                attack_types: Sequence[str] = (ALL,), metrics: Sequence[str] = SKILL_METRICS,
                n_boot: int = 1000, level: float = 0.9,
                seed: int = 0) -> dict[str, dict[str, dict[str, Any]]]:
    """Skill of ``model`` against the best baseline per attack type and metric, with intervals.

    The best baseline is the one with the lowest mean score on the same rows; the interval is a
    block bootstrap over origins and regions (:func:`models.scores.block_bootstrap_skill`).

    Returns:
        attack type -> metric -> ``{"skill", "lower", "upper", "baseline", "score", "baseline_score",
        "n", "level"}`` (types or metrics without rows are left out).
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    mine = predictions[predictions["model"] == model]
    for attack_type in attack_types:
        rows = mine[mine["attack_type"] == attack_type]
        if rows.empty:
            continue
        keys = pd.MultiIndex.from_frame(rows[_KEYS].astype(str))
        entry: dict[str, dict[str, Any]] = {}
        for metric in metrics:
            values = row_scores(rows, metric)
            if not np.isfinite(values).all():
                continue
            best: tuple[str, np.ndarray] | None = None
            for name in baselines:
                base = predictions[(predictions["model"] == name)
                                   & (predictions["attack_type"] == attack_type)]
                if base.empty:
                    continue
                aligned = base.set_index(pd.MultiIndex.from_frame(base[_KEYS].astype(str)))
                found = pd.Series(row_scores(base, metric), index=aligned.index).reindex(keys)
                b = found.to_numpy(dtype=float)
                if not np.isfinite(b).all():
                    continue
                if best is None or b.mean() < best[1].mean():
                    best = (name, b)
            if best is None:
                continue
            est, lo, hi = block_bootstrap_skill(values, best[1], rows["origin"].to_numpy(),
                                                rows["region_id"].to_numpy(), n_boot=n_boot, level=level,
                                                seed=seed)
            entry[metric] = {"skill": est, "lower": lo, "upper": hi, "baseline": best[0],
                             "score": float(values.mean()), "baseline_score": float(best[1].mean()),
                             "n": len(rows), "level": level}
        out[attack_type] = entry
    return out


def run_backtest(panel: Panel, catalog: pd.DataFrame, models: Mapping[str, Callable[[], Forecaster]],
                 origins: Sequence[pd.Period | str], horizon: int, executor: Executor | None = None,
                 classifier_factory: Callable[[], Classifier] | None = None,
                 baselines: Sequence[str] | None = None,
                 combine: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
                 warmup: int = 0, observed: Mapping[str, Sequence[str]] | None = None
                 ) -> BacktestResult:
    """Run the rolling-origin backtest of ``models`` over ``origins``.

    Args:
        panel: the full panel (targets are scored against it).
        catalog: the episode catalog (for the post-occupation slice).
        models: name -> zero-argument factory of an unfitted forecaster (a class or a
            :func:`functools.partial`; it must pickle for the ``local`` and ``dask`` executors).
        origins: origin months (each must be before ``panel.cutoff``).
        horizon: forecast horizons ``1..horizon``.
        executor: what runs the origins (serial in this process by default).
        classifier_factory: optional factory of a P(count >= 1) classifier, scored as ``classifier``.
        baselines: which models are baselines for skill (default: those named as in
            :data:`models.estimators.baselines.BASELINES`).
        combine: optional function adding rows of derived models (e.g. the walk-forward selected
            model, see :func:`training.selection.walk_forward`) to the predictions before scoring.
        warmup: extra origins before the first one (as many as the data allow) that are forecast
            only as evidence for ``combine``: a walk-forward selection then starts the scored period
            with the track record a deployed service would have, instead of a blind default. Their
            rows are dropped before scoring; every model is scored on the same origins.
        observed: region -> the attack types its sources can observe (:mod:`models.coverage`);
            rows of other types in that region are dropped after ``combine`` (which still sees
            them) and before scoring, so no score counts a zero that is no data. ``None`` keeps all.

    Raises:
        ValueError: on no models, a bad horizon or an origin with nothing to score.
    """
    if not models:
        raise ValueError("no models to backtest")
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    periods = sorted({pd.Period(o, freq="M") for o in origins})
    if not periods:
        raise ValueError("no origins given")
    check_origins(periods, panel, min_history=1)
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0, got {warmup}")
    earliest = panel.months[0] + 23
    extra = [periods[0] - i for i in range(warmup, 0, -1) if periods[0] - i >= earliest]
    base = list(baselines) if baselines is not None else [m for m in models if m in BASELINES]
    runner = executor or SerialExecutor()
    task = partial(run_origin, panel=panel, models=dict(models), horizon=horizon,
                   classifier_factory=classifier_factory)
    t0 = time.perf_counter()
    results = runner.map(task, extra + periods)
    t_run = time.perf_counter() - t0
    predictions = pd.concat([r[0] for r in results], ignore_index=True)
    predictions["post_occupation"] = post_occupation_flags(predictions, catalog)
    t_combine = time.perf_counter()
    if combine is not None:
        derived = combine(predictions)
        predictions = pd.concat([predictions, derived], ignore_index=True)
    if extra:
        warm = predictions["origin"].astype(str).isin([str(p) for p in extra])
        predictions = predictions[~warm].reset_index(drop=True)
    seen = observed_mask(predictions, observed)
    unobserved = int((~seen).sum())
    if unobserved:
        predictions = predictions[seen].reset_index(drop=True)
    t1 = time.perf_counter()
    scores = score_predictions(predictions, base)
    timings: dict[str, Any] = {"origins": t_run, "combine": t1 - t_combine,
                               "scoring": time.perf_counter() - t1}
    for _, per_origin in results:
        for key, seconds in per_origin.items():
            timings[key] = timings.get(key, 0.0) + seconds
    timings["total"] = time.perf_counter() - t0
    return BacktestResult(predictions=predictions, scores=scores, headline=headline(scores, base),
                          timings=timings, origins=[str(p) for p in periods], horizon=horizon,
                          baselines=base, executor=runner.describe(),
                          warmup_origins=[str(p) for p in extra], unobserved_rows=unobserved)
