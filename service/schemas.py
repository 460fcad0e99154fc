"""Pydantic request and response models: the service's public JSON contract (and its OpenAPI)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.targets import TARGET_CLASSES
from models.taxonomy import ATTACK_TYPES, PANEL_TYPES

AttackType = Literal[PANEL_TYPES]  # type: ignore[valid-type]
EventAttackType = Literal[ATTACK_TYPES]  # type: ignore[valid-type]
TargetClass = Literal[TARGET_CLASSES]  # type: ignore[valid-type]
Phase = Literal["never", "during", "after"]
RiskTier = Literal["minimal", "low", "elevated", "high", "severe"]
StudyPhase = Literal["during", "after_1_6", "after_7_12", "after_13_24", "after_25_36"]


class Health(BaseModel):
    """Process liveness."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Whether a model is loaded and forecasts can be served."""

    ready: bool
    model_version: str | None = None
    data_cutoff: str | None = None
    reason: str | None = Field(default=None, description="Why the service is not ready.")


class ErrorBody(BaseModel):
    """Every error response: a machine-readable code, a readable message and optional details."""

    error: str = Field(examples=["unknown_region"])
    message: str = Field(examples=["no region 'MLI.tombouctu'"])
    details: dict[str, object] = Field(default_factory=dict,
                                       examples=[{"suggestions": ["MLI.tombouctou"]}])


class Occupation(BaseModel):
    """Occupation status of a region at the data cutoff."""

    phase: Phase = Field(description="never / during / after an insurgent occupation episode")
    months_since_end: int | None = Field(default=None, description="Months since the episode ended.")
    episode_id: str | None = None


class RegionInfo(BaseModel):
    """A region of the model's panel."""

    region_id: str = Field(examples=["MLI.tombouctou"])
    country: str = Field(examples=["MLI"])
    admin1: str = Field(examples=["Tombouctou"])
    latitude: float | None = None
    longitude: float | None = None
    first_month: str = Field(description="Coverage start, YYYY-MM.", examples=["2012-01"])
    last_event_month: str | None = Field(default=None, examples=["2024-05"])
    occupation: Occupation


class Episode(BaseModel):
    """An occupation episode from the catalog."""

    episode_id: str
    start_month: str
    end_month: str | None = None
    groups: str = ""
    note: str = ""
    source: str = ""


class RegionDetail(RegionInfo):
    """A region with its occupation episodes."""

    episodes: list[Episode]


class RegionList(BaseModel):
    """Every region the served model covers."""

    model_version: str
    data_cutoff: str
    stale: bool
    count: int
    regions: list[RegionInfo]


class Driver(BaseModel):
    """One group of the model's own terms behind a forecast."""

    driver: str = Field(examples=["recent trend"], description="recent trend, longer-run level, country "
                        "activity, occupation phase, season, region age, or rest of the served model "
                        "(the served mean against the count regression's: the other pool members "
                        "and the reconciliation across attack types)")
    effect: float = Field(description="Log change of the forecast mean from the region's 12-month level "
                          "that these terms make (relative to an average row).")
    factor: float = Field(description="exp(effect): the multiplicative change.")


class Predictive(BaseModel):
    """The summary of one predictive distribution: one attack type at one horizon."""

    attack_type: AttackType
    horizon: int = Field(ge=1, examples=[1])
    target_month: str = Field(examples=["2024-07"])
    mean: float = Field(ge=0, examples=[2.4])
    q10: float = Field(ge=0)
    q50: float = Field(ge=0)
    q90: float = Field(ge=0)
    p_any: float = Field(ge=0, le=1, description="P(at least one attack)", examples=[0.83])


class ForecastRow(Predictive):
    """The predictive distribution of one attack type at one horizon."""

    observed: bool = Field(default=True, description="False when none of the region's sources can observe "
                           "this attack type: its zeros are no data, and it gets no risk tier.")
    risk_tier: RiskTier | None = Field(description="Null exactly when the row is not observed.")
    recent_mean: float = Field(description="Mean monthly count over the last 12 months of data.")
    change: float = Field(description="mean - recent_mean")
    change_ratio: float | None = Field(description="mean / recent_mean (null when recent_mean is 0)")
    drivers: list[Driver] = Field(default_factory=list,
                                  description="The model's terms that moved this forecast most.")

    @model_validator(mode="after")
    def _tier_only_when_observed(self) -> ForecastRow:
        if (self.risk_tier is None) == self.observed:
            raise ValueError("risk_tier is null exactly when the row is not observed")
        return self


class MixShare(BaseModel):
    """Expected share of one attack type among a region's attacks at one horizon."""

    horizon: int
    attack_type: EventAttackType
    share: float = Field(ge=0, le=1)


