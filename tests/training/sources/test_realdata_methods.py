"""Attack methods and target classes on the real UCDP and ACLED files (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from models.methods import shipped_classifier
from models.methods_eval import abstention_rate, load_headline_sample, transfer_scores
from training.ingest import ingest

pytestmark = pytest.mark.realdata

UCDP = "ucdp_ged_hdx_191-221_selected_to2018.csv.gz"
ACLED = "acled_hdx_2020_selected_to2018.csv.gz"


@pytest.fixture(scope="module")
def ucdp_events(shared_data_dir: Path) -> pd.DataFrame:
    result = ingest([shared_data_dir / UCDP])
    assert result.summary["accepted"] + result.summary["rejected"] == result.summary["rows_read"] == 21156
    return result.events


@pytest.fixture(scope="module")
def shared_data_dir() -> Path:
    folder = Path(__file__).resolve().parents[3].parent / "shared" / "data"
    if not (folder / UCDP).is_file():
        pytest.skip("../shared/data is not available")
    return folder


def test_ucdp_gains_bombings_suicide_attacks_kidnappings_and_indirect_fire(ucdp_events: pd.DataFrame) -> None:
    counts = pd.crosstab(ucdp_events["country"], ucdp_events["attack_type"])
    for country in ("IRQ", "NGA", "PAK", "PHL"):
        for kind in ("bombing", "kidnapping", "indirect_fire"):
            assert counts.loc[country, kind] >= 1, (country, kind)
    for country in ("IRQ", "NGA", "PAK"):
        assert counts.loc[country, "suicide_attack"] >= 50, country
    assert counts["bombing"].sum() >= 500 and counts["suicide_attack"].sum() >= 400
    ninawa = ucdp_events[ucdp_events["region_id"] == "IRQ.ninawa"]["attack_type"].value_counts()
    assert ninawa["suicide_attack"] >= 10 and ninawa["bombing"] >= 10


def test_ucdp_philippines_headlines_never_name_a_suicide_attack(shared_data_dir: Path,
                                                                 ucdp_events: pd.DataFrame) -> None:
    raw = pd.read_csv(shared_data_dir / UCDP, usecols=["country", "source_headline"])
    philippines = raw[raw["country"] == "Philippines"]["source_headline"].fillna("")
    assert not philippines.str.contains("suicide", case=False).any()
    assert not ((ucdp_events["country"] == "PHL") & (ucdp_events["attack_type"] == "suicide_attack")).any()


def test_ucdp_method_columns(ucdp_events: pd.DataFrame) -> None:
    text = ucdp_events["method_source"] == "text"
    assert set(ucdp_events["method_source"]) == {"text", "default"}
    assert text.sum() >= 4000
    assert ucdp_events.loc[text, "method_confidence"].min() >= shipped_classifier().threshold  # type: ignore[union-attr]
    assert ucdp_events.loc[~text, "method_confidence"].isna().all()
    recent = ucdp_events["date"] >= "2015-01-01"
    assert ucdp_events.loc[recent, "method_source"].eq("text").mean() >= 0.6
    assert set(ucdp_events["target_class"]) <= {"security_forces", "civilians", "international", "government",
                                                "non_state"}


def test_transfer_accuracy_and_abstention_meet_the_targets(shared_data_dir: Path) -> None:
    classifier = shipped_classifier()
    assert classifier is not None
    scores = transfer_scores(classifier, load_headline_sample(shared_data_dir / UCDP))
    assert scores["all"]["n"] >= 200
    assert scores["all"]["confident_accuracy"] >= 0.80
    raw = pd.read_csv(shared_data_dir / UCDP, usecols=["year", "source_headline"])
    recent = abstention_rate(classifier, raw.loc[raw["year"] >= 2015, "source_headline"])
    assert recent["headlines"] >= 5000 and recent["abstention"] <= 0.40


def test_acled_target_classes(shared_data_dir: Path) -> None:
    events = ingest([shared_data_dir / ACLED]).events
    classes = events["target_class"].value_counts()
    assert classes["civilians"] > classes["security_forces"] > classes["international"] > 300
    minusma = events["target"].str.contains("MINUSMA", na=False)
    assert (events.loc[minusma, "target_class"] == "international").all()
    assert (events["method_source"] == "coded").all()
