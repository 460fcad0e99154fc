"""The model catalogue: names match the classes, every entry is a working estimator, training reads it."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from models.estimators.base import Forecaster, NotFittedError
from models.estimators.baselines import BASELINES
from models.estimators.catalogue import (
    COUNT_FAMILIES,
    COUNT_MODELS,
    MIX_MODELS,
    PROBABILITY_MODELS,
    SERVED_MIX,
    SERVED_PROBABILITY,
)
from models.estimators.classify import EventClassifier
from models.estimators.logit import EventLogit
from training.selection import classifier_factory, model_factories

ALL_ENTRIES = {**COUNT_FAMILIES, **PROBABILITY_MODELS, **MIX_MODELS}


def test_every_entry_is_registered_under_its_own_name():
    for name, cls in ALL_ENTRIES.items():
        assert cls.name == name
    assert list(COUNT_MODELS) == [*BASELINES, *COUNT_FAMILIES]
    assert set(COUNT_FAMILIES) == {"pooled_negbin", "state_space_series"}
    assert {"event_logit": EventLogit, "event_classifier": EventClassifier} == PROBABILITY_MODELS
    assert SERVED_PROBABILITY == "event_logit" and SERVED_MIX == "tactic_mix"
    assert all(issubclass(cls, Forecaster) for cls in COUNT_MODELS.values())


@pytest.mark.parametrize("name", sorted(ALL_ENTRIES))
def test_entries_follow_the_estimator_contract(name):
    cls = ALL_ENTRIES[name]
    params = inspect.signature(cls).parameters
    assert "catalog" in params  # every fitted family takes the episode catalog
    model = cls()
    assert set(model.get_params(deep=False)) == set(params)
    twin = clone(model)
    assert twin is not model and twin.get_params(deep=False).keys() == model.get_params(deep=False).keys()
    assert model != twin  # identity equality: two unfitted estimators are not one
    methods = ("predict_proba", "predict_mix", "predict_dist")
    predict = next(getattr(model, m) for m in methods if hasattr(model, m))
    with pytest.raises(NotFittedError, match="is not fitted; call fit"):
        predict(None, 1)


def test_hyper_parameters_are_typed_fields_with_the_old_positional_order():
    logit = EventLogit(3, 60)
    assert (logit.max_horizon, logit.window, logit.holdout_months) == (3, 60, 12)
    with pytest.raises(TypeError):
        EventLogit(unknown=1)  # type: ignore[call-arg]


def test_training_factories_read_the_catalogue(demo_catalog):
    factories = model_factories(demo_catalog)
    assert list(factories) == list(COUNT_MODELS)
    for name in COUNT_FAMILIES:
        model = factories[name]()
        assert isinstance(model, COUNT_FAMILIES[name]) and model.catalog is demo_catalog
    clf = classifier_factory(demo_catalog)
    assert clf is not None
    made = clf()
    assert isinstance(made, PROBABILITY_MODELS[SERVED_PROBABILITY]) and made.catalog is demo_catalog


@pytest.fixture
def demo_catalog():
    return pd.DataFrame({"episode_id": ["x"], "values": [np.nan]})