class TargetShare(BaseModel):
    """Expected share of one target class among a region's next events at one horizon."""

    horizon: int
    target_class: TargetClass = Field(description="security_forces, civilians, international, government, "
                                      "non_state or unknown")
    share: float = Field(ge=0, le=1)


class AppliedEffect(BaseModel):
    """The episode study's pooled rate ratio of one attack type in one phase (computed at training)."""

    attack_type: EventAttackType
    phase: StudyPhase
    rate_ratio: float | None = Field(description="Rate against the months before the occupation (null when "
                                     "there is no estimate).")
    ci_low: float | None = Field(description="Lower 95% bound.")
    ci_high: float | None = Field(description="Upper 95% bound (null when unbounded).")
    unbounded: bool = Field(description="Events in the phase and none before: no finite ratio, a lower "
                            "bound only.")
    placebo_share_above: float | None = Field(description="Share of placebo estimates at or above this one "
                                              "(null without placebo draws).")
    n_events: int = Field(ge=0, description="Events of the type in the studied regions' months of the phase.")


class PostOccupation(BaseModel):
    """The post-occupation regime the region's forecast months fall in."""

    episode_id: str = Field(examples=["irq-2014-ninawa"])
    end_month: str = Field(description="Last occupied month, YYYY-MM.", examples=["2017-07"])
    months_since_end: int = Field(description="Months from the end to the horizon-1 target month (<= 0 "
                                  "when the episode ends inside the horizon).")
    phase: StudyPhase = Field(description="Study phase of the horizon-1 target month.")
    effects: list[AppliedEffect] = Field(description="The pooled effects of that phase, one per attack type.")


class RegionForecastItem(BaseModel):
    """Forecasts of one region."""

    region: RegionInfo
    forecasts: list[ForecastRow]
    tactic_mix: list[MixShare]
    tactic_mix_source: Literal["model", "forecast"] = Field(
        description="'model': the bundle's tactic-mix model; 'forecast': shares of the forecast means.")
    target_mix: list[TargetShare] = Field(
        default_factory=list, description="Expected share of each target class (who is attacked) among the "
        "region's next events; empty when the model has no target mix.")
    post_occupation: PostOccupation | None = Field(
        default=None, description="Set when a forecast month falls up to 36 months after the end of one of "
        "the region's occupation episodes; null otherwise.")


class Served(BaseModel):
    """What produced a forecast, carried by every forecast response."""

    model_name: str = Field(examples=["threatcast"])
    model_version: str = Field(examples=["3"])
    data_cutoff: str = Field(description="Last month of data the model saw, YYYY-MM.", examples=["2024-06"])
    origin: str = Field(description="Month the forecasts start from (horizon 1 is the next).")
    stale: bool = Field(description="True when the data cutoff is older than the configured age.")


class RegionForecast(Served, RegionForecastItem):
    """Forecasts of one region with provenance."""


STRICT = ConfigDict(extra="forbid", strict=True)
"""Request bodies take JSON types as they are: ``true`` or ``"3"`` is not a horizon."""


class BatchRequest(BaseModel):
    """Several regions in one request."""

    model_config = STRICT

    region_ids: list[str] = Field(min_length=1, examples=[["MLI.tombouctou", "MLI.gao"]])
    attack_type: AttackType | None = None
    horizon: int | None = Field(default=None, ge=1, description="Return horizons 1..horizon.")


class BatchForecast(Served):
    """Forecasts of several regions."""

    results: list[RegionForecastItem]


class RankedRow(Predictive):
    """One region's forecast in a ranking."""

    rank: int
    region_id: str
    country: str
    admin1: str
    risk_tier: str
    recent_mean: float
    change: float
    change_ratio: float | None


class Ranking(Served):
    """Regions ranked by risk (P(at least one attack), then the expected count)."""

    attack_type: AttackType
    horizon: int
    total: int = Field(description="Regions matching the filters before ``top`` is applied.")
    unobserved: int = Field(default=0, description="Regions matching the filters left out because none of "
                            "their sources can observe the attack type.")
    items: list[RankedRow]


