"""The served model: a bundle's forecasts precomputed into immutable, pre-serialised lookups.

Built once per load (off the event loop); afterwards a region forecast is a dictionary lookup plus
a byte join, a ranking is a slice of a presorted list and a history is a slice of a count cube.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from models.bundle import ForecastBundle
from models.coverage import is_observed
from models.cube import ALL_INDEX
from models.estimators.mix import observed_only
from models.forecast import quantile_column
from models.panel import Panel
from models.post_occupation import post_occupation
from models.taxonomy import ALL, ATTACK_TYPES, PANEL_TYPES
from service.loader import LoadedModel

SERVED_QUANTILES = (0.1, 0.5, 0.9)
RECENT_MONTHS = 12


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def dumps(value: Any) -> bytes:
    """Compact JSON bytes (NaN is refused: every served number must be finite)."""
    return _ENCODER.encode(value).encode()


def _num(x: float) -> float:
    return round(float(x), 4)


def missing(x: Any) -> bool:
    """Whether a scalar is missing (None, NaN, NaT)."""
    return x is None or bool(pd.isna(x))


def _opt_float(x: Any) -> float | None:
    return None if missing(x) else round(float(x), 5)


@dataclass(frozen=True)
class RegionRows:
    """Pre-serialised forecast pieces of one region."""

    region: bytes
    rows: Mapping[tuple[str, int], bytes]
    mix: Mapping[int, tuple[bytes, ...]]
    mix_source: str
    full: bytes
    post_occupation: bytes = b"null"
    """The applied post-occupation effect (:mod:`models.post_occupation`) as JSON, ``null`` when none."""
    targets: Mapping[int, tuple[bytes, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """The target mix by horizon (empty when the bundle has no target-mix model)."""

    def item(self, attack_type: str | None = None, horizon: int | None = None) -> bytes:
        """The region's forecast item JSON, optionally restricted to one type and horizons 1..``horizon``."""
        if attack_type is None and horizon is None:
            return self.full
        rows = (raw for (t, h), raw in self.rows.items()
                if (attack_type is None or t == attack_type) and (horizon is None or h <= horizon))
        return _item(self.region, rows, _up_to(self.mix, horizon), self.mix_source,
                     _up_to(self.targets, horizon), self.post_occupation)

    def row_count(self, attack_type: str | None, horizon: int | None, max_horizon: int) -> int:
        """Number of forecast rows :meth:`item` returns for these filters."""
        types = 1 if attack_type else len(PANEL_TYPES)
        return types * (horizon or max_horizon)


def _up_to(by_horizon: Mapping[int, tuple[bytes, ...]], horizon: int | None) -> Iterable[bytes]:
    return (raw for h, group in by_horizon.items() if horizon is None or h <= horizon for raw in group)


def _item(region: bytes, rows: Iterable[bytes], mix: Iterable[bytes], source: str, targets: Iterable[bytes],
          post: bytes) -> bytes:
    return (b'{"region":' + region + b',"forecasts":[' + b",".join(rows) + b'],"tactic_mix":['
            + b",".join(mix) + b'],"tactic_mix_source":' + dumps(source) + b',"target_mix":['
            + b",".join(targets) + b'],"post_occupation":' + post + b"}")


def region_infos(bundle: ForecastBundle) -> dict[str, dict[str, Any]]:
    """JSON-ready region descriptions (see :class:`service.schemas.RegionInfo`), by region id."""
    table = bundle.regions()
    out: dict[str, dict[str, Any]] = {}
    for row in table.itertuples(index=False):
        since_end = row.months_since_end
        out[str(row.region_id)] = {
            "region_id": str(row.region_id),
            "country": str(row.country),
            "admin1": str(row.admin1),
            "latitude": _opt_float(row.latitude),
            "longitude": _opt_float(row.longitude),
            "first_month": str(row.first_month),
            "last_event_month": None if missing(row.last_event_month) else str(row.last_event_month),
            "occupation": {
                "phase": str(row.occupation_phase),
                "months_since_end": None if missing(since_end) else int(float(str(since_end))),
                "episode_id": str(row.episode_id) or None,
            },
        }
    return out


def recent_means(state: Panel, months: int = RECENT_MONTHS) -> dict[tuple[str, str], float]:
    """Mean monthly count of every region and panel type over the last ``months`` months of ``state``.

    Only the months a region is covered count; a region covered in none of them has no entry.
    """
    means, covered = state.cube.recent_mean(months)
    regions = state.cube.regions
    return {(str(regions[r]), PANEL_TYPES[t]): float(means[r, t]) for r, t in zip(*np.nonzero(covered > 0),
                                                                                 strict=True)}


