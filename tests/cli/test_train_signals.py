"""SIGTERM to training: an orderly stop (runs ended KILLED, worker processes gone, exit code 143)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from trainkit import synthetic_events

from cli.jobs.interrupt import TrainingInterrupted, stop_on_signals
from cli.jobs.train import TrainOptions, train
from models.demo import generate_demo
from training.settings import TrainingSettings
from training.tracking import Tracker

REPO = Path(__file__).resolve().parents[2]


def run_statuses(db: Path) -> dict[str, str]:
    """run id -> status, read straight from the SQLite store (empty while it has no runs table)."""
    if not db.exists():
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return dict(con.execute("SELECT run_uuid, status FROM runs").fetchall())
    except sqlite3.OperationalError:
        return {}
    finally:
        con.close()


def wait_for(condition: Callable[[], bool], timeout: float, what: str, proc: subprocess.Popen[str]) -> None:
    """Poll ``condition`` until true; fail when ``proc`` exits first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"train exited ({proc.returncode}) before {what}: {err[-2000:]}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.mark.slow
def test_sigterm_stops_train_with_runs_killed_and_no_workers_left(mlflow_store, tmp_path: Path) -> None:
    events = tmp_path / "events.parquet"
    generate_demo(seed=7).events.to_parquet(events, index=False)
    db = mlflow_store.root / "mlflow.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from cli import main; main()", "train", "--events", str(events),
         "--format", "canonical", "--executor", "local", "--workers", "2", "--no-classifier", "--json"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers: list[psutil.Process] = []
    try:
        wait_for(lambda: "RUNNING" in run_statuses(db).values(), 120, "a RUNNING run", proc)
        parent = psutil.Process(proc.pid)

        def has_workers() -> bool:
            workers[:] = parent.children(recursive=True)
            return len(workers) >= 2

        wait_for(has_workers, 120, "the backtest's worker processes", proc)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 143, err[-2000:]
    assert "Traceback" not in err
    stopped = [line for line in err.splitlines() if line.startswith("stopped:")]
    assert stopped == ["stopped: training stopped by SIGTERM: open runs ended KILLED, workers stopped"]
    assert out == ""
    statuses = run_statuses(db)
    assert statuses and set(statuses.values()) == {"KILLED"}, statuses
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"orphaned workers: {[p.pid for p in alive]}"
    assert len(gone) >= 2


def test_sigterm_during_logging_kills_parent_and_open_child_runs(mlflow_store, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The signal lands while a family's child run is open: both it and the parent end KILLED."""
    original = Tracker.log_metrics
    sent: list[str] = []

    def log_metrics(self: Tracker, run_id: str, metrics: object, step: int = 0) -> None:
        if self.open_runs and run_id == self.open_runs[-1] and len(self.open_runs) > 1 and not sent:
            sent.append(run_id)
            os.kill(os.getpid(), signal.SIGTERM)  # a real signal to this process
            time.sleep(1)  # it is handled here, between two bytecodes
        original(self, run_id, metrics, step)  # type: ignore[arg-type]

    monkeypatch.setattr(Tracker, "log_metrics", log_metrics)
    opts = TrainOptions(horizon=3, origins="2021-06:2021-09", executor="serial", classifier=False,
                        models="mean12", progress=False)
    with pytest.raises(TrainingInterrupted) as caught:
        train(synthetic_events(), opts, TrainingSettings())
    assert caught.value.exit_code == 143
    statuses = run_statuses(mlflow_store.root / "mlflow.db")
    assert sent and statuses[sent[0]] == "KILLED"
    assert len(statuses) >= 2 and set(statuses.values()) == {"KILLED"}, statuses


def test_handler_is_restored_and_second_signal_ignored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(TrainingInterrupted), stop_on_signals():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # during the stop: ignored, nothing raised here
            time.sleep(0.2)
    assert signal.getsignal(signal.SIGTERM) is before
