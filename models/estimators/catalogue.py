"""The model catalogue: every fitted model family by the name it carries in scores and bundles.

Beside :data:`models.estimators.baselines.BASELINES` (the naive count baselines), three registries:

* :data:`COUNT_FAMILIES` -- the fitted count families, each taking the episode ``catalog``;
* :data:`PROBABILITY_MODELS` -- the P(count >= 1) models; :data:`SERVED_PROBABILITY` is the one
  training serves (the time-weighted logistic model scored a lower Brier than the boosted
  classifier on the ACLED check; the classifier stays available under its own name);
* :data:`MIX_MODELS` -- the tactic-mix models; :data:`SERVED_MIX` is the one the bundle carries.

A new family is one entry here. :data:`COUNT_MODELS` is every count model, baselines first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from models.estimators.base import Forecaster
from models.estimators.baselines import BASELINES
from models.estimators.classify import EventClassifier
from models.estimators.combined import ProbabilityModel
from models.estimators.count import PooledNegBin
from models.estimators.logit import EventLogit
from models.estimators.mix import TacticMix
from models.estimators.series import StateSpaceSeries

COUNT_FAMILIES: Final[dict[str, type[Forecaster]]] = {
    PooledNegBin.name: PooledNegBin,
    StateSpaceSeries.name: StateSpaceSeries,
}
"""Fitted count families by name, in the order they are backtested."""

COUNT_MODELS: Final[dict[str, type[Forecaster]]] = {**BASELINES, **COUNT_FAMILIES}
"""Every count model by name: the baselines, then the fitted families."""

PROBABILITY_MODELS: Final[dict[str, Callable[..., ProbabilityModel]]] = {
    EventLogit.name: EventLogit,
    EventClassifier.name: EventClassifier,
}
"""P(count >= 1) model classes by name (each takes the episode ``catalog``)."""

SERVED_PROBABILITY: Final = EventLogit.name
"""The P(count >= 1) model training backtests (as ``classifier``) and serves."""

MIX_MODELS: Final[dict[str, type[TacticMix]]] = {TacticMix.name: TacticMix}
"""Tactic-mix models by name."""

SERVED_MIX: Final = TacticMix.name
"""The tactic-mix model the bundle carries."""