def _mix_rows(bundle: ForecastBundle, state: Panel, frame: pd.DataFrame,
              horizon: int) -> tuple[dict[str, dict[int, list[bytes]]], str]:
    """The tactic mix: the shares of the (reconciled) forecast means of a coherent forecaster.

    A forecaster that does not reconcile its types (an old bundle) keeps the bundle's mix model.
    Types the region's sources cannot observe (the bundle's coverage) get no share; the others
    sum to 1.
    """
    out: dict[str, dict[int, list[bytes]]] = {}
    coherent = bool(getattr(bundle.forecaster, "coherent", False))
    if bundle.mix_model is not None and not coherent:
        mix = bundle.tactic_mix(state, horizon)
        source = "model"
    else:
        typed = frame[frame["attack_type"] != ALL]
        totals = typed.groupby(["region_id", "horizon"])["mean"].transform("sum").to_numpy()
        share = np.divide(typed["mean"].to_numpy(), totals, out=np.zeros(len(typed)), where=totals > 0)
        mix = pd.DataFrame({"region_id": typed["region_id"].to_numpy(),
                            "horizon": typed["horizon"].to_numpy(),
                            "attack_type": typed["attack_type"].to_numpy(), "share": share})
        mix = mix[totals > 0]
        source = "forecast"
    mix = observed_only(mix, bundle.coverage)
    for r, h, t, s in zip(mix["region_id"], mix["horizon"], mix["attack_type"], mix["share"], strict=True):
        if int(h) > horizon or t not in ATTACK_TYPES:
            continue
        row = dumps({"horizon": int(h), "attack_type": str(t), "share": _num(min(max(float(s), 0.0), 1.0))})
        out.setdefault(str(r), {}).setdefault(int(h), []).append(row)
    return out, source


def _target_rows(bundle: ForecastBundle, state: Panel, horizon: int) -> dict[str, dict[int, list[bytes]]]:
    """The bundle's target mix per region and horizon (none without a model or target counts)."""
    out: dict[str, dict[int, list[bytes]]] = {}
    mix = bundle.target_mix(state, horizon)
    for r, h, k, s in zip(mix["region_id"], mix["horizon"], mix["target_class"], mix["share"], strict=True):
        row = dumps({"horizon": int(h), "target_class": str(k), "share": _num(min(max(float(s), 0.0), 1.0))})
        out.setdefault(str(r), {}).setdefault(int(h), []).append(row)
    return out


DRIVERS_SHOWN = 3
"""Drivers given per forecast row: the largest effects first."""


def driver_lists(explained: pd.DataFrame) -> dict[tuple[str, str, int], list[dict[str, Any]]]:
    """Per (region, attack type, horizon): the :data:`DRIVERS_SHOWN` largest model terms.

    Each is ``{"driver", "effect" (log units), "factor" (exp(effect))}``; zero effects are left out.
    """
    out: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    if explained is None or explained.empty:
        return out
    frame = explained.assign(size=explained["effect"].abs())
    frame = frame.sort_values("size", ascending=False, kind="stable")
    frame = frame[frame["size"] > 1e-4]
    for (region, attack, h), group in frame.groupby(["region_id", "attack_type", "horizon"], sort=False):
        out[(str(region), str(attack), int(str(h)))] = [
            {"driver": str(d), "effect": _num(e), "factor": _num(np.exp(e))}
            for d, e in zip(group["driver"][:DRIVERS_SHOWN], group["effect"][:DRIVERS_SHOWN], strict=True)]
    return out


