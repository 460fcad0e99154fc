from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from trainkit import synthetic_events

from cli.jobs.train import TrainingError, TrainOptions, train
from training.registry import Registry
from training.settings import TrainingSettings

FAST = TrainOptions(horizon=3, n_origins=4, executor="serial", models="zero", classifier=False,
                    progress=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_server_fails_fast_before_reading_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{free_port()}")
    start = time.perf_counter()
    with pytest.raises(TrainingError, match="unreachable") as info:
        train("/no/such/events.csv", FAST, TrainingSettings(check_timeout=2))
    assert time.perf_counter() - start < 5
    assert "events.csv" not in str(info.value)  # the check ran before the (bad) input was read


def test_unwritable_artifact_folder_fails_fast(mlflow_store, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("THREATCAST_ARTIFACT_ROOT", str(blocker / "artifacts"))
    with pytest.raises(TrainingError, match=r"artifact folder .* is not writable"):
        train(synthetic_events(), FAST)
    assert mlflow_store.client().search_runs(["0"]) == []


@pytest.mark.parametrize("options, message", [
    (TrainOptions(cutoff="2030-01", progress=False), "outside the data"),
    (TrainOptions(cutoff="January", progress=False), "bad cutoff"),
    (TrainOptions(origins="2021-11:2022-03", progress=False), "not before the data cutoff"),
    (TrainOptions(models="prophet", progress=False), "unknown model"),
    (TrainOptions(horizon=0, progress=False), "horizon"),
])
def test_bad_options_give_one_clear_error_and_no_run(mlflow_store, options: TrainOptions,
                                                     message: str) -> None:
    with pytest.raises(TrainingError, match=message):
        train(synthetic_events(months=30), options)
    exp = mlflow_store.client().get_experiment_by_name("threatcast")
    assert exp is None or mlflow_store.client().search_runs([exp.experiment_id]) == []


def test_missing_and_non_canonical_inputs(mlflow_store, tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="not found"):
        train([tmp_path / "missing.csv"], FAST)
    broken = synthetic_events().assign(country="Mali")
    with pytest.raises(TrainingError, match="not canonical"):
        train(broken, FAST)


@pytest.mark.slow
def test_interrupted_training_leaves_no_champion(mlflow_store, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: Registry, version: str, tags: object) -> None:
        raise RuntimeError("interrupted between registration and alias")

    events = synthetic_events()
    with monkeypatch.context() as patch:
        patch.setattr(Registry, "set_version_tags", boom)
        with pytest.raises(RuntimeError, match="interrupted"):
            train(events, FAST)
    client = mlflow_store.client()
    versions = client.search_model_versions("name = 'threatcast'")
    assert [str(v.version) for v in versions] == ["1"] and versions[0].aliases == []
    assert "threatcast.complete" not in versions[0].tags
    runs = client.search_runs([client.get_experiment_by_name("threatcast").experiment_id],
                              filter_string="attributes.run_name LIKE 'train%'")
    assert [r.info.status for r in runs] == ["FAILED"]

    result = train(events, FAST)  # the next training becomes the first champion
    assert result.version == "2" and result.decision.alias == "champion"
    assert client.get_model_version("threatcast", "1").aliases == []
