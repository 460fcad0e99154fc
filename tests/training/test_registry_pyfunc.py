from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from trainkit import MeanPoisson, synthetic_events

from models.bundle import ForecastBundle
from models.episodes import load_catalog
from models.forecast import check_forecast_frame
from models.panel import build_panel
from models.pyfunc import BUNDLE_ARTIFACT, BundleModel, RequestError, answer, load_bundle, save_bundle


@pytest.fixture(scope="module")
def bundle() -> ForecastBundle:
    panel = build_panel(synthetic_events())
    model = MeanPoisson().fit(panel)
    return ForecastBundle(forecaster=model, state=panel, catalog=load_catalog(), horizon=3,
                          provenance={"model_name": "threatcast", "model_version": "7"})


def test_empty_request_gives_every_region_type_and_horizon(bundle: ForecastBundle) -> None:
    frame = answer(bundle, pd.DataFrame())
    check_forecast_frame(frame)
    assert len(frame) == 4 * 11 * 3
    assert set(frame["model_version"]) == {"7"}
    assert set(frame["data_cutoff"]) == {"2021-12"}
    gao = frame[(frame.region_id == "MLI.gao") & (frame.attack_type == "armed_assault")]
    recent = bundle.state.counts
    expected = recent[(recent.region_id == "MLI.gao") & (recent.attack_type == "armed_assault")
                      & (recent.month > bundle.state.cutoff - 12)]["count"].mean()
    assert np.allclose(gao["mean"], expected)


def test_requests_filter_region_type_and_horizon(bundle: ForecastBundle) -> None:
    req = pd.DataFrame({"region_id": ["MLI.gao", "BFA.sahel"], "attack_type": ["bombing", None],
                        "horizon": [2, None]})
    frame = answer(bundle, req)
    gao = frame[frame.region_id == "MLI.gao"]
    assert set(gao["attack_type"]) == {"bombing"} and sorted(gao["horizon"]) == [1, 2]
    sahel = frame[frame.region_id == "BFA.sahel"]
    assert len(sahel) == 11 * 3


def test_longer_horizon_than_the_bundle_is_answered(bundle: ForecastBundle) -> None:
    frame = answer(bundle, pd.DataFrame({"region_id": ["MLI.gao"], "attack_type": ["all"], "horizon": [5]}))
    assert list(frame["horizon"]) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("req, message", [
    (pd.DataFrame({"region": ["MLI.gao"]}), "region_id column"),
    (pd.DataFrame({"region_id": ["XXX.nowhere"]}), "unknown region_id"),
    (pd.DataFrame({"region_id": ["MLI.gao"], "attack_type": ["piracy"]}), "unknown attack_type"),
    (pd.DataFrame({"region_id": ["MLI.gao"], "horizon": [0]}), "horizon"),
    (pd.DataFrame({"region_id": ["MLI.gao"], "horizon": [2.5]}), "horizon"),
    (pd.DataFrame({"region_id": ["MLI.gao"], "horizon": ["soon"]}), "horizon"),
])
def test_bad_requests_raise_clear_errors(bundle: ForecastBundle, req: pd.DataFrame, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        answer(bundle, req)


def test_save_and_load_roundtrip(bundle: ForecastBundle, tmp_path: Path) -> None:
    path = save_bundle(bundle, tmp_path)
    again = load_bundle(path)
    pd.testing.assert_frame_equal(again.forecast(), bundle.forecast())
    (tmp_path / "other.pkl").write_bytes(__import__("pickle").dumps({"a": 1}))
    with pytest.raises(TypeError, match="not a ForecastBundle"):
        load_bundle(tmp_path / "other.pkl")


def test_unloaded_model_refuses_to_predict() -> None:
    with pytest.raises(RuntimeError, match="no bundle"):
        BundleModel().predict(None, pd.DataFrame())


def test_logged_model_loads_and_predicts(bundle: ForecastBundle, tmp_path: Path, mlflow_store) -> None:
    path = save_bundle(bundle, tmp_path / "b")
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="bundle", python_model=BundleModel(bundle),
                                       artifacts={BUNDLE_ARTIFACT: str(path)})
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    served = loaded.unwrap_python_model().bundle
    assert isinstance(served, ForecastBundle)
    frame = loaded.predict(pd.DataFrame({"region_id": ["NER.tillaberi"]}))
    assert set(frame["region_id"]) == {"NER.tillaberi"} and len(frame) == 33
