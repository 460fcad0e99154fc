"""The method classifier: text rules, fitting on small labelled texts, abstention, reports, artefact."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from models.methods import (
    AIR_STRIKE,
    SHIPPED_PATH,
    MethodPrediction,
    acled_method_label,
    load_classifier,
    normalise,
    shipped_classifier,
    split_reports,
    text_methods_off,
)
from models.methods_fit import choose_threshold, fit_method_classifier, score, sentences
from tests.methods_texts import labelled_texts


@pytest.fixture(scope="module")
def small() -> object:
    texts, labels = labelled_texts()
    return fit_method_classifier(texts, labels, folds=3, c=3.0, features=(500, 2000), seed=1)


def test_acled_labels_cover_air_strikes_and_regains() -> None:
    assert acled_method_label("Air/drone strike") == AIR_STRIKE
    assert acled_method_label(" Suicide bomb ") == "suicide_attack"
    assert acled_method_label("Government regains territory") == "territory_regained"
    assert acled_method_label("Peaceful protest") is None


def test_normalise_drops_dates_and_markup_and_marks_method_words() -> None:
    assert normalise("On 5 March 2017, JNIM militants detonated an IED near Gao.") == \
        "jnim militants detonated an ied near gao. lexexplosive"
    marked = normalise("[highlight color=12]Boko[/highlight] Haram kidnap 20")
    assert marked == "boko haram kidnap 0 lexkidnap"
    airwars = normalise("March 13th, 2015: Hatra, Kirkuk province, Iraq")
    assert airwars == "coalition air strike reported lexair"
    once = normalise("Car bomb and mortar fire kill 7")
    assert once == "car bomb and mortar fire kill 0 lexexplosive lexindirect"
    assert normalise(once) == once


def test_split_reports_keeps_headlines_and_drops_fragments() -> None:
    headline = ("Suicide bomber kills 6 in Maiduguri;Nigeria  OCTOBER 2018;CR Daily Trust"
                "\nBoko Haram attack, Borno")
    assert split_reports(headline) == ["suicide bomber kills 0 in maiduguri lexexplosive lexsuicide",
                                       "nigeria october 0", "cr daily trust", "boko haram attack, borno"]
    assert split_reports("AU;;  ;x") == []


def test_sentences_split_long_texts() -> None:
    assert sentences("soldiers were ambushed near gao. two died. the attackers fled on motorbikes.") == [
        "soldiers were ambushed near gao", "the attackers fled on motorbikes."]


def test_fit_on_small_texts_learns_and_records_held_out_scores(small: object) -> None:
    clf = small
    info = clf.info  # type: ignore[attr-defined]
    assert clf.labels == ("armed_clash", "bombing", "kidnapping")  # type: ignore[attr-defined]
    assert info["texts"] == 216 and info["held_out"] == 44 and info["train"] == 172
    assert info["held_out_scores"]["confident_accuracy"] >= 0.9
    assert 0.3 <= info["threshold"] <= 0.95
    got = clf.classify(["A bomb exploded near Tessalit.", "Herders abducted by bandits near Lere.",  # type: ignore[attr-defined]
                        "Troops and rebels exchanged fire at Lere.", ""])
    assert list(got.label[:3]) == ["bombing", "kidnapping", "armed_clash"]
    assert got.label[3] == "" and np.isnan(got.confidence[3]) and got.abstained[3]
    assert not got.abstained[:3].any()


def test_abstention_below_the_threshold(small: object) -> None:
    texts = ["A bomb exploded near Tessalit.", "The weather was fine in Gao."]
    sure, vague = small.classify(texts).confidence  # type: ignore[attr-defined]
    assert vague < sure
    between = dataclasses.replace(small, threshold=(sure + vague) / 2)  # type: ignore[type-var]
    got = between.classify(texts)
    assert list(got.abstained) == [False, True]
    assert got.label[1] != "" and got.confidence[1] == vague  # the best guess is kept, flagged abstained


def test_reports_specific_method_wins_over_a_generic_one(small: object) -> None:
    got = small.classify_reports([  # type: ignore[attr-defined]
        "Troops and rebels exchanged fire at Lere;An IED exploded under a vehicle near Lere",
        "Troops and rebels exchanged fire at Lere;Nigeria OCTOBER 2018",
        "",
    ])
    assert list(got.label) == ["bombing", "armed_clash", ""]
    assert list(got.abstained) == [False, False, True]


def test_fit_refuses_bad_inputs() -> None:
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        fit_method_classifier(["a b", "c d"], ["bombing"])
    with pytest.raises(ValueError, match="need two labels"):
        fit_method_classifier(["an ied exploded"] * 30, ["bombing"] * 30)


def test_choose_threshold_and_score() -> None:
    confidence = np.array([0.95, 0.9, 0.6, 0.4])
    correct = np.array([True, True, False, True])
    assert choose_threshold(confidence, correct, 0.99) == 0.625
    assert choose_threshold(confidence, correct, 0.7) == 0.3
    assert choose_threshold(confidence[:0], correct[:0], 0.5) == 0.95
    pred = MethodPrediction(np.array(["bombing", "bombing", "kidnapping"], dtype=object),
                            np.array([0.9, 0.5, 0.8]), np.array([False, True, False]))
    scored = score(pred, ["bombing", "kidnapping", "kidnapping"])
    assert (scored["accuracy"], scored["confident"], scored["confident_accuracy"]) == (0.6667, 2, 1.0)
    assert scored["per_class"]["kidnapping"] == {"support": 2, "precision": 1.0, "recall": 0.5,
                                                 "confident_precision": 1.0, "confident_recall": 0.5}
    assert scored["per_class"]["bombing"]["precision"] == 0.5


def test_save_and_load_round_trip_and_refuse_other_files(small: object, tmp_path: Path) -> None:
    path = small.save(tmp_path / "m" / "clf.joblib")  # type: ignore[attr-defined]
    again = load_classifier(path)
    assert again.labels == small.labels and again.threshold == small.threshold  # type: ignore[attr-defined]
    import joblib
    joblib.dump({"not": "a classifier"}, tmp_path / "other.joblib")
    with pytest.raises(ValueError, match="does not hold a method classifier"):
        load_classifier(tmp_path / "other.joblib")
    with pytest.raises(FileNotFoundError):
        load_classifier(tmp_path / "missing.joblib")


def test_shipped_artefact_is_small_and_switchable(monkeypatch: pytest.MonkeyPatch, small: object,
                                                   tmp_path: Path) -> None:
    assert SHIPPED_PATH.stat().st_size < 5_000_000
    shipped = shipped_classifier()
    assert shipped is not None and AIR_STRIKE in shipped.labels
    assert shipped.info["held_out_scores"]["n"] > 500
    parts = [part for _, part in shipped.vectorizer.transformer_list]
    assert all(getattr(part, "stop_words_", None) is None for part in parts)  # no pruned terms kept
    assert sum(len(part.vocabulary_) for part in parts) <= 50_000
    with text_methods_off():
        assert shipped_classifier() is None
    assert shipped_classifier() is not None
    path = small.save(tmp_path / "clf.joblib")  # type: ignore[attr-defined]
    monkeypatch.setenv("THREATCAST_METHODS_MODEL", str(path))
    assert shipped_classifier().labels == ("armed_clash", "bombing", "kidnapping")  # type: ignore[union-attr]


def test_shipped_classifier_reads_typical_headlines() -> None:
    clf = shipped_classifier()
    assert clf is not None
    got = clf.classify_reports(["Suicide bomber kills 12 at market in Maiduguri",
                                "Car bomb kills seven north of Baghdad",
                                "Islamic State mortar attack kills 16 in Mosul",
                                "Gunmen kidnap three foreign engineers",
                                "Air strikes kill 20 militants in North Waziristan",
                                "Situation North East (Adamawa, Borno and Yobe States)"])
    assert list(got.label[:5]) == ["suicide_attack", "bombing", "indirect_fire", "kidnapping", AIR_STRIKE]
    assert not got.abstained[:5].any() and got.abstained[5]
