from __future__ import annotations

import math
from functools import partial

import pandas as pd
import pytest

from models.demo import generate_demo
from models.estimators.baselines import Bootstrap24, Mean12Poisson
from models.panel import build_panel
from training.backtest import run_backtest
from training.executors import (
    DaskExecutor,
    LocalExecutor,
    SerialExecutor,
    make_executor,
)


def _work(x: int, power: int = 2) -> float:
    return math.sqrt(x) + x**power


ITEMS = list(range(7))
EXPECTED = [_work(x) for x in ITEMS]


def test_serial_executor_maps_in_order():
    with make_executor("serial") as ex:
        assert isinstance(ex, SerialExecutor)
        assert ex.map(_work, ITEMS) == EXPECTED
        assert ex(_work, []) == []
        assert ex.describe() == {"kind": "serial"}


def test_local_executor_uses_worker_processes():
    with make_executor("local", workers=2) as ex:
        assert isinstance(ex, LocalExecutor)
        assert ex.map(partial(_work, power=3), ITEMS) == [_work(x, 3) for x in ITEMS]
        assert ex.map(_work, [4]) == [_work(4)]  # one item runs in-process
        assert ex.describe() == {"kind": "local", "workers": 2}
    assert ex._pool is None


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_results():
    with make_executor("dask", workers=2, processes=False) as ex:
        assert isinstance(ex, DaskExecutor)
        assert ex.map(_work, ITEMS) == EXPECTED
        assert ex.describe()["workers"] == 2


def test_make_executor_rejects_bad_requests():
    with pytest.raises(ValueError, match="unknown executor"):
        make_executor("threads")
    with pytest.raises(ValueError, match="only applies to the dask"):
        make_executor("local", scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(ValueError, match="workers"):
        make_executor("local", workers=0)


def test_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(ValueError, match="cannot reach the Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:1", workers=1, connect_timeout=1.0)


@pytest.mark.slow
def test_backtest_results_identical_in_every_mode():
    demo = generate_demo(seed=2, n_regions=4, start="2014-01", end="2018-12")
    panel = build_panel(demo.events)
    models = {"mean12": Mean12Poisson, "bootstrap24": partial(Bootstrap24, window=12)}
    origins = pd.period_range("2018-01", "2018-04", freq="M")
    frames = {}
    for kind, kwargs in (("serial", {}), ("local", {"workers": 2}),
                         ("dask", {"workers": 2, "processes": False})):
        with make_executor(kind, **kwargs) as ex:
            result = run_backtest(panel, demo.episodes, models, origins, horizon=2, executor=ex)
        assert result.executor["kind"] == kind
        frames[kind] = result
    for kind in ("local", "dask"):
        pd.testing.assert_frame_equal(frames["serial"].predictions, frames[kind].predictions)
        pd.testing.assert_frame_equal(frames["serial"].scores, frames[kind].scores)


def _blas_threads(_: int) -> int:
    import numpy  # noqa: F401  - loads the BLAS library whose pool is limited
    from threadpoolctl import threadpool_info

    return max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=1)


def test_tasks_run_with_one_blas_thread():
    for kind, kwargs in (("serial", {}), ("local", {"workers": 2})):
        with make_executor(kind, **kwargs) as ex:
            assert ex.map(_blas_threads, [0, 1]) == [1, 1]
