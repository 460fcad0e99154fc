"""Coverage honesty end to end: training on pooled sources of different type coverage warns (log and
run tag) and stores the coverage in the bundle; the service, loading that bundle from a real SQLite
MLflow store, marks what a region's sources cannot observe and leaves it out of the rankings."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient
from svc_support import ready_client
from trainkit import synthetic_events

from cli.jobs.train import COVERAGE_TAG, TrainOptions, TrainResult, train
from models.coverage import TEXT_TYPES
from models.episodes import load_catalog
from models.schema import conform_events
from models.targets import TARGET_CLASSES
from models.taxonomy import ATTACK_TYPES
from service.app import create_app
from service.schemas import CountryForecast, ForecastRow, Ranking, RegionForecast
from service.settings import Settings
from training.settings import TrainingSettings

FAST = TrainOptions(horizon=3, n_origins=4, executor="serial", models="zero,mean12,pooled_negbin",
                    classifier=False, progress=False)


def ucdp_events() -> pd.DataFrame:
    """UCDP-like events in two Iraqi regions, 2019-01..2021-12.

    IRQ.ninawa: 2 armed clashes a month (UCDP's default type) and, in 2021, one bombing a month read
    from its headlines (``method_source`` text). IRQ.basra: one armed clash a month, nothing from text.
    """
    rows = []
    for month in pd.period_range("2019-01", "2021-12", freq="M"):
        day = month.start_time + pd.Timedelta(days=4)
        rows += [("ninawa", "armed_clash", "default", day)] * 2 + [("basra", "armed_clash", "default", day)]
        if month.year == 2021:
            rows.append(("ninawa", "bombing", "text", day))
    frame = pd.DataFrame(rows, columns=["admin1", "attack_type", "method_source", "date"])
    frame["event_id"] = [f"ucdp:{i}" for i in range(len(frame))]
    frame["source"] = "ucdp"
    frame["country"] = "IRQ"
    frame["region_id"] = "IRQ." + frame["admin1"]
    frame["admin1"] = frame["admin1"].str.title()
    frame["date_precision"] = "day"
    frame["fatalities"] = 1
    frame["method_confidence"] = [0.9 if m == "text" else None for m in frame["method_source"]]
    frame["target_class"] = "security_forces"
    return conform_events(frame)


@dataclass(frozen=True)
class Trained:
    result: TrainResult
    tracking_uri: str
    warnings: list[str]
    client: TestClient


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    root = Path(tmp_path_factory.mktemp("coverage"))
    uri = f"sqlite:///{root / 'mlflow.db'}"
    events = conform_events(pd.concat([synthetic_events(), ucdp_events()], ignore_index=True))
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("threatcast.training")
    logger.addHandler(handler)
    try:
        result = train(events, FAST, TrainingSettings(tracking_uri=uri, artifact_root=root / "artifacts",
                                                      data_dir=root / "data"), catalog=load_catalog())
    finally:
        logger.removeHandler(handler)
    settings = Settings(model_uri="models:/threatcast@champion", tracking_uri=uri, load_attempts=1)
    with ready_client(create_app(settings, static_dir=None), raise_server_exceptions=False) as client:
        yield Trained(result, uri, [r.getMessage() for r in records], client)


def _rows(client: TestClient, region: str) -> dict[tuple[str, int], dict[str, object]]:
    body = client.get(f"/v1/regions/{region}/forecast").json()
    RegionForecast.model_validate(body)
    return {(r["attack_type"], r["horizon"]): r for r in body["forecasts"]}


def test_training_warns_in_the_log_and_tags_the_run(trained: Trained) -> None:
    tags = MlflowClient(trained.tracking_uri).get_run(trained.result.run_id).data.tags
    warning = tags[COVERAGE_TAG]
    assert "demo observes 10 of 10 types" in warning and "ucdp observes 2 to 9 of 10 types" in warning
    assert trained.warnings == [warning]


def test_the_bundle_records_coverage_by_region(trained: Trained) -> None:
    bundle = trained.client.app.state.holder.current.bundle  # type: ignore[attr-defined]
    assert set(bundle.coverage["IRQ.basra"]) == {"armed_clash", "armed_assault"}
    assert set(bundle.coverage["IRQ.ninawa"]) == TEXT_TYPES | {"armed_assault"}
    assert bundle.coverage["MLI.gao"] == list(ATTACK_TYPES)
    assert set(bundle.provenance["coverage"]["sources"]) == {"demo", "ucdp"}
    assert bundle.provenance["coverage"]["warning"].startswith("the data pools sources")


def test_unobserved_types_are_marked_and_get_no_tier(trained: Trained) -> None:
    basra = _rows(trained.client, "IRQ.basra")
    for h in (1, 2, 3):
        for attack in ATTACK_TYPES:
            row = basra[(attack, h)]
            observed = attack in ("armed_clash", "armed_assault")
            assert row["observed"] is observed
            assert (row["risk_tier"] is None) is not observed
        assert basra[("all", h)]["observed"] and basra[("all", h)]["risk_tier"] is not None
    ninawa = _rows(trained.client, "IRQ.ninawa")
    assert ninawa[("bombing", 1)]["observed"] and ninawa[("bombing", 1)]["risk_tier"] is not None
    assert not ninawa[("assassination", 1)]["observed"] and ninawa[("assassination", 1)]["risk_tier"] is None
    gao = _rows(trained.client, "MLI.gao")
    assert all(r["observed"] and r["risk_tier"] is not None for r in gao.values())


def test_a_tier_on_an_unobserved_row_or_none_on_an_observed_one_is_refused() -> None:
    row = {"attack_type": "bombing", "horizon": 1, "target_month": "2022-01", "mean": 0.0, "q10": 0.0,
           "q50": 0.0, "q90": 0.0, "p_any": 0.0, "recent_mean": 0.0, "change": 0.0, "change_ratio": None}
    ForecastRow.model_validate({**row, "observed": False, "risk_tier": None})
    ForecastRow.model_validate({**row, "risk_tier": "minimal"})
    for bad in ({"observed": False, "risk_tier": "minimal"}, {"observed": True, "risk_tier": None}):
        with pytest.raises(ValueError, match="risk_tier is null exactly"):
            ForecastRow.model_validate({**row, **bad})


def test_the_ranking_leaves_out_unobserved_regions_and_counts_them(trained: Trained) -> None:
    c = trained.client
    kidnapping = Ranking.model_validate(c.get("/v1/forecasts?attack_type=kidnapping&top=50").json())
    assert kidnapping.total == 5 and kidnapping.unobserved == 1  # Basra cannot see kidnappings
    assert "IRQ.basra" not in {r.region_id for r in kidnapping.items}
    assassination = c.get("/v1/forecasts?attack_type=assassination&top=50").json()
    assert assassination["total"] == 4 and assassination["unobserved"] == 2
    iraq = c.get("/v1/forecasts?attack_type=kidnapping&country=IRQ").json()
    assert [r["region_id"] for r in iraq["items"]] == ["IRQ.ninawa"] and iraq["unobserved"] == 1
    everything = c.get("/v1/forecasts?attack_type=all&top=50").json()
    assert everything["total"] == 6 and everything["unobserved"] == 0


def test_the_trained_bundle_serves_a_target_mix(trained: Trained) -> None:
    body = trained.client.get("/v1/regions/IRQ.basra/forecast").json()
    shares = {r["target_class"]: r["share"] for r in body["target_mix"] if r["horizon"] == 1}
    assert set(shares) == set(TARGET_CLASSES) and sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
    assert max(shares, key=shares.__getitem__) == "security_forces"  # every Basra event targets them
    assert {r["horizon"] for r in body["target_mix"]} == {1, 2, 3}


def test_a_bundle_without_coverage_treats_everything_as_observed(client: TestClient) -> None:
    body = client.get("/v1/regions/BFA.sahel/forecast").json()  # the shared store's older bundle
    RegionForecast.model_validate(body)
    assert all(r["observed"] and r["risk_tier"] is not None for r in body["forecasts"])
    assert client.get("/v1/forecasts?attack_type=bombing").json()["unobserved"] == 0


def test_country_totals_mark_types_none_of_its_regions_observe(trained: Trained) -> None:
    iraq = CountryForecast.model_validate(trained.client.get("/v1/countries/IRQ/forecast").json())
    by_type = {(r.attack_type, r.horizon): r for r in iraq.forecasts}
    assert not by_type[("assassination", 1)].observed and by_type[("assassination", 1)].risk_tier is None
    assert by_type[("kidnapping", 1)].observed and by_type[("kidnapping", 1)].risk_tier is not None  # Ninawa
    mali = trained.client.get("/v1/countries/MLI/forecast").json()
    assert all(r["observed"] and r["risk_tier"] is not None for r in mali["forecasts"])


def test_the_tactic_mix_of_the_forecast_means_leaves_out_unobserved_types(trained: Trained) -> None:
    basra = trained.client.get("/v1/regions/IRQ.basra/forecast").json()
    assert basra["tactic_mix_source"] == "forecast"
    for h in (1, 2, 3):
        shares = {r["attack_type"]: r["share"] for r in basra["tactic_mix"] if r["horizon"] == h}
        assert set(shares) <= {"armed_clash", "armed_assault"} and "armed_clash" in shares
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
    ninawa = trained.client.get("/v1/regions/IRQ.ninawa/forecast?horizon=1").json()
    seen = {r["attack_type"] for r in ninawa["tactic_mix"]}
    assert "bombing" in seen and "assassination" not in seen and seen <= TEXT_TYPES | {"armed_assault"}
    gao = trained.client.get("/v1/regions/MLI.gao/forecast?horizon=1").json()
    assert sum(r["share"] for r in gao["tactic_mix"]) == pytest.approx(1.0, abs=1e-3)
