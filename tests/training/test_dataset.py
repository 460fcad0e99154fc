"""The one loader: event files -> canonical events -> panel up to a cutoff -> backtest origins."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from trainkit import synthetic_events

from models.panel import build_panel
from training import dataset
from training.ingest import IngestResult, ingest


@pytest.fixture(scope="module")
def events_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dataset") / "events.parquet"
    synthetic_events().to_parquet(path, index=False)
    return path


def test_split_paths_expands_commas_and_keeps_order() -> None:
    assert dataset.split_paths(["a.csv, b.csv", Path("c.csv"), " ,"]) == [
        Path("a.csv"), Path("b.csv"), Path("c.csv")]
    assert dataset.split_paths([]) == []


def test_files_frames_and_ingest_results_give_the_same_panel(events_file: Path) -> None:
    from_file = dataset.load([events_file], "canonical", "2020-06")
    from_frame = dataset.load(synthetic_events(), cutoff="2020-06")
    from_result = dataset.load(ingest([events_file], fmt="canonical"), cutoff="2020-06")
    for other in (from_frame, from_result):
        pd.testing.assert_frame_equal(other.panel.counts, from_file.panel.counts)
    assert from_file.panel.cutoff == pd.Period("2020-06", freq="M")
    assert from_file.panel.meta["excluded_after_cutoff"] > 0
    used = from_file.used_events()
    assert len(used) == from_file.panel.meta["events_used"]
    assert used["date"].max() < pd.Timestamp("2020-07-01")
    whole = dataset.load(str(events_file))
    assert whole.panel.cutoff == pd.Period("2021-12", freq="M") and len(whole.used_events()) == len(
        whole.ingested.events)


@pytest.mark.parametrize(("cutoff", "message"), [
    ("June", "bad cutoff 'June': use YYYY-MM"),
    ("2020-13", "bad cutoff '2020-13'"),
    ("2020", "bad cutoff"),
    ("2030-01", r"cutoff 2030-01 is outside the data \(2019-01 .. 2021-12\)"),
    ("2018-12", "outside the data"),
])
def test_bad_cutoffs_are_refused(events_file: Path, cutoff: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataset.load([events_file], cutoff=cutoff)


def test_bad_inputs_are_refused_format_first(tmp_path: Path, events_file: Path) -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        dataset.load([tmp_path / "missing.csv"], "xml")
    with pytest.raises(ValueError, match=r"event file\(s\) not found: .*missing.csv"):
        dataset.load([events_file, tmp_path / "missing.csv"])
    with pytest.raises(ValueError, match="no event files given"):
        dataset.load([])
    with pytest.raises(ValueError, match="no usable rows"):
        dataset.load(IngestResult(synthetic_events().iloc[:0], pd.DataFrame(), {}))


def test_default_origins_end_a_horizon_before_the_cutoff() -> None:
    panel = build_panel(synthetic_events())
    assert dataset.default_origins(panel, 3, 4) == "2021-06:2021-09"
    assert dataset.default_origins(panel, 6, 100) == "2020-12:2021-06"  # clipped at 24 months of history
    assert dataset.default_origins(panel, 0, 1) == "2021-11:2021-11"  # horizon 0 still leaves one month
    short = build_panel(synthetic_events(months=26))
    assert dataset.default_origins(short, 2, 30) == "2020-12:2020-12"  # the only origin that fits
    with pytest.raises(ValueError, match=r"too short .* 24 months of history and horizon 3"):
        dataset.default_origins(short, 3, 24)


def test_origins_parse_the_text_or_fall_back_to_the_default() -> None:
    panel = build_panel(synthetic_events())
    assert dataset.origins(panel, None, 3, 2) == list(pd.period_range("2021-08", "2021-09", freq="M"))
    assert dataset.origins(panel, "2021-01,2020-12", 3, 2) == [pd.Period("2020-12", freq="M"),
                                                              pd.Period("2021-01", freq="M")]
    with pytest.raises(ValueError, match="fewer than 24 months"):
        dataset.origins(panel, "2019-06", 3, 2)