def forecast_rows(frame: pd.DataFrame, recent: Mapping[tuple[str, str], float],
                  drivers: Mapping[tuple[str, str, int], list[dict[str, Any]]] | None = None,
                  coverage: Mapping[str, Sequence[str]] | None = None) -> list[dict[str, Any]]:
    """JSON-ready forecast rows (see :class:`service.schemas.ForecastRow`) with ``region_id`` added.

    A row of a type the region's sources cannot observe (``coverage``, see :mod:`models.coverage`)
    has ``observed`` false and no risk tier.
    """
    region = [str(r) for r in frame["region_id"]]
    attack = [str(a) for a in frame["attack_type"]]
    mean = np.round(frame["mean"].to_numpy(dtype=float), 4)
    base = np.round(np.asarray([recent.get(key, 0.0) for key in zip(region, attack, strict=True)],
                               dtype=float), 4)
    ratio = np.round(np.divide(mean, base, out=np.zeros_like(mean), where=base > 0), 4)
    columns = {
        "region_id": region,
        "attack_type": attack,
        "horizon": frame["horizon"].to_numpy(dtype=np.int64).tolist(),
        "target_month": [str(m) for m in frame["target_month"]],
        "mean": mean.tolist(),
        **{f"q{int(q * 100)}": np.round(frame[quantile_column(q)].to_numpy(dtype=float), 4).tolist()
           for q in SERVED_QUANTILES},
        "p_any": np.round(frame["p_any"].to_numpy(dtype=float), 4).tolist(),
        "observed": [is_observed(coverage, r, a) for r, a in zip(region, attack, strict=True)],
        "recent_mean": base.tolist(),
        "change": np.round(mean - base, 4).tolist(),
        "change_ratio": [r if b > 0 else None for r, b in zip(ratio.tolist(), base.tolist(), strict=True)],
    }
    columns["risk_tier"] = [str(t) if seen else None
                            for t, seen in zip(frame["risk_tier"], columns["observed"], strict=True)]
    found = drivers or {}
    columns["drivers"] = [found.get((r, a, int(h)), []) for r, a, h in
                          zip(region, attack, columns["horizon"], strict=True)]
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def region_rows(bundle: ForecastBundle, state: Panel, frame: pd.DataFrame, horizon: int,
                infos: Mapping[str, dict[str, Any]],
                rows: list[dict[str, Any]] | None = None) -> dict[str, RegionRows]:
    """Pre-serialise the forecast frame ``frame`` (made from ``state``) region by region.

    ``rows`` are the frame's :func:`forecast_rows` when already computed.
    """
    if rows is None:
        rows = forecast_rows(frame, recent_means(state), explain(bundle, state, horizon), bundle.coverage)
    mixes, source = _mix_rows(bundle, state, frame, horizon)
    grouped: dict[str, dict[tuple[str, int], bytes]] = {}
    for row in rows:
        body = {k: v for k, v in row.items() if k != "region_id"}
        grouped.setdefault(row["region_id"], {})[(row["attack_type"], row["horizon"])] = dumps(body)
    posts = post_occupation(list(grouped), state.cutoff, horizon, bundle.catalog,
                            bundle.provenance.get("study"))
    targets = _target_rows(bundle, state, horizon)
    out = {}
    for region, by_key in grouped.items():
        ordered = {k: by_key[k] for k in sorted(by_key, key=lambda k: (PANEL_TYPES.index(k[0]), k[1]))}
        mix = {h: tuple(group) for h, group in sorted(mixes.get(region, {}).items())}
        target = {h: tuple(group) for h, group in sorted(targets.get(region, {}).items())}
        region_json = dumps(infos[region])
        post = dumps(posts.get(region))
        full = _item(region_json, ordered.values(), _up_to(mix, None), source, _up_to(target, None), post)
        out[region] = RegionRows(region=region_json, rows=MappingProxyType(ordered),
                                 mix=MappingProxyType(mix), mix_source=source, full=full,
                                 post_occupation=post, targets=MappingProxyType(target))
    return out


def explain(bundle: ForecastBundle, state: Panel,
            horizon: int) -> dict[tuple[str, str, int], list[dict[str, Any]]]:
    """The drivers of every forecast row (empty when the bundle's forecaster cannot explain itself)."""
    return driver_lists(bundle.drivers(state, horizon))


def track_records(bundle: ForecastBundle) -> dict[str, list[dict[str, Any]]]:
    """Per region, the served model's backtest forecasts with what happened (JSON-ready rows)."""
    table = getattr(bundle, "track_record", None)
    out: dict[str, list[dict[str, Any]]] = {}
    if table is None or len(table) == 0:
        return out
    for region, group in table.groupby("region_id", sort=False):
        out[str(region)] = [{
            "attack_type": str(r.attack_type), "horizon": int(r.horizon), "origin": str(r.origin),
            "target_month": str(r.target_month), "mean": _num(r.mean), "q10": _num(r.q10),
            "q50": _num(r.q50), "q90": _num(r.q90), "p_any": _num(r.p_any), "observed": int(r.y),
        } for r in group.itertuples(index=False)]
    return out


