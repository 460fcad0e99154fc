"""The forecast bundle: everything the service needs to answer forecasts, and nothing else.

It holds the fitted served forecaster, the optional tactic-mix and target-mix models, the latest
panel state, the episode catalog and provenance. It is what training registers (wrapped as one
MLflow pyfunc model by :mod:`models.pyfunc`) and what the service loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from models.distributions import aggregate_counts
from models.episodes import occupation_status
from models.estimators.base import Forecaster
from models.forecast import DEFAULT_QUANTILES, quantile_column, risk_tier
from models.panel import Panel
from models.taxonomy import ALL

PROVENANCE_KEYS = (
    "model_name", "model_version", "run_id", "data_cutoff", "trained_at", "data_fingerprint",
    "taxonomy_version", "catalog_version", "served_model", "backtest",
)
"""Provenance entries a bundle should carry (``model_version``/``run_id`` are filled at registration)."""


class MixModel(Protocol):
    """A tactic-mix model: expected share of each attack type among a region's next events."""

    def predict_mix(self, state: Panel, horizon: int) -> pd.DataFrame:
        """Long frame ``region_id``, ``horizon``, ``attack_type``, ``share`` (shares sum to 1)."""
        ...


class TargetMixModel(Protocol):
    """A target-mix model: expected share of each target class among a region's next events."""

    def predict_mix(self, state: Panel, horizon: int) -> pd.DataFrame:
        """Long frame ``region_id``, ``horizon``, ``target_class``, ``share`` (shares sum to 1)."""
        ...


TARGET_MIX_COLUMNS = ("region_id", "horizon", "target_class", "share")