class EventIn(BaseModel):
    """A canonical event reported after the model's data cutoff."""

    model_config = STRICT

    event_id: str = Field(min_length=1, max_length=200, examples=["ops:2024-07-001"])
    source: str = Field(default="nowcast", max_length=100)
    date: dt.date = Field(strict=False, examples=["2024-07-14"], description="YYYY-MM-DD.")
    date_precision: Literal["day", "week", "month"] = "day"
    country: str = Field(pattern=r"^[A-Z]{3}$", examples=["MLI"])
    admin1: str = Field(min_length=1, max_length=200, examples=["Tombouctou"])
    region_id: str | None = Field(default=None, pattern=r"^[A-Z]{3}\.[a-z0-9]+(-[a-z0-9]+)*$",
                                  description="Defaults to ISO3.slug(admin1); must agree with it if given.")
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    attack_type: EventAttackType = Field(examples=["bombing"])
    perpetrator: str = Field(default="", max_length=200)
    target: str = Field(default="", max_length=200)
    target_class: TargetClass | None = Field(
        default=None, examples=["security_forces"],
        description="Who was attacked; when absent, the keyword rule on `target` (else unknown).")
    fatalities: int = Field(default=0, ge=0, le=1_000_000)
    suicide: bool = False

    @field_validator("date", mode="before")
    @classmethod
    def _date_is_text(cls, value: object) -> object:
        """JSON has no date type: only a ``YYYY-MM-DD`` string is a date (never a number)."""
        if not isinstance(value, str | dt.date):
            raise ValueError("must be a date string YYYY-MM-DD")
        return value


class NowcastRequest(BaseModel):
    """Events after the data cutoff, taken as the complete record of the months they cover."""

    model_config = STRICT

    events: list[EventIn] = Field(min_length=1)
    attack_type: AttackType | None = None
    horizon: int | None = Field(default=None, ge=1, description="Return horizons 1..horizon.")


class NowcastResponse(Served):
    """Updated forecasts of the regions the submitted events touch (``origin`` is the new origin)."""

    events_used: int
    results: list[RegionForecastItem]


class RegionHistory(BaseModel):
    """Monthly counts of one region by attack type (null before the region's coverage starts)."""

    region_id: str
    model_version: str
    data_cutoff: str
    stale: bool
    months: list[str]
    counts: dict[str, list[int | None]]
    fatalities: list[int | None] = Field(description="Fatalities of all attack types per month.")


class ModelInfo(BaseModel):
    """Provenance of the served model."""

    model_name: str
    model_version: str
    alias: str | None = None
    run_id: str | None = None
    model_uri: str
    data_cutoff: str
    stale: bool
    trained_at: str | None = None
    data_fingerprint: str | None = None
    served_model: str | None = None
    taxonomy_version: str | None = None
    catalog_version: str | None = None
    horizon: int
    quantiles: list[float]
    regions: int
    loaded_at: str
    backtest: dict[str, object] = Field(default_factory=dict,
                                        description="Backtest headline scores recorded at training.")
    headline: dict[str, float | None] = Field(
        default_factory=dict, description="Backtest scores of the served model on 'all' (region level).")
    skill: dict[str, dict[str, SkillFigure]] = Field(
        default_factory=dict, description="attack type -> metric (crps, twcrps, brier) -> skill against the "
        "best baseline with its block-bootstrap interval.")


class SkillFigure(BaseModel):
    """A skill against the best baseline with its interval (block bootstrap over origins and regions)."""

    skill: float | None
    lower: float | None
    upper: float | None
    baseline: str
    level: float | None = None
    n: int | None = None


class TrackRow(Predictive):
    """One past forecast (from the backtest) beside what happened."""

    origin: str
    observed: int = Field(description="The count that happened.")


class TrackSummary(BaseModel):
    """How one attack type's past forecasts at one horizon fared."""

    attack_type: AttackType
    horizon: int
    n: int
    mean_abs_error: float
    inside_q10_q90: float = Field(description="Share of observed counts inside [q10, q90].")
    brier: float


class TrackRecord(BaseModel):
    """A region's past forecasts against what happened."""

    region_id: str
    model_version: str
    served_model: str | None
    count: int
    summary: list[TrackSummary]
    rows: list[TrackRow]


class CountryRow(Predictive):
    """The predictive distribution of a country's total of one attack type at one horizon."""

    regions: int
    observed: bool = Field(default=True, description="False when none of the country's regions' sources "
                           "can observe this attack type.")
    risk_tier: str | None = Field(description="Null exactly when the row is not observed.")


class CountryInfo(BaseModel):
    """A country with its next-month outlook for all attacks."""

    country: str
    regions: int
    mean_next_month: float
    p_any_next_month: float


class CountryList(BaseModel):
    """Every country the served model covers."""

    model_version: str
    data_cutoff: str
    stale: bool
    count: int
    countries: list[CountryInfo]


class CountryForecast(Served):
    """Forecasts of one country's totals, aggregated from its regions' distributions."""

    country: str
    regions: list[str]
    method: str
    forecasts: list[CountryRow]


class ReloadResult(BaseModel):
    """Outcome of a successful reload."""

    reloaded: bool
    previous_version: str | None
    model_version: str
    data_cutoff: str


ModelInfo.model_rebuild()