def country_forecasts(bundle: ForecastBundle, horizon: int) -> dict[str, list[dict[str, Any]]]:
    """Per country, the forecasts of its total per attack type and horizon (JSON-ready rows).

    A type none of the country's regions can observe has ``observed`` false and no risk tier.
    """
    totals = bundle.country_totals(horizon=horizon, quantiles=SERVED_QUANTILES)
    members = bundle.state.regions.groupby("country").groups
    out: dict[str, list[dict[str, Any]]] = {}
    for country, group in totals.groupby("country", sort=True):
        seen = {str(t): any(is_observed(bundle.coverage, str(r), str(t)) for r in members.get(country, []))
                for t in group["attack_type"].unique()}
        out[str(country)] = [{
            "attack_type": str(r["attack_type"]), "horizon": int(r["horizon"]),
            "target_month": str(r["target_month"]), "regions": int(r["regions"]), "mean": _num(r["mean"]),
            **{f"q{int(q * 100)}": _num(r[quantile_column(q)]) for q in SERVED_QUANTILES},
            "p_any": _num(r["p_any"]), "observed": seen[str(r["attack_type"])],
            "risk_tier": str(r["risk_tier"]) if seen[str(r["attack_type"])] else None,
        } for _, r in group.sort_values(["attack_type", "horizon"], key=_type_order).iterrows()]
    return out


def _type_order(column: pd.Series) -> pd.Series:
    if column.name == "attack_type":
        return column.map({t: i for i, t in enumerate(PANEL_TYPES)})
    return column


def forecast_frame(bundle: ForecastBundle, state: Panel | None, horizon: int) -> pd.DataFrame:
    """The bundle's forecast frame with at least the served quantiles, checked finite."""
    levels = tuple(sorted(set(bundle.quantiles) | set(SERVED_QUANTILES)))
    frame = bundle.forecast(state, horizon=horizon, quantiles=levels)
    check_finite(frame)
    return frame


def check_finite(frame: pd.DataFrame) -> None:
    """Raise ``ValueError`` when a served number of the forecast frame is not finite."""
    numeric = frame[["mean", "p_any", *(quantile_column(q) for q in SERVED_QUANTILES)]].to_numpy(dtype=float)
    if not np.isfinite(numeric).all():
        raise ValueError("the model produced non-finite forecasts")


@dataclass(frozen=True)
class History:
    """Monthly count cube of the panel state: region x panel type x month (-1 before coverage)."""

    months: tuple[str, ...]
    index: Mapping[str, int]
    counts: np.ndarray
    fatalities: np.ndarray

    @classmethod
    def from_state(cls, state: Panel) -> History:
        """Build the cube from a panel state (:attr:`models.panel.Panel.cube`)."""
        cube = state.cube
        counts = np.where(cube.covered[:, None, :], cube.counts, -1).astype(np.int64)
        deaths = np.where(cube.covered, cube.fatalities[:, ALL_INDEX, :], -1).astype(np.int64)
        counts.setflags(write=False)
        deaths.setflags(write=False)
        index = {str(r): i for i, r in enumerate(cube.regions)}
        return cls(months=tuple(str(p) for p in cube.months), index=MappingProxyType(index),
                   counts=counts, fatalities=deaths)

    def region(self, region_id: str, months: int) -> dict[str, Any]:
        """The last ``months`` months of one region: month labels, counts by type, fatalities."""
        i = self.index[region_id]
        start = max(len(self.months) - months, 0)

        def clean(values: np.ndarray) -> list[int | None]:
            return [None if v < 0 else int(v) for v in values[start:]]

        return {
            "months": list(self.months[start:]),
            "counts": {t: clean(self.counts[i, j]) for j, t in enumerate(PANEL_TYPES)},
            "fatalities": clean(self.fatalities[i]),
        }


