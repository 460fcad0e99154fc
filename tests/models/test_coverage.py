"""Type coverage per source and region: the rule on hand-made canonical events."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from models.coverage import CODEBOOKS, TEXT_TYPES, Coverage, coverage, is_observed, observed_mask
from models.methods import ACLED_METHOD_LABELS
from models.schema import conform_events
from models.taxonomy import ATTACK_TYPES

EVERY = set(ATTACK_TYPES)


def _events(*rows: tuple[str, str, str, str, str]) -> pd.DataFrame:
    """Events from ``(source, region_id, attack_type, method_source, date)``."""
    frame = pd.DataFrame(list(rows), columns=["source", "region_id", "attack_type", "method_source", "date"])
    frame["event_id"] = [f"{s}:{i}" for i, s in enumerate(frame["source"])]
    frame["country"] = frame["region_id"].str[:3]
    frame["admin1"] = frame["region_id"].str[4:]
    frame["date_precision"] = "day"
    frame["fatalities"] = 0
    frame["method_confidence"] = [1.0 if m == "coded" else (0.8 if m == "text" else None)
                                  for m in frame["method_source"]]
    return conform_events(frame)


def test_the_classifier_and_the_codebooks_agree_with_the_taxonomy() -> None:
    labels = {v for v in ACLED_METHOD_LABELS.values() if v in EVERY}
    assert labels == TEXT_TYPES
    assert {"bombing", "suicide_attack", "kidnapping", "indirect_fire"} <= TEXT_TYPES
    assert "assassination" not in CODEBOOKS["acled"]  # ACLED has no assassination sub-event
    assert {"armed_clash", "indirect_fire", "territory_seizure"}.isdisjoint(CODEBOOKS["gtd"])
    assert "suicide_attack" in CODEBOOKS["gtd"]  # bombing with the suicide flag


def test_ucdp_observes_its_defaults_and_text_types_only_where_text_events_exist() -> None:
    cov = coverage(_events(
        ("ucdp", "IRQ.ninawa", "armed_clash", "default", "2017-01-03"),
        ("ucdp", "IRQ.ninawa", "bombing", "text", "2017-02-03"),
        ("ucdp", "IRQ.basra", "armed_clash", "default", "2017-01-03"),
    ))
    regions = cov.regions()
    assert set(regions["IRQ.basra"]) == {"armed_clash", "armed_assault"}
    assert set(regions["IRQ.ninawa"]) == TEXT_TYPES | {"armed_assault"}
    assert "assassination" not in regions["IRQ.ninawa"]
    assert cov.mixed()  # one source, two coverages by region
    warning = cov.warning()
    assert warning is not None and "ucdp observes 2 to 9 of 10 types" in warning
    partial, nowhere = warning.split("observed in some regions only: ")[1].split("; observed nowhere: ")
    assert partial.startswith("bombing, suicide_attack, kidnapping, indirect_fire")
    assert nowhere.startswith("assassination;")


def test_a_region_observes_the_union_of_its_sources() -> None:
    cov = coverage(_events(
        ("ucdp", "MLI.gao", "armed_clash", "default", "2013-01-03"),
        ("acled", "MLI.gao", "bombing", "coded", "2013-01-04"),
        ("gtd", "MLI.kidal", "assassination", "coded", "2013-01-05"),
        ("ucdp", "MLI.kidal", "armed_assault", "default", "2013-01-06"),
    ))
    regions = cov.regions()
    assert set(regions["MLI.gao"]) == CODEBOOKS["acled"]  # UCDP's defaults are inside ACLED's book
    assert set(regions["MLI.kidal"]) == CODEBOOKS["gtd"] | {"armed_clash"}
    assert set(cov.sources()) == {"acled", "gtd", "ucdp"}
    assert set(cov.sources()["gtd"]) == CODEBOOKS["gtd"]
    assert cov.mixed() and "acled observes 9 of 10" in (cov.warning() or "")


def test_a_source_without_a_codebook_codes_every_type_and_one_source_never_warns() -> None:
    cov = coverage(_events(("demo", "MLI.gao", "bombing", "coded", "2020-01-01"),
                           ("demo", "BFA.sahel", "kidnapping", "coded", "2020-01-01")))
    assert all(set(t) == EVERY for t in cov.regions().values())
    assert not cov.mixed() and cov.warning() is None
    assert cov.to_dict() == {"version": "1.0", "regions": {"BFA.sahel": list(ATTACK_TYPES),
                                                            "MLI.gao": list(ATTACK_TYPES)},
                             "sources": {"demo": list(ATTACK_TYPES)}, "warning": None}


def test_an_unknown_source_without_method_field_observes_what_its_defaults_carry() -> None:
    cov = coverage(_events(("feed", "NGA.borno", "armed_clash", "default", "2018-01-01"),
                           ("feed", "NGA.yobe", "armed_clash", "default", "2018-01-01"),
                           ("feed", "NGA.yobe", "kidnapping", "default", "2018-02-01")))
    assert cov.regions() == {"NGA.borno": ("armed_clash", "kidnapping"),
                             "NGA.yobe": ("armed_clash", "kidnapping")}


def test_events_after_the_cutoff_do_not_count() -> None:
    events = _events(("ucdp", "IRQ.ninawa", "armed_clash", "default", "2017-01-03"),
                     ("ucdp", "IRQ.ninawa", "bombing", "text", "2018-02-03"))
    assert set(coverage(events, "2017-12").regions()["IRQ.ninawa"]) == {"armed_clash", "armed_assault"}
    assert "bombing" in coverage(events).regions()["IRQ.ninawa"]


def test_the_same_events_in_any_order_give_the_same_coverage() -> None:
    events = _events(("ucdp", "IRQ.ninawa", "armed_clash", "default", "2017-01-03"),
                     ("ucdp", "IRQ.ninawa", "bombing", "text", "2017-02-03"),
                     ("acled", "MLI.gao", "bombing", "coded", "2013-01-04"))
    shuffled = events.sample(frac=1.0, random_state=4).reset_index(drop=True)
    assert coverage(shuffled).to_dict() == coverage(events).to_dict()
    assert coverage(events.iloc[:0]) == Coverage({})


@pytest.mark.parametrize(("region", "attack_type", "expected"), [
    ("IRQ.basra", "bombing", False), ("IRQ.basra", "armed_clash", True), ("IRQ.basra", "all", True),
    ("IRQ.unlisted", "bombing", True)])
def test_is_observed(region: str, attack_type: str, expected: bool) -> None:
    observed = {"IRQ.basra": ["armed_clash", "armed_assault"]}
    assert is_observed(observed, region, attack_type) is expected
    assert is_observed(None, region, attack_type)


SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _real(name: str) -> pd.DataFrame:
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"../shared/data/{name} is not available")
    from training.ingest import ingest

    return ingest([path]).events


def test_acled_observes_nine_types_everywhere_and_never_assassination() -> None:
    cov = coverage(_real("acled_hdx_2020_selected_to2018.csv.gz"))
    regions = cov.regions()
    assert len(regions) >= 40
    assert {types for types in regions.values()} == {tuple(t for t in ATTACK_TYPES if t != "assassination")}
    assert cov.warning() is None


def test_ucdp_observes_bombing_in_ninawa_but_not_where_no_headline_gave_a_method() -> None:
    events = _real("ucdp_ged_hdx_191-221_selected_to2018.csv.gz")
    regions = coverage(events).regions()
    assert "bombing" in regions["IRQ.ninawa"] and "suicide_attack" in regions["IRQ.ninawa"]
    narrow = [r for r, types in regions.items() if set(types) == {"armed_clash", "armed_assault"}]
    texted = set(events.loc[events["method_source"] == "text", "region_id"])
    assert len(narrow) >= 20 and texted.isdisjoint(narrow)
    assert set(regions) - set(narrow) == texted


def test_observed_mask_is_is_observed_per_row() -> None:
    observed = {"MLI.gao": ["armed_assault", "bombing"], "IRQ.ninawa": ["armed_clash"]}
    frame = pd.DataFrame({"region_id": ["MLI.gao", "MLI.gao", "IRQ.ninawa", "IRQ.ninawa", "NER.tillaberi"],
                          "attack_type": ["bombing", "kidnapping", "all", "bombing", "kidnapping"]})
    mask = observed_mask(frame, observed)
    assert mask.tolist() == [True, False, True, False, True]
    assert mask.tolist() == [is_observed(observed, r, t) for r, t in zip(frame["region_id"],
                                                                        frame["attack_type"], strict=True)]
    assert observed_mask(frame, None).all() and observed_mask(frame.iloc[0:0], observed).shape == (0,)
