"""A short backtest on the real ACLED extract (skipped when ../shared/data is absent).

Four origins instead of the thirty of the full protocol (docs/backtest.md); the figures asserted are
those measured on this file, with tolerances. Baselines are deterministic functions of the data, so
their tolerances are tight; the fitted families get wider ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.episodes import load_catalog
from models.panel import build_panel
from training.backtest import run_backtest
from training.executors import make_executor
from training.ingest import ingest
from training.selection import SELECTED, model_factories, walk_forward

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
ACLED = DATA / "acled_hdx_2020_selected_to2018.csv.gz"
ORIGINS = ["2016-06", "2017-03", "2017-09", "2018-03"]

pytestmark = [pytest.mark.realdata, pytest.mark.slow,
              pytest.mark.skipif(not ACLED.is_file(), reason="shared ACLED extract not available")]


@pytest.fixture(scope="module")
def result():
    catalog = load_catalog()
    panel = build_panel(ingest([ACLED]).events)
    factories = model_factories(catalog)
    with make_executor("local", workers=2) as executor:
        return run_backtest(panel, catalog, factories, ORIGINS, horizon=6, executor=executor,
                            combine=walk_forward)


def test_baseline_figures(result):
    head = result.headline
    assert head["best_baseline"]["crps"] == "mean12"
    assert head["best_baseline"]["brier"] == "mean12"
    assert head["mean12"]["n"] == 960
    assert head["mean12"]["crps"] == pytest.approx(0.7015, abs=0.005)
    assert head["mean12"]["brier"] == pytest.approx(0.1372, abs=0.005)
    assert head["mean12"]["auroc"] == pytest.approx(0.824, abs=0.005)
    assert head["mean12"]["coverage80"] == pytest.approx(0.844, abs=0.005)
    assert head["zero"]["crps"] == pytest.approx(1.310, abs=0.005)
    assert head["last_value"]["crps"] == pytest.approx(0.736, abs=0.005)


def test_fitted_families_and_selection(result):
    head = result.headline
    for name in ("pooled_negbin", "state_space_series", SELECTED):
        if name not in head:
            continue
        entry = head[name]
        assert 0.55 < entry["crps"] < 0.85
        assert 0.10 < entry["brier"] < 0.17
        assert entry["auroc"] > 0.78
        assert 0.80 < entry["coverage80"] < 0.97
        assert 0.60 < entry["pit_coverage80"] < 0.95
    if "state_space_series" in head:
        assert head["state_space_series"]["crps_skill"] > 0.0
