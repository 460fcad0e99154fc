from __future__ import annotations

from collections.abc import Iterator

import pytest
from trainkit import synthetic_events

from cli.jobs.train import TrainOptions, train
from training.registry import SCORES_TAG


@pytest.fixture
def dask_scheduler() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        yield str(cluster.scheduler_address)


@pytest.mark.slow
def test_training_on_a_dask_cluster_equals_the_serial_one(mlflow_store, dask_scheduler: str) -> None:
    events = synthetic_events()
    common = dict(horizon=3, n_origins=4, models="zero,mean12,pooled_negbin", classifier=False,
                  progress=False)
    serial = train(events, TrainOptions(executor="serial", **common))  # type: ignore[arg-type]
    on_dask = train(events, TrainOptions(executor="dask", scheduler=dask_scheduler,
                                         **common))  # type: ignore[arg-type]
    assert on_dask.as_dict()["headline"] == serial.as_dict()["headline"]
    client = mlflow_store.client()
    tags = [client.get_model_version("threatcast", v).tags[SCORES_TAG] for v in ("1", "2")]
    assert tags[0] == tags[1]
    assert client.get_run(on_dask.run_id).data.params["executor"] == "dask"
    assert on_dask.decision.promoted  # identical scores are "no worse"


@pytest.mark.slow
def test_unreachable_scheduler_is_a_clear_error_before_any_run(mlflow_store) -> None:
    from cli.jobs.train import TrainingError

    options = TrainOptions(executor="dask", scheduler="tcp://127.0.0.1:9", horizon=3, n_origins=2,
                           models="zero", classifier=False, progress=False)
    with pytest.raises(TrainingError, match="Dask scheduler"):
        train(synthetic_events(), options)
    client = mlflow_store.client()
    assert client.search_runs([client.get_experiment_by_name("threatcast").experiment_id]) == []