@dataclass(frozen=True)
class ServedModel:
    """Everything a request reads, computed once at load time and never mutated."""

    loaded: LoadedModel
    horizon: int
    infos: Mapping[str, dict[str, Any]]
    by_region: Mapping[str, RegionRows]
    rankings: Mapping[tuple[str, int], tuple[dict[str, Any], ...]]
    history: History
    stale_after: dt.date
    envelope: bytes
    regions_body: bytes
    track: Mapping[str, list[dict[str, Any]]] = field(default_factory=lambda: MappingProxyType({}))
    countries: Mapping[str, list[dict[str, Any]]] = field(default_factory=lambda: MappingProxyType({}))
    unranked: Mapping[tuple[str, int], tuple[dict[str, Any], ...]] = field(
        default_factory=lambda: MappingProxyType({}))
    """Per (attack type, horizon): the rows left out of the ranking (types their sources cannot observe)."""

    @property
    def bundle(self) -> ForecastBundle:
        """The loaded bundle."""
        return self.loaded.bundle

    @property
    def version(self) -> str:
        """The served model version."""
        return str(self.loaded.provenance.get("model_version", ""))

    @property
    def cutoff(self) -> str:
        """The data cutoff, ``YYYY-MM``."""
        return self.bundle.cutoff

    def is_stale(self, today: dt.date | None = None) -> bool:
        """Whether the data cutoff is older than the configured age on ``today``."""
        return (today or dt.date.today()) > self.stale_after

    def served(self, origin: str | None = None, today: dt.date | None = None) -> dict[str, Any]:
        """The provenance fields every forecast response carries."""
        return {"model_name": str(self.loaded.provenance.get("model_name", "threatcast")),
                "model_version": self.version, "data_cutoff": self.cutoff,
                "origin": origin or self.cutoff, "stale": self.is_stale(today)}

    def with_envelope(self, item: bytes) -> bytes:
        """A region item wrapped with the provenance fields (the stale flag evaluated now)."""
        flag = b"true" if self.is_stale() else b"false"
        return b'{"stale":' + flag + b"," + self.envelope + b"," + item[1:]


def stale_deadline(cutoff: str, stale_after_days: int) -> dt.date:
    """Last day on which data ending with month ``cutoff`` is still fresh."""
    month_end = (pd.Period(cutoff, freq="M") + 1).start_time.date() - dt.timedelta(days=1)
    return month_end + dt.timedelta(days=stale_after_days)


def build_served(loaded: LoadedModel, max_horizon: int, stale_after_days: int) -> ServedModel:
    """Precompute every forecast of a loaded bundle.

    Raises:
        ValueError: when the bundle's forecasts are unusable (non-finite numbers, missing regions).
    """
    bundle = loaded.bundle
    horizon = max(1, min(bundle.horizon, max_horizon))
    frame = forecast_frame(bundle, None, horizon)
    infos = region_infos(bundle)
    rows = forecast_rows(frame, recent_means(bundle.state), explain(bundle, bundle.state, horizon),
                         bundle.coverage)
    by_region = region_rows(bundle, bundle.state, frame, horizon, infos, rows)
    missing = sorted(set(infos) - set(by_region))
    if missing:
        raise ValueError(f"the model forecasts no rows for {len(missing)} regions, e.g. {missing[:3]}")
    rankings, unranked = _rankings(rows, infos)
    served_fields = {"model_name": str(loaded.provenance.get("model_name", "threatcast")),
                     "model_version": str(loaded.provenance.get("model_version", "")),
                     "data_cutoff": bundle.cutoff, "origin": bundle.cutoff}
    envelope = dumps(served_fields)[1:-1]
    regions_body = b'"count":' + str(len(infos)).encode() + b',"regions":[' + b",".join(
        dumps(v) for v in infos.values()) + b"]"
    return ServedModel(loaded=loaded, horizon=horizon, infos=MappingProxyType(infos),
                       by_region=MappingProxyType(by_region), rankings=MappingProxyType(rankings),
                       unranked=MappingProxyType(unranked),
                       history=History.from_state(bundle.state),
                       stale_after=stale_deadline(bundle.cutoff, stale_after_days),
                       envelope=envelope, regions_body=regions_body,
                       track=MappingProxyType(track_records(bundle)),
                       countries=MappingProxyType(country_forecasts(bundle, horizon)))


Rankings = dict[tuple[str, int], tuple[dict[str, Any], ...]]


def _rankings(rows: list[dict[str, Any]], infos: Mapping[str, dict[str, Any]]) -> tuple[Rankings, Rankings]:
    """Per (attack type, horizon): the observed rows ranked by risk, and the unobserved rows left out."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    left_out: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows:
        info = infos[row["region_id"]]
        ranked = {**{k: v for k, v in row.items() if k not in ("drivers", "observed")},
                  "country": info["country"], "admin1": info["admin1"]}
        key = (row["attack_type"], row["horizon"])
        (groups if row["observed"] else left_out).setdefault(key, []).append(ranked)
    ranked_rows = {key: tuple(sorted(group, key=lambda r: (-r["p_any"], -r["mean"], r["region_id"])))
                   for key, group in groups.items()}
    return ranked_rows, {key: tuple(group) for key, group in left_out.items()}