@dataclass
class ForecastBundle:
    """Fitted models plus the state they forecast from."""

    forecaster: Forecaster
    state: Panel
    catalog: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    horizon: int = 6
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    mix_model: MixModel | None = None
    track_record: pd.DataFrame | None = None
    """The served model's backtest forecasts beside the observed counts (see ``training.report``)."""
    target_model: TargetMixModel | None = None
    """The fitted target-mix model (:class:`models.estimators.target_mix.TargetMix`), if any."""
    coverage: dict[str, list[str]] | None = None
    """Region -> the attack types its sources can observe (:mod:`models.coverage`); ``None``: all."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        # bundles pickled before these fields existed have none
        state.setdefault("track_record", None)
        state.setdefault("target_model", None)
        state.setdefault("coverage", None)
        self.__dict__.update(state)

    @property
    def cutoff(self) -> str:
        """The data cutoff (last month of data) as ``YYYY-MM``."""
        return str(self.state.cutoff)

    def forecast(self, state: Panel | None = None, horizon: int | None = None,
                 quantiles: Sequence[float] | None = None) -> pd.DataFrame:
        """The forecast frame from ``state`` (the bundle's own by default) for every region."""
        frame = self.forecaster.predict(state or self.state, horizon or self.horizon,
                                        tuple(quantiles or self.quantiles))
        frame["model"] = self.provenance.get("model_name", "threatcast")
        frame["model_version"] = str(self.provenance.get("model_version", ""))
        frame["data_cutoff"] = str((state or self.state).cutoff)
        return frame

    def tactic_mix(self, state: Panel | None = None, horizon: int | None = None) -> pd.DataFrame:
        """Expected attack-type shares per region and horizon (empty frame without a mix model)."""
        if self.mix_model is None:
            return pd.DataFrame(columns=["region_id", "horizon", "attack_type", "share"])
        return self.mix_model.predict_mix(state or self.state, horizon or self.horizon)

    def target_mix(self, state: Panel | None = None, horizon: int | None = None) -> pd.DataFrame:
        """Expected target-class shares per region and horizon.

        Empty without a target-mix model or when ``state`` carries no target-class counts.
        """
        st = state or self.state
        if self.target_model is None or getattr(st, "targets", None) is None:
            return pd.DataFrame({c: [] for c in TARGET_MIX_COLUMNS})
        return self.target_model.predict_mix(st, horizon or self.horizon)

    def drivers(self, state: Panel | None = None, horizon: int | None = None) -> pd.DataFrame:
        """The model's own terms behind each forecast row (empty when the forecaster has none).

        Columns ``region_id``, ``attack_type``, ``horizon``, ``driver``, ``effect`` (log units).
        """
        explain = getattr(self.forecaster, "explain", None)
        if explain is None:
            return pd.DataFrame(columns=["region_id", "attack_type", "horizon", "driver", "effect"])
        return explain(state or self.state, horizon or self.horizon)

    def country_totals(self, state: Panel | None = None, horizon: int | None = None,
                       quantiles: Sequence[float] | None = None) -> pd.DataFrame:
        """Forecasts of each country's total per attack type and horizon, from the region distributions.

        The country total is the sum of its regions' counts, taken as independent: its distribution
        is the exact convolution of the region distributions
        (:func:`models.distributions.aggregate_counts`), so its mean is the sum of the region means
        and its ``p_any`` is ``1 - prod(1 - p_any)`` of the regions.

        Returns:
            ``country``, ``attack_type``, ``horizon``, ``target_month``, ``regions``, ``mean``, one
            ``qNN`` column per level, ``p_any``, ``risk_tier``.
        """
        st = state or self.state
        h = horizon or self.horizon
        levels = tuple(sorted(quantiles or self.quantiles))
        index, dist = self.forecaster.predict_dist(st, h)
        country = st.regions["country"].reindex(index["region_id"]).to_numpy(dtype=object)
        keys = pd.MultiIndex.from_arrays([country, index["attack_type"].to_numpy(dtype=object),
                                          index["horizon"].to_numpy(dtype="int64")])
        codes, uniques = pd.factorize(keys)
        labels, mean, qs, p_any = aggregate_counts(dist, codes, levels)
        first = pd.Series(np.arange(len(index))).groupby(codes).first()
        regions = pd.Series(np.ones(len(index), dtype="int64")).groupby(codes).sum()
        out = pd.DataFrame({
            "country": [uniques[i][0] for i in labels], "attack_type": [uniques[i][1] for i in labels],
            "horizon": np.asarray([uniques[i][2] for i in labels], dtype="int64"),
            "target_month": index["target_month"].to_numpy()[first.reindex(labels).to_numpy()],
            "regions": regions.reindex(labels).to_numpy(dtype="int64"), "mean": mean})
        for j, level in enumerate(levels):
            out[quantile_column(level)] = qs[:, j]
        out["p_any"] = p_any
        out["risk_tier"] = risk_tier(p_any)
        return out

    def regions(self) -> pd.DataFrame:
        """Every region with country, admin1, location, last event month and occupation status now."""
        table = self.state.regions.reset_index()
        status = occupation_status(table["region_id"].to_numpy(),
                                   pd.period_range(self.state.cutoff, self.state.cutoff, freq="M"),
                                   self.catalog)
        table["occupation_phase"] = status["phase"].to_numpy()
        table["months_since_end"] = status["months_since_end"].to_numpy()
        table["episode_id"] = status["episode_id"].to_numpy()
        return table

    def history(self, months: int = 36) -> pd.DataFrame:
        """The last ``months`` months of counts of every region and panel type."""
        start = self.state.cutoff - (months - 1)
        counts = self.state.counts
        return counts[counts["month"] >= start].reset_index(drop=True)

    def recent_mean(self, months: int = 12) -> pd.DataFrame:
        """Mean monthly count of every region and panel type over the last ``months`` months."""
        recent = self.history(months)
        out = recent.groupby(["region_id", "attack_type"], sort=False)["count"].mean().rename("recent_mean")
        return out.reset_index()


def headline(frame: pd.DataFrame) -> dict[str, float]:
    """A few summary numbers of a forecast frame (for logs and provenance)."""
    rows = frame[(frame["attack_type"] == ALL) & (frame["horizon"] == 1)]
    return {
        "regions": float(rows["region_id"].nunique()),
        "expected_attacks_next_month": float(np.round(rows["mean"].sum(), 3)),
        "regions_p_any_ge_0_5": float((rows["p_any"] >= 0.5).sum()),
    }
